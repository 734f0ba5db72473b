"""The function's role credentials, from the FC context or the environment, never from a file.

FC's python3.10 runtime hands STS credentials in `context.credentials`; python3.12 and local runs put them in
`ALIBABA_CLOUD_*` variables. Both are the function role's short-lived STS credentials; FC refreshes them, so
callers compare what they built a client with against what they are given now.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


class CredentialsMissingError(Exception):
    """No role credentials: the function has no role, or local runs lack the ALIBABA_CLOUD_* variables."""


@dataclass(frozen=True)
class RoleCredentials:
    access_key_id: str
    access_key_secret: str
    security_token: str = ""

    def __repr__(self) -> str:
        return f"RoleCredentials(access_key_id={self.access_key_id!r}, sts={bool(self.security_token)})"

    __str__ = __repr__

    @property
    def fingerprint(self) -> tuple[str, str]:
        """What identifies one issue of credentials: a new STS token means a new client."""
        return self.access_key_id, self.security_token


def from_context(context: object | None) -> RoleCredentials | None:
    credentials = getattr(context, "credentials", None) if context is not None else None
    if credentials is None:
        return None
    key_id = getattr(credentials, "access_key_id", None) or getattr(credentials, "accessKeyId", None)
    secret = getattr(credentials, "access_key_secret", None) or getattr(credentials, "accessKeySecret", None)
    token = getattr(credentials, "security_token", None) or getattr(credentials, "securityToken", None) or ""
    if not key_id or not secret:
        return None
    return RoleCredentials(str(key_id), str(secret), str(token))


def from_environ(environ: Mapping[str, str] | None = None) -> RoleCredentials | None:
    env = os.environ if environ is None else environ
    key_id = env.get("ALIBABA_CLOUD_ACCESS_KEY_ID", "")
    secret = env.get("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "")
    if not key_id or not secret:
        return None
    return RoleCredentials(key_id, secret, env.get("ALIBABA_CLOUD_SECURITY_TOKEN", ""))


def resolve(context: object | None = None, environ: Mapping[str, str] | None = None) -> RoleCredentials:
    """The context wins: on python3.10 it is refreshed per invocation, the environment only per instance."""
    found = from_context(context) or from_environ(environ)
    if found is None:
        raise CredentialsMissingError(
            "no role credentials: give the function a role in s.yaml, or set ALIBABA_CLOUD_ACCESS_KEY_ID, "
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET and ALIBABA_CLOUD_SECURITY_TOKEN"
        )
    return found


class PerCredentials(Generic[T]):
    """Something built from one issue of the role's credentials (an SDK client), built again when FC issues new
    ones: the DMS, RAM and Tablestore clients all hold theirs this way."""

    def __init__(self, credentials: Callable[[], RoleCredentials], build: Callable[[RoleCredentials], T]) -> None:
        self._credentials = credentials
        self._build = build
        self._lock = threading.Lock()
        self._built: tuple[tuple[str, str], T] | None = None

    def get(self) -> T:
        """What was built for the credentials current now, building it if they are new."""
        current = self._credentials()
        with self._lock:
            if self._built is None or self._built[0] != current.fingerprint:
                self._built = (current.fingerprint, self._build(current))
            return self._built[1]

    def peek(self) -> T | None:
        """What was built last, without asking for credentials; None before the first `get`."""
        with self._lock:
            return self._built[1] if self._built is not None else None

    def forget(self) -> None:
        """Drop it, so the next `get` builds anew with whatever credentials are current then."""
        with self._lock:
            self._built = None

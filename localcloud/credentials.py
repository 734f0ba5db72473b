"""Key pairs the emulators accept, with the STS token and RAM-style permissions each one carries.

Real services check both who signed (signature) and what that identity may do (RAM). Holding both here
lets tests prove a wrong secret is refused and a least-privilege policy is enough.
"""

from __future__ import annotations

import fnmatch
import threading
from dataclasses import dataclass, field


@dataclass
class Credential:
    access_key_id: str
    access_key_secret: str
    security_token: str = ""
    """Non-empty for STS credentials: requests must then carry exactly this token."""
    expired: bool = False
    allow: list[str] = field(default_factory=lambda: ["*"])
    """RAM actions this identity may call, as `service:Action` glob patterns (`mns:*`, `dms:RegisterUser`)."""
    account_id: str = ""

    def permits(self, ram_action: str) -> bool:
        return any(fnmatch.fnmatchcase(ram_action, pattern) for pattern in self.allow)

    def public(self) -> dict[str, object]:
        """What the control plane shows: never the secret or the token."""
        return {
            "access_key_id": self.access_key_id,
            "sts": bool(self.security_token),
            "expired": self.expired,
            "allow": list(self.allow),
            "account_id": self.account_id,
        }


class CredentialStore:
    def __init__(self, initial: list[Credential] | None = None) -> None:
        self._lock = threading.Lock()
        self._initial = [Credential(**vars(c)) for c in initial or []]
        self._by_id: dict[str, Credential] = {}
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._by_id = {c.access_key_id: Credential(**vars(c)) for c in self._initial}

    def put(self, credential: Credential) -> None:
        with self._lock:
            self._by_id[credential.access_key_id] = credential

    def remove(self, access_key_id: str) -> bool:
        with self._lock:
            return self._by_id.pop(access_key_id, None) is not None

    def get(self, access_key_id: str) -> Credential | None:
        with self._lock:
            return self._by_id.get(access_key_id)

    def all(self) -> list[Credential]:
        with self._lock:
            return list(self._by_id.values())

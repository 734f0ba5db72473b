"""One call path to DMS for both operations: rate limit, call, classify, back off, retry, within the deadline.

`RegisterUser` lives in `alibabacloud-dms-enterprise20181101` (product dms-enterprise, 2018-11-01) and
`AddUserToDataAgentWorkspace` in `alibabacloud-dms20250414` (product dms, 2025-04-14). Both SDK clients are
built once per function instance from the role's STS credentials and rebuilt when FC hands out a new token.
The SDKs are imported on first use only: they cost most of a second to import, and the webhook's enqueue path
never needs them.

Endpoints default to the real services and are overridden from the environment (`DMS_ENTERPRISE_ENDPOINT`,
`DMS_ENDPOINT`, `host[:port]` or a full `http(s)://` URL), which is how the same code runs on the local cloud.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from shared.credentials import RoleCredentials
from shared.dms_errors import Kind, Verdict, classify_body, classify_exception
from shared.ratelimit import RateLimiter, RateLimitTimeoutError
from shared.retry import Deadline, RetryPolicy

Step = Literal["register_user", "add_to_workspace"]
StepResultName = Literal["done", "already", "failed"]


def _split_endpoint(value: str) -> tuple[str, str]:
    """(protocol, host[:port]) from `https://host`, `http://127.0.0.1:9912` or a bare host."""
    for scheme in ("https", "http"):
        prefix = scheme + "://"
        if value.startswith(prefix):
            return scheme, value[len(prefix) :].rstrip("/")
    return "https", value.rstrip("/")


@dataclass(frozen=True)
class DmsSettings:
    region: str = "cn-hangzhou"
    enterprise_endpoint: str = "dms-enterprise.aliyuncs.com"
    dms_endpoint: str = ""
    """Empty means the SDK's own regional endpoint, dms.<region>.aliyuncs.com."""
    connect_timeout_ms: int = 2000
    read_timeout_ms: int = 5000
    qps: float = 10.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> DmsSettings:
        env = os.environ if environ is None else environ
        region = env.get("ALIBABA_CLOUD_REGION_ID") or env.get("FC_REGION") or cls.region
        return cls(
            region=region,
            enterprise_endpoint=env.get("DMS_ENTERPRISE_ENDPOINT") or cls.enterprise_endpoint,
            dms_endpoint=env.get("DMS_ENDPOINT", ""),
            connect_timeout_ms=_int(env, "DMS_CONNECT_TIMEOUT_MS", cls.connect_timeout_ms),
            read_timeout_ms=_int(env, "DMS_READ_TIMEOUT_MS", cls.read_timeout_ms),
            qps=float(_int(env, "DMS_QPS", int(cls.qps))) if "DMS_QPS" in env else cls.qps,
            retry=RetryPolicy(max_attempts=_int(env, "DMS_MAX_ATTEMPTS", RetryPolicy.max_attempts)),
        )


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name}: {raw!r} is not an integer") from None
    if value <= 0:
        raise ValueError(f"{name}: must be positive")
    return value


@dataclass(frozen=True)
class StepResult:
    """What one DMS operation came to, kept whole in the outcome event."""

    step: Step
    result: StepResultName
    kind: Kind
    attempts: int
    request_id: str = ""
    code: str = ""
    message: str = ""
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def succeeded(self) -> bool:
        return self.result in ("done", "already")

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"step": self.step, "result": self.result, "attempts": self.attempts}
        for name in ("request_id", "code", "message"):
            if getattr(self, name):
                out[name] = getattr(self, name)
        if self.result == "failed":
            out["retryable"] = self.kind == "transient"
        if self.data:
            out["data"] = self.data
        return out


class _Clients:
    """Both SDK clients for one issue of credentials."""

    def __init__(self, settings: DmsSettings, credentials: RoleCredentials) -> None:
        from alibabacloud_dms20250414.client import Client as DataAgentClient
        from alibabacloud_dms_enterprise20181101.client import Client as EnterpriseClient
        from alibabacloud_tea_openapi.models import Config

        def config(endpoint: str) -> Any:
            protocol, host = _split_endpoint(endpoint) if endpoint else ("https", None)
            return Config(
                access_key_id=credentials.access_key_id,
                access_key_secret=credentials.access_key_secret,
                security_token=credentials.security_token or None,
                region_id=settings.region,
                endpoint=host,
                protocol=protocol,
                connect_timeout=settings.connect_timeout_ms,
                read_timeout=settings.read_timeout_ms,
            )

        self.fingerprint = credentials.fingerprint
        self.enterprise = EnterpriseClient(config(settings.enterprise_endpoint))
        self.data_agent = DataAgentClient(config(settings.dms_endpoint))


class DmsClient:
    def __init__(
        self,
        settings: DmsSettings,
        credentials: Callable[[], RoleCredentials],
        limiter: RateLimiter | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self._credentials = credentials
        self.limiter = limiter or RateLimiter(settings.qps)
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._lock = threading.Lock()
        self._clients: _Clients | None = None

    def clients(self) -> _Clients:
        current = self._credentials()
        with self._lock:
            if self._clients is None or self._clients.fingerprint != current.fingerprint:
                self._clients = _Clients(self.settings, current)
            return self._clients

    def _forget_clients(self) -> None:
        with self._lock:
            self._clients = None

    def register_user(
        self, uid: str, nick: str, roles: Sequence[str], mobile: str | None, tid: int | None, deadline: Deadline
    ) -> StepResult:
        from alibabacloud_dms_enterprise20181101 import models

        request = models.RegisterUserRequest(
            uid=uid, user_nick=nick, role_names=",".join(roles) or None, mobile=mobile or None, tid=tid
        )
        return self._call(
            "register_user", lambda c, runtime: c.enterprise.register_user_with_options(request, runtime), deadline
        )

    def add_to_workspace(
        self, workspace_id: str, member_id: str, role: str, dms_unit: str | None, deadline: Deadline
    ) -> StepResult:
        from alibabacloud_dms20250414 import models

        request = models.AddUserToDataAgentWorkspaceRequest(
            workspace_id=workspace_id, member_id=member_id, role_name=role, dmsunit=dms_unit or None
        )
        return self._call(
            "add_to_workspace",
            lambda c, runtime: c.data_agent.add_user_to_data_agent_workspace_with_options(request, runtime),
            deadline,
        )

    def _call(self, step: Step, invoke: Callable[[_Clients, Any], Any], deadline: Deadline) -> StepResult:
        from darabonba.runtime import RuntimeOptions

        policy = self.settings.retry
        attempt = 0
        while True:
            attempt += 1
            clients = self.clients()
            try:
                self.limiter.acquire(deadline.at)
            except RateLimitTimeoutError as error:
                return StepResult(step, "failed", "transient", attempt - 1, code="DeadlineExceeded", message=str(error))
            read_ms = max(1, min(self.settings.read_timeout_ms, int(deadline.remaining() * 1000)))
            runtime = RuntimeOptions(read_timeout=read_ms, connect_timeout=self.settings.connect_timeout_ms)
            data: dict[str, Any] = {}
            try:
                body = invoke(clients, runtime).body.to_map()
                verdict = classify_body(body)
                data = dict(body.get("Data") or {})
            except Exception as error:  # every SDK failure is sorted by classify_exception
                verdict = classify_exception(error)
            if verdict.kind in ("ok", "already"):
                result: StepResultName = "done" if verdict.kind == "ok" else "already"
                return self._result(step, result, verdict, attempt, data)
            if verdict.kind == "permanent" or attempt >= policy.max_attempts:
                return self._result(step, "failed", verdict, attempt, data)
            delay = policy.delay(attempt, verdict.retry_after, self._rng)
            if not deadline.allows(delay + self.settings.connect_timeout_ms / 1000):
                return self._result(step, "failed", verdict, attempt, data)
            if verdict.code.startswith("InvalidSecurityToken"):
                self._forget_clients()
            self._sleep(delay)

    @staticmethod
    def _result(
        step: Step, result: StepResultName, verdict: Verdict, attempts: int, data: dict[str, Any]
    ) -> StepResult:
        return StepResult(step, result, verdict.kind, attempts, verdict.request_id, verdict.code, verdict.message, data)

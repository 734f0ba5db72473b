"""A small client for the control plane, for tests, the demo and benchmarks in other processes."""

from __future__ import annotations

import contextlib
import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlencode


class ControlPlaneError(RuntimeError):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"{status}: {detail}")
        self.status = status
        self.detail = detail


class ControlClient:
    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        if not base_url.startswith(("http://127.", "http://localhost", "http://[::1]")):
            raise ValueError(f"base_url: {base_url} is not a loopback URL")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def _call(self, method: str, path: str, body: object | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(  # noqa: S310 - loopback checked in __init__
            self.base_url + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            detail = error.read().decode("utf-8", "replace")
            with contextlib.suppress(ValueError, AttributeError):
                detail = json.loads(detail).get("error", detail)
            raise ControlPlaneError(error.code, detail) from None

    def health(self) -> dict[str, Any]:
        return dict(self._call("GET", "/health"))

    def state(self, service: str | None = None) -> dict[str, Any]:
        return dict(self._call("GET", f"/state/{service}" if service else "/state"))

    def reset(self) -> None:
        self._call("POST", "/reset")

    def seed(self, seed: dict[str, Any]) -> dict[str, Any]:
        return dict(self._call("POST", "/seed", seed))

    def add_fault(self, **rule: Any) -> dict[str, Any]:
        return dict(self._call("POST", "/faults", rule))

    def faults(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "/faults"))

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def calls(self, service: str | None = None, action: str | None = None, since: int = 0) -> list[dict[str, Any]]:
        query = {k: v for k, v in {"service": service, "action": action, "since": since}.items() if v}
        return list(self._call("GET", "/calls" + ("?" + urlencode(query) if query else "")))

    def put_credential(self, **credential: Any) -> dict[str, Any]:
        return dict(self._call("POST", "/credentials", credential))

    def expire_credential(self, access_key_id: str) -> dict[str, Any]:
        return dict(self._call("POST", f"/credentials/{access_key_id}/expire"))

    def invoke_function(self, resource: str, event: Any = None) -> Any:
        """Invoke a function of the local FC runtime synchronously; returns its result."""
        return self._call("POST", f"/fc/functions/{resource}/invoke", event)["result"]

    def fire_timer(self, resource: str) -> Any:
        """Fire a function's timer trigger now, with the payload s.yaml gives it."""
        return self._call("POST", f"/fc/timers/{resource}/fire")["result"]

    def advance_clock(self, seconds: float) -> dict[str, Any]:
        return dict(self._call("POST", "/clock/advance", {"seconds": seconds}))

    def set_dms_quota(
        self, qps: float | None, actions: dict[str, float] | None = None, retry_after: bool = True
    ) -> dict[str, Any]:
        """Account-wide calls per second per DMS API (None lifts the quota); answers the quota and its counters."""
        body = {"qps": qps, "actions": actions or {}, "retry_after": retry_after}
        return dict(self._call("PUT", "/dms/quota", body))

    def dms_quota(self) -> dict[str, Any]:
        return dict(self._call("GET", "/dms/quota"))

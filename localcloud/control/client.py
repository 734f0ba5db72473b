"""A small client for the control plane, for tests, the demo and benchmarks in other processes."""

from __future__ import annotations

import contextlib
import json
import urllib.error
import urllib.request
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote, urlencode


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

    def _call(self, method: str, path: str, body: object | None = None, timeout: float | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(  # noqa: S310 - loopback checked in __init__
            self.base_url + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout or self.timeout) as response:  # noqa: S310
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

    def add_dingtalk_user(self, userid: str, name: str, **fields: Any) -> dict[str, Any]:
        """Add or replace a person of the DingTalk organisation (mobile, email, title, job_number, dept_id_list,
        extension as a dict, hired_date, active, admin, boss, ...); answers them, the mobile masked."""
        return dict(self._call("POST", "/dingtalk/users", {"userid": userid, "name": name, **fields}))

    def remove_dingtalk_user(self, userid: str) -> dict[str, Any]:
        """The person leaves the organisation: topapi/v2/user/get answers 60121 for them from now on."""
        return dict(self._call("DELETE", f"/dingtalk/users/{quote(userid, safe='')}"))

    def dingtalk_push(
        self, event_type: str, user_ids: Sequence[str] = (), timeout: float | None = None, **options: Any
    ) -> dict[str, Any]:
        """DingTalk pushes an address-book event to the webhook; answers the delivery after its first attempt.
        Options: event_id, casing ("camel"/"pascal"), query_names ("signature"/"msg_signature"), url,
        retry_delays, wait, tamper ("signature"/"owner_key"/"stale_timestamp"/"aes_key"), diff_info,
        show_plaintext."""
        body = {"event_type": event_type, "user_ids": list(user_ids), **options}
        return dict(self._call("POST", "/dingtalk/push", body, timeout))

    def dingtalk_check_url(self, **options: Any) -> dict[str, Any]:
        """DingTalk's URL handshake (an encrypted `check_url`), made once as when the URL is saved."""
        return self.dingtalk_push("check_url", **options)

    def feishu_push(
        self,
        event_type: str,
        user: dict[str, Any],
        old_user: dict[str, Any] | None = None,
        timeout: float | None = None,
        **options: Any,
    ) -> dict[str, Any]:
        """Feishu pushes a contact.user.*_v3 event to the webhook; answers the delivery after its first attempt.
        Options: event_id, encrypt, url, retry_delays, wait, tamper ("signature"/"token"/"encrypt_key"),
        show_plaintext."""
        body: dict[str, Any] = {"event_type": event_type, "user": user, **options}
        if old_user is not None:
            body["old_user"] = old_user
        return dict(self._call("POST", "/feishu/push", body, timeout))

    def feishu_url_verification(self, encrypt: bool = True, **options: Any) -> dict[str, Any]:
        """Feishu's URL handshake: the challenge must come back within 1 s. Options: url, challenge."""
        return dict(self._call("POST", "/feishu/url_verification", {"encrypt": encrypt, **options}))

    def deliveries(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "/hr/deliveries"))

    def delivery(self, delivery_id: str, show_plaintext: bool = False) -> dict[str, Any]:
        query = "?show_plaintext=true" if show_plaintext else ""
        return dict(self._call("GET", f"/hr/deliveries/{quote(delivery_id, safe='')}{query}"))

    def add_ram_user(self, user_name: str, **fields: Any) -> dict[str, Any]:
        """Add or replace a RAM user (user_id: 16 digits, made up when not given; display_name, email,
        mobile_phone, comments)."""
        return dict(self._call("POST", "/ram/users", {"user_name": user_name, **fields}))

    def remove_ram_user(self, user_name: str) -> dict[str, Any]:
        return dict(self._call("DELETE", f"/ram/users/{quote(user_name, safe='')}"))

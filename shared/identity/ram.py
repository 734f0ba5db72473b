"""RAM's GetUser (API 2015-05-01): the UID of a RAM user, by name, for the `RAM_USER_TEMPLATE` strategy.

Called through the OpenAPI core as `alibabacloud-ram20150501` calls it (shared.infra.openapi), with the function
role's credentials; the role needs `ram:GetUser` (deploy/ram-policy.json). RAM is central: ram.aliyuncs.com.
"""

from __future__ import annotations

from collections.abc import Callable

from shared.infra.credentials import PerCredentials, RoleCredentials
from shared.infra.openapi import call_rpc, core_client, split_endpoint

VERSION = "2015-05-01"
NO_SUCH_USER = frozenset({"EntityNotExist.User"})
TRANSIENT_CODES = frozenset({"ServiceUnavailable", "InternalError", "NetworkError"})


class RamError(Exception):
    def __init__(self, code: str, message: str, *, retryable: bool) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.retryable = retryable


class RamDirectory:
    def __init__(
        self,
        endpoint: str,
        region: str,
        credentials: Callable[[], RoleCredentials],
        *,
        connect_ms: int = 2000,
        read_ms: int = 5000,
    ) -> None:
        protocol, host = split_endpoint(endpoint)
        self._core = PerCredentials(
            credentials, lambda current: core_client(host, protocol, region, current, connect_ms, read_ms)
        )
        self.connect_ms = connect_ms
        self.read_ms = read_ms

    def user_id(self, user_name: str) -> str | None:
        """The RAM user's UserId, or None when RAM has no user of that name."""
        try:
            body = call_rpc(
                self._core.get(), "GetUser", VERSION, {"UserName": user_name}, self.read_ms, self.connect_ms
            )
        except Exception as error:  # the core raises TeaException and transport errors alike
            code = str(getattr(error, "code", "") or type(error).__name__)
            if code in NO_SUCH_USER:
                return None
            status = getattr(error, "status_code", None) or getattr(error, "statusCode", None)
            retryable = code in TRANSIENT_CODES or code.startswith("Throttling") or not isinstance(status, int)
            retryable = retryable or (isinstance(status, int) and status >= 500)
            message = str(getattr(error, "message", "") or error)[:200]
            raise RamError(code, message, retryable=retryable) from None
        user = body.get("User")
        found = user.get("UserId") if isinstance(user, dict) else None
        if not isinstance(found, str) or not found:
            raise RamError("BadAnswer", "GetUser answered without User.UserId", retryable=True)
        return found

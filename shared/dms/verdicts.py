"""Every DMS answer and failure sorted into one of four kinds, in one place.

- `ok`: done now.
- `already`: the effect already holds (user registered, member present): success for an idempotent pipeline.
- `transient`: throttling, 5xx, timeouts, dropped connections, an STS token that expired mid-flight: retry.
- `permanent`: bad parameters, permission, unknown tenant or workspace: retrying cannot help.

DMS reports business errors in the body (`Success: false`, `ErrorCode`) and gateway errors as HTTP 4xx/5xx,
and the docs show "user already exists" both ways (`ErrorCode "403"` with a message, and `Code "UserExisted"`),
so both are recognised. Codes the docs do not confirm can be extended without a release:
DMS_ALREADY_CODES and DMS_TRANSIENT_CODES (comma-separated, read once by shared.config) add to the tables below.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Kind = Literal["ok", "already", "transient", "permanent"]

ALREADY_CODES = frozenset({"UserExisted", "UserAlreadyExists", "DMS-DA-40901", "MemberAlreadyExists"})
ABSENT_CODES = frozenset({"TargetUserNotExist", "UserNotExist"})
ABSENT_MESSAGES = ("user not exist", "user does not exist", "user not exists")
"""How DMS says "no such user" to GetUser (and to a repeated DeleteUser). The live answer is unconfirmed: the
DisableUser, EnableUser and DeleteUser samples carry the message "The specified user not exists." with ErrorCode
"403", the error table's UserNotExist is worded about the caller, and TargetUserNotExist is the local cloud's;
DMS_ABSENT_CODES adds more."""
NOT_MEMBER_CODES = frozenset({"DMS-DA-40412"})
"""Removing, or changing the role of, someone who is not a member (a code of ours, by the DMS-DA pattern)."""
WORKSPACE_MISSING_CODES = frozenset({"DMS-DA-40411"})
ALREADY_MESSAGES = ("already exists", "already exist", "already a member", "already in the workspace")
TRANSIENT_CODES = frozenset(
    {
        "Throttling",
        "Throttling.User",
        "Throttling.Api",
        "Throttling.System",
        "ServiceUnavailable",
        "InternalError",
        "UnknownError",
        "InvalidSecurityToken.Expired",
        "SignatureNonceUsed",
        "DMS-DA-50001",
    }
)


@dataclass(frozen=True)
class Verdict:
    kind: Kind
    code: str = ""
    message: str = ""
    request_id: str = ""
    status: int | None = None
    retry_after: float | None = None
    """Seconds the server asked us to wait (`x-acs-retry-after`, read as milliseconds)."""

    @property
    def answered(self) -> bool:
        """DMS itself answered (a network failure or a timeout did not)."""
        return self.code != "NetworkError"

    @property
    def throttled(self) -> bool:
        """DMS's flow control said no: the caller's pace, not this call, is what must change."""
        return self.retry_after is not None or self.status == 429 or "Throttling" in self.code


@dataclass(frozen=True)
class ExtraCodes:
    """Codes a deployment adds to the tables (DMS_ALREADY_CODES, DMS_TRANSIENT_CODES)."""

    already: frozenset[str] = frozenset()
    transient: frozenset[str] = frozenset()
    absent: frozenset[str] = frozenset()


NO_EXTRA_CODES = ExtraCodes()


def _is_already(code: str, message: str, extra: ExtraCodes) -> bool:
    if code in ALREADY_CODES or code in extra.already:
        return True
    lowered = message.lower()
    return any(phrase in lowered for phrase in ALREADY_MESSAGES)


def is_absent(verdict: Verdict, extra: ExtraCodes = NO_EXTRA_CODES) -> bool:
    """The answer says the user does not exist (rather than that the call failed)."""
    if verdict.code in ABSENT_CODES or verdict.code in extra.absent:
        return True
    lowered = verdict.message.lower()
    return any(phrase in lowered for phrase in ABSENT_MESSAGES)


def _is_transient_code(code: str, extra: ExtraCodes) -> bool:
    return code in TRANSIENT_CODES or code.startswith("Throttling") or code in extra.transient


def classify_body(body: Mapping[str, object], extra: ExtraCodes = NO_EXTRA_CODES) -> Verdict:
    """A 2xx answer: success, or a business error carried in the body."""
    request_id = str(body.get("RequestId") or "")
    if body.get("Success") is not False and not body.get("ErrorCode"):
        return Verdict("ok", request_id=request_id)
    code = str(body.get("ErrorCode") or "")
    message = str(body.get("ErrorMessage") or "")
    if _is_already(code, message, extra):
        return Verdict("already", code, message, request_id)
    if body.get("Success") is True:
        return Verdict("ok", code, message, request_id)
    kind: Kind = "transient" if _is_transient_code(code, extra) else "permanent"
    return Verdict(kind, code, message, request_id)


def classify_exception(error: BaseException, extra: ExtraCodes = NO_EXTRA_CODES) -> Verdict:
    """What the tea SDK raised: gateway errors, timeouts and dropped connections."""
    status = getattr(error, "status_code", None) or getattr(error, "statusCode", None)
    code = getattr(error, "code", None)
    if code is not None or status is not None:
        code = str(code or "")
        data = getattr(error, "data", None)
        message = str(data.get("Message", "")) if isinstance(data, dict) else str(getattr(error, "message", ""))
        request_id = str(getattr(error, "request_id", "") or "")
        if not request_id and isinstance(data, dict):
            request_id = str(data.get("RequestId", ""))
        retry_after_ms = getattr(error, "retry_after", None)
        retry_after = retry_after_ms / 1000 if isinstance(retry_after_ms, (int, float)) and retry_after_ms > 0 else None
        status_code = int(status) if isinstance(status, int) else None
        if _is_already(code, message, extra):
            return Verdict("already", code, message, request_id, status_code)
        transient = (
            retry_after is not None
            or _is_transient_code(code, extra)
            or (status_code is not None and (status_code >= 500 or status_code == 429))
        )
        kind: Kind = "transient" if transient else "permanent"
        return Verdict(kind, code, message, request_id, status_code, retry_after)
    if _is_network_failure(error):
        return Verdict("transient", "NetworkError", str(error)[:300])
    return Verdict("permanent", type(error).__name__, str(error)[:300])


def _is_network_failure(error: BaseException) -> bool:
    """Timeouts and connection failures reach us as darabonba's UnretryableException around a RetryError."""
    names = {cls.__name__ for cls in type(error).__mro__}
    if names & {"UnretryableException", "RetryError", "ConnectionError", "TimeoutError", "OSError"}:
        return True
    inner = getattr(error, "inner_exception", None)
    return inner is not None and inner is not error and _is_network_failure(inner)

"""Every error the Tablestore emulator answers with, in one table, each row with where it comes from.

On the wire an error is HTTP status plus a protobuf `Error{code=1, message=2}` body (fact sheet §4, §7).
`source` is a doc URL or SDK test, or starts with `assumption:` where neither says. Messages may hold
`{placeholders}` that `OtsError.error()` fills.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from localcloud.wire import ServiceError

ERROR_CODES = "https://www.alibabacloud.com/help/en/tablestore/developer-reference/error-codes"
SDK_TESTS = "aliyun/aliyun-tablestore-python-sdk@46d6882 tests (fact sheet §7)"
FIVE_XX = "https://help.aliyun.com/en/tablestore/support/why-do-5xx-related-errors-occur-when-i-use-tablestore"


@dataclass(frozen=True)
class Row:
    code: str
    status: int
    message: str
    source: str


class OtsError(Enum):
    MISSING_HEADER = Row("OTSParameterInvalid", 400, "Missing header: {name}.", ERROR_CODES)
    INVALID_DATE = Row("OTSParameterInvalid", 400, "Invalid date format: {date}.", ERROR_CODES)
    UNSUPPORTED_OPERATION = Row("OTSParameterInvalid", 400, "Unsupported operation: {operation}.", ERROR_CODES)
    METHOD_NOT_ALLOWED = Row("OTSMethodNotAllowed", 405, "Only POST method is supported.", ERROR_CODES)
    BODY_TOO_LARGE = Row("OTSRequestBodyTooLarge", 413, "The request body is too large.", ERROR_CODES)
    TIME_SKEW = Row("OTSAuthFailed", 403, "Mismatch between system time and x-ots-date: {date}.", ERROR_CODES)
    MD5_MISMATCH = Row(
        "OTSAuthFailed", 403, "Mismatch between MD5 value of request body and x-ots-contentmd5 in header.", ERROR_CODES
    )
    SIGNATURE_MISMATCH = Row("OTSAuthFailed", 403, "Signature mismatch.", ERROR_CODES)
    ACCESS_KEY_NOT_EXIST = Row(
        "OTSAuthFailed",
        403,
        "The AccessKeyID does not exist.",
        "assumption: code from the error-codes page, wording ours",
    )
    TOKEN_INVALID = Row(
        "OTSAuthFailed",
        403,
        "The security token you provided is invalid.",
        "assumption: code from the error-codes page, wording ours (STS token missing, wrong or expired)",
    )
    INSTANCE_NOT_FOUND = Row(
        "OTSAuthFailed",
        403,
        "The instance is not found: {instance}.",
        "assumption: the emulator serves one instance; the real endpoint is per instance",
    )
    NO_PERMISSION = Row(
        "OTSNoPermissionAccess",
        403,
        "You have no permission to access the requested resource, please contact the resource owner.",
        "assumption: code from the error-codes page; the RAM action is ots:<Action>",
    )
    PARAMETER_INVALID = Row(
        "OTSParameterInvalid",
        400,
        "{detail}",
        f"{ERROR_CODES}; only with the messages {SDK_TESTS} assert (duplicated or BOOLEAN primary key, empty batches, "
        "GetRange bounds and limit)",
    )
    INVALID_ASSUMED = Row(
        "OTSParameterInvalid",
        400,
        "{detail}",
        "assumption: the code is the error-codes page's for a bad parameter; the message is ours (schema and name "
        "checks, limits, malformed protobuf or PlainBuffer, increments, versions, conditions)",
    )
    INVALID_PK = Row("OTSInvalidPK", 400, "{detail}", SDK_TESTS)
    TABLE_NOT_EXIST = Row("OTSObjectNotExist", 404, "Requested table does not exist.", SDK_TESTS)
    TABLE_EXISTS = Row("OTSObjectAlreadyExist", 409, "Requested table already exists.", SDK_TESTS)
    CONDITION_CHECK_FAIL = Row("OTSConditionCheckFail", 403, "Condition check failed.", SDK_TESTS)
    QUOTA_EXHAUSTED = Row(
        "OTSQuotaExhausted",
        403,
        "Number of tables exceeded the quota.",
        "assumption: wording ours; limit 64 per instance",
    )
    SERVER_BUSY = Row("OTSServerBusy", 503, "Server is busy.", FIVE_XX)
    INTERNAL = Row("OTSInternalServerError", 500, "Internal server error.", ERROR_CODES)

    def error(self, **values: object) -> ServiceError:
        row = self.value
        return ServiceError(row.status, row.code, row.message.format_map(_Defaults(values)))


class _Defaults(dict[str, object]):
    def __missing__(self, key: str) -> str:
        return ""

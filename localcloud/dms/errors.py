"""Every error the DMS emulator answers with, in one table.

Gateway errors (signature, credentials, RAM, routing, throttling) travel as HTTP 4xx/5xx JSON. Business errors
travel the way `--dms-error-style` says, because the docs show all three forms for "user already exists":

- `body` (default): HTTP 200, `{"Success": false, "ErrorCode": "<code>", "ErrorMessage": ...}`;
- `body-status`: the same with `ErrorCode` set to the HTTP status as a string (the RegisterUser page's sample
  shows `"ErrorCode": "403"`);
- `gateway`: the HTTP status with `{"Code": "<code>", "Message": ...}` (the DMS "返回结果" page).

`source` says where each row comes from; `assumption:` marks a row the docs do not confirm.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from localcloud.wire import ServiceError

GATEWAY_CODES = "https://developer.aliyun.com/ask/278265"
DMS_CODES = "https://help.aliyun.com/document_detail/466054.html"
REGISTER_USER = "https://help.aliyun.com/document_detail/98001.html"
ADD_MEMBER = (
    "https://www.alibabacloud.com/help/en/dms/developer-reference/api-dms-2025-04-14-addusertodataagentworkspace"
)

Kind = Literal["gateway", "business"]


@dataclass(frozen=True)
class DmsError:
    code: str
    status: int
    message: str
    kind: Kind
    source: str

    def error(self, message: str | None = None, **extra: object) -> ServiceError:
        return ServiceError(self.status, self.code, message or self.message, extra={"kind": self.kind, **extra})


def gateway(code: str, status: int, message: str, source: str = GATEWAY_CODES) -> DmsError:
    return DmsError(code, status, message, "gateway", source)


def business(code: str, status: int, message: str, source: str) -> DmsError:
    return DmsError(code, status, message, "business", source)


SIGNATURE_DOES_NOT_MATCH = gateway(
    "SignatureDoesNotMatch", 400, "Specified signature is not matched with our calculation."
)
INCOMPLETE_SIGNATURE = gateway(
    "IncompleteSignature",
    400,
    "The request signature does not conform to Aliyun standards.",
    "assumption: code from terraform-provider-alicloud's error constants; wording and status ours",
)
INVALID_ACCESS_KEY_ID = gateway("InvalidAccessKeyId.NotFound", 404, "Specified access key is not found.")
MISSING_SECURITY_TOKEN = gateway(
    "MissingSecurityToken",
    400,
    "SecurityToken is mandatory for this action.",
    "assumption: code from terraform-provider-alicloud's error constants; wording and status ours",
)
SECURITY_TOKEN_EXPIRED = gateway("InvalidSecurityToken.Expired", 400, "Specified SecurityToken is expired.")
SECURITY_TOKEN_MISMATCH = gateway(
    "InvalidSecurityToken.MismatchWithAccessKey", 400, "Specified SecurityToken mismatch with the AccessKey."
)
TIMESTAMP_FORMAT = gateway("InvalidTimeStamp.Format", 400, "Specified time stamp or date value is not well formatted.")
TIMESTAMP_EXPIRED = gateway("InvalidTimeStamp.Expired", 400, "Specified time stamp or date value is expired.")
NONCE_USED = gateway("SignatureNonceUsed", 400, "Specified signature nonce was used already.")
CONTENT_HASH_MISMATCH = gateway(
    "ContentSHA256NotMatched",
    400,
    "The x-acs-content-sha256 header does not match the request body.",
    "assumption: the gateway's code for this is not published",
)
FORBIDDEN_RAM = gateway(
    "Forbidden.RAM",
    403,
    "User not authorized to operate on the specified resource, or this API doesn't support RAM.",
    "https://help.aliyun.com/document_detail/51132.html",
)
API_NOT_FOUND = gateway("InvalidApi.NotFound", 404, "Specified api is not found, please check your url and method.")
INVALID_VERSION = gateway(
    "InvalidVersion",
    400,
    "Specified parameter Version is not valid.",
    "assumption: POP's usual code for an unknown version; not in the DMS tables",
)
INVALID_PARAMETER = gateway(
    "InvalidParameter",
    400,
    "The parameter {name} is not valid: {reason}.",
    "assumption: POP's generic code for a parameter of the wrong type",
)
THROTTLING_USER = gateway("Throttling.User", 400, "Request was denied due to user flow control.")
SERVICE_UNAVAILABLE = gateway(
    "ServiceUnavailable", 503, "The request has failed due to a temporary failure of the server."
)
INTERNAL_ERROR = gateway(
    "InternalError", 500, "The request processing has failed due to some unknown error, exception or failure."
)

USER_EXISTED = business("UserExisted", 403, "The specified user already exists.", f"{REGISTER_USER} and {DMS_CODES}")
TENANT_NOT_EXIST = business("TenantNotExist", 404, "The specified tenant does not exist.", DMS_CODES)
USER_NOT_EXIST = business(
    "UserNotExist",
    404,
    "The specified user does not exist.",
    f"{DMS_CODES}; assumption: a workspace member must first be a registered DMS user",
)
INVALID_ROLE = business(
    "InvalidRoleName",
    400,
    "The specified role name {role} is not valid; use USER, DBA, ADMIN or SECURITY_ADMIN.",
    "assumption: RegisterUser documents the four roles, not the error for others",
)
INVALID_UID = business(
    "InvalidUid",
    400,
    "The specified Uid is not valid: it must be the digits of an Alibaba Cloud account UID.",
    "assumption: the docs show digit UIDs only",
)
DA_INVALID_PARAMETER = business("DMS-DA-40114", 400, "Specified parameter is not valid.", ADD_MEMBER)
DA_WORKSPACE_NOT_FOUND = business(
    "DMS-DA-40411",
    404,
    "The specified workspace does not exist.",
    "assumption: follows the DMS-DA-<status><nn> pattern of DMS-DA-40114 and DMS-DA-40411 in the SDK docs",
)
DA_MEMBER_EXISTS = business(
    "DMS-DA-40901",
    409,
    "The user is already a member of the workspace.",
    "assumption: follows the DMS-DA-<status><nn> pattern; the real answer to a repeated add is not published",
)

ALL: tuple[DmsError, ...] = tuple(v for v in list(globals().values()) if isinstance(v, DmsError))


def missing(name: str) -> ServiceError:
    """`Missing{ParameterName}`, as the gateway names it."""
    return ServiceError(400, f"Missing{name}", f"{name} is mandatory for this action.", extra={"kind": "gateway"})


def invalid_parameter(name: str, reason: str) -> ServiceError:
    return INVALID_PARAMETER.error(INVALID_PARAMETER.message.format(name=name, reason=reason))

"""Every error the DMS emulator answers with, in one table, each row with where it comes from.

Two kinds travel differently. Gateway errors (signature, credentials, RAM, routing, throttling) are always
HTTP 4xx/5xx JSON `{RequestId, HostId, Code, Message, Recommend}`. Business errors travel as the configured
`dms_error_style` says, because the docs show "user already exists" in all three forms:

- `body` (default): HTTP 200 with `{"Success": false, "ErrorCode": "<code>", "ErrorMessage": ...}`;
- `body-status`: the same with `ErrorCode` set to the row's HTTP status as a string (the RegisterUser page's
  sample shows `"ErrorCode": "403"` for an existing user);
- `gateway`: the row's HTTP status with the gateway body (the DMS "返回结果" page shows `Code "UserExisted"`).

`source` is a doc URL, or starts with `assumption:` where the docs are silent. Messages and codes may hold
`{placeholders}` that `DmsError.error()` fills (`Missing{name}`, the offending role).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Literal

from localcloud.wire import ServiceError

GATEWAY_CODES = "https://developer.aliyun.com/ask/278265"
STS_CODES = "Function Compute common error table (wire-protocol notes §2.2)"
DMS_CODES = "https://help.aliyun.com/document_detail/466054.html"
REGISTER_USER = "https://help.aliyun.com/document_detail/98001.html"
DMS_RESULTS = "https://help.aliyun.com/document_detail/98007.html"
ADD_MEMBER = (
    "https://www.alibabacloud.com/help/en/dms/developer-reference/api-dms-2025-04-14-addusertodataagentworkspace"
)
TERRAFORM = "terraform-provider-alicloud error constants"
USER_OPERATIONS = (
    "the DisableUser, EnableUser and DeleteUser pages' samples"
    " (https://alibabacloud.com/help/en/dms/api-disableuser, https://help.aliyun.com/document_detail/465814.html,"
    " https://alibabacloud.com/help/en/dms/api-deleteuser)"
)
LIST_USERS = "https://help.aliyun.com/document_detail/141938.htm"

Kind = Literal["gateway", "business"]


@dataclass(frozen=True)
class Row:
    code: str
    status: int
    message: str
    kind: Kind
    source: str


class DmsError(Enum):
    """The table. A member's name is how code raises it; its value is what the wire shows."""

    INCOMPLETE_SIGNATURE = Row(
        "IncompleteSignature",
        400,
        "The request signature does not conform to Aliyun standards: {reason}.",
        "gateway",
        f"assumption: code from {TERRAFORM}; status and wording ours",
    )
    INVALID_ACCESS_KEY_ID = Row(
        "InvalidAccessKeyId.NotFound", 404, "Specified access key is not found.", "gateway", GATEWAY_CODES
    )
    CONTENT_HASH_MISMATCH = Row(
        "ContentSHA256NotMatched",
        400,
        "The x-acs-content-sha256 header does not match the request body.",
        "gateway",
        f"assumption: by analogy with ContentMD5NotMatched in {TERRAFORM}; the V3 gateway's code is not published",
    )
    SIGNATURE_DOES_NOT_MATCH = Row(
        "SignatureDoesNotMatch",
        400,
        "Specified signature is not matched with our calculation.",
        "gateway",
        f"{GATEWAY_CODES}; the V3 wording is not published, so the V2 one is used without its string to sign",
    )
    TIMESTAMP_FORMAT = Row(
        "InvalidTimeStamp.Format",
        400,
        "Specified time stamp or date value is not well formatted.",
        "gateway",
        GATEWAY_CODES,
    )
    TIMESTAMP_EXPIRED = Row(
        "InvalidTimeStamp.Expired",
        400,
        "Specified time stamp or date value is expired.",
        "gateway",
        f"{GATEWAY_CODES} (skew of more than 15 minutes)",
    )
    NONCE_USED = Row("SignatureNonceUsed", 400, "Specified signature nonce was used already.", "gateway", GATEWAY_CODES)
    MISSING_SECURITY_TOKEN = Row(
        "MissingSecurityToken",
        400,
        "SecurityToken is mandatory for this action.",
        "gateway",
        f"assumption: code from {TERRAFORM}; status and wording follow Missing{{ParameterName}} of {GATEWAY_CODES}",
    )
    SECURITY_TOKEN_EXPIRED = Row(
        "InvalidSecurityToken.Expired", 400, "Specified SecurityToken is expired.", "gateway", STS_CODES
    )
    SECURITY_TOKEN_MISMATCH = Row(
        "InvalidSecurityToken.MismatchWithAccessKey",
        400,
        "Specified SecurityToken mismatch with the AccessKey.",
        "gateway",
        STS_CODES,
    )
    FORBIDDEN_RAM = Row(
        "Forbidden.RAM",
        403,
        "User not authorized to operate on the specified resource, or this API doesn't support RAM.",
        "gateway",
        "https://help.aliyun.com/document_detail/51132.html",
    )
    API_NOT_FOUND = Row(
        "InvalidApi.NotFound",
        404,
        "Specified api is not found, please check your url and method.",
        "gateway",
        GATEWAY_CODES,
    )
    INVALID_VERSION = Row(
        "InvalidVersion",
        400,
        "Specified parameter Version is not valid.",
        "gateway",
        "assumption: POP's usual code for a version the product does not offer; not in the DMS tables",
    )
    MISSING_PARAMETER = Row("Missing{name}", 400, "{name} is mandatory for this action.", "gateway", GATEWAY_CODES)
    INVALID_PARAMETER = Row(
        "InvalidParameter",
        400,
        "The parameter {name} is not valid: {reason}.",
        "gateway",
        "assumption: POP's generic code for a parameter of the wrong type (wire-protocol notes §2.3 example)",
    )
    THROTTLING_USER = Row(
        "Throttling.User", 400, "Request was denied due to user flow control.", "gateway", GATEWAY_CODES
    )
    SERVICE_UNAVAILABLE = Row(
        "ServiceUnavailable",
        503,
        "The request has failed due to a temporary failure of the server.",
        "gateway",
        GATEWAY_CODES,
    )
    INTERNAL_ERROR = Row(
        "InternalError",
        500,
        "The request processing has failed due to some unknown error, exception or failure.",
        "gateway",
        GATEWAY_CODES,
    )

    USER_EXISTED = Row(
        "UserExisted",
        403,
        "The specified user already exists.",
        "business",
        f"{REGISTER_USER}, {DMS_RESULTS} and {DMS_CODES}",
    )
    TENANT_NOT_EXIST = Row(
        "TenantNotExist",
        404,
        "The specified tenant does not exist.",
        "business",
        f"{DMS_CODES} (code and status); assumption: the wording",
    )
    USER_NOT_EXIST = Row(
        "UserNotExist",
        404,
        "The specified user does not exist in the tenant of the workspace.",
        "business",
        f"{DMS_CODES} (code and status); assumption: that AddUserToDataAgentWorkspace answers it for a member who"
        " is not a registered DMS user of the workspace's tenant, and the wording",
    )
    TARGET_USER_NOT_EXIST = Row(
        "TargetUserNotExist",
        403,
        "The specified user not exists.",
        "business",
        f"{USER_OPERATIONS} (message, and 403 as their ErrorCode); assumption: the code name, ours, since"
        f" UserNotExist of {DMS_CODES} is about the caller; and that GetUser and UpdateUser answer it too, and every"
        " operation but GetUser, ListUsers and RegisterUser for a deleted user",
    )
    USER_STATUS_ILLEGAL = Row(
        "UserStatusIllegal",
        404,
        "The user status is invalid: {reason}.",
        "business",
        f"{DMS_CODES} (code, status, message); assumption: that DisableUser of a disabled user and EnableUser of"
        " a normal one answer it, and the reason appended",
    )
    INVALID_TID = Row(
        "InvalidTid",
        400,
        "Specified parameter Tid is not valid.",
        "business",
        f"{LIST_USERS} (code and message, ListUsers' sample); assumption: the status, and that ListUsers answers it"
        " for a tenant that does not exist",
    )
    NO_PERMISSION = Row(
        "NoPermission",
        403,
        "The current user does not have permission to perform this operation.",
        "business",
        f"{DMS_CODES} (code and status); assumption: the wording; the emulator does not model DMS administrators,"
        " so only a fault rule produces it",
    )
    INVALID_ROLE = Row(
        "InvalidRoleName",
        400,
        "The specified role name {role} is not valid; use USER, DBA, ADMIN or SECURITY_ADMIN.",
        "business",
        f"assumption: {REGISTER_USER} lists the four roles but not the error for another one",
    )
    INVALID_UID = Row(
        "InvalidUid",
        400,
        "The specified Uid {uid} is not valid: it must be the digits of an Alibaba Cloud account UID.",
        "business",
        f"assumption: {REGISTER_USER} shows digit UIDs only and no error for others",
    )
    DA_INVALID_PARAMETER = Row(
        "DMS-DA-40114", 400, "Specified parameter is not valid: {reason}.", "business", f"{ADD_MEMBER} (code)"
    )
    DA_WORKSPACE_NOT_FOUND = Row(
        "DMS-DA-40411",
        404,
        "The specified workspace {workspace} does not exist.",
        "business",
        "assumption: DMS-DA-40411 exists (GetDataAgentTaskModelUsage SDK docs, message UnknownError); its use for"
        " a missing workspace follows the DMS-DA-<status><nn> pattern",
    )
    DA_MEMBER_NOT_FOUND = Row(
        "DMS-DA-40412",
        404,
        "The user {uid} is not a member of the workspace {workspace}.",
        "business",
        "assumption: the DMS-DA-<status><nn> pattern; what UpdateDataAgentWorkspaceMemberRole and"
        " RemoveUserToDataAgentWorkspace answer for someone who is not a member is not published",
    )
    DA_MEMBER_EXISTS = Row(
        "DMS-DA-40901",
        409,
        "The user is already a member of the workspace, with role {role}.",
        "business",
        "assumption: the DMS-DA-<status><nn> pattern; the real answer to a repeated add is not published",
    )

    @property
    def code(self) -> str:
        return self.value.code

    @property
    def status(self) -> int:
        return self.value.status

    @property
    def message(self) -> str:
        return self.value.message

    @property
    def kind(self) -> Kind:
        return self.value.kind

    def error(
        self, *, detail: Mapping[str, object] | None = None, retry_after: int | None = None, **fields: str
    ) -> ServiceError:
        """The exception to raise; `fields` fill the placeholders, `detail` rides along (AccessDeniedDetail), and
        `retry_after` becomes the `x-acs-retry-after` header."""
        extra: dict[str, object] = {"kind": self.kind}
        if detail is not None:
            extra["access_denied_detail"] = dict(detail)
        return ServiceError(
            self.status,
            self.code.format(**fields),
            self.message.format(**fields),
            retry_after=retry_after,
            extra=extra,
        )


_BY_CODE = {member.code: member for member in DmsError if "{" not in member.code}


def lookup(code: str) -> DmsError | None:
    """The row for a code, so that a fault rule naming a business code is answered in the business style."""
    return _BY_CODE.get(code)


def kind_of(error: ServiceError) -> Kind:
    """Errors the emulator raised say their kind; injected ones are classified by their code."""
    kind = error.extra.get("kind")
    if kind == "business":
        return "business"
    if kind == "gateway":
        return "gateway"
    row = lookup(error.code)
    return row.kind if row is not None else "gateway"

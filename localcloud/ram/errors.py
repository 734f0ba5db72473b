"""The RAM errors the emulator answers beyond the POP gateway's, each row with where it comes from.

Signature, credential, routing and permission errors are the POP gateway's, shared with DMS (localcloud/dms/errors.py
and signature.py: the same ACS3 gateway fronts both products). RAM answers every error as a gateway does: the row's
HTTP status with `{RequestId, HostId, Code, Message, Recommend}`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from localcloud.wire import ServiceError

RAM_CODES = "https://www.alibabacloud.com/help/doc-detail/28754.htm (RAM API error codes)"


@dataclass(frozen=True)
class Row:
    code: str
    status: int
    message: str
    source: str


class RamError(Enum):
    ENTITY_NOT_EXIST_USER = Row("EntityNotExist.User", 404, "The user does not exist.", RAM_CODES)
    USER_NAME_INVALID_CHARS = Row(
        "InvalidParameter.UserName.InvalidChars", 400, 'The parameter - "UserName" contains invalid chars.', RAM_CODES
    )
    USER_NAME_LENGTH = Row(
        "InvalidParameter.UserName.Length", 400, 'The parameter - "UserName" beyond the length limit.', RAM_CODES
    )
    MISSING_USER_NAME = Row(
        "MissingUserName",
        400,
        "UserName is mandatory for this action.",
        "assumption: POP's Missing{Parameter} pattern; the 2015-05-01 GetUser page marks UserName required",
    )

    def error(self) -> ServiceError:
        row = self.value
        return ServiceError(row.status, row.code, row.message, extra={"kind": "gateway"})

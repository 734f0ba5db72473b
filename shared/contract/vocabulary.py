"""The contract's words, without pydantic: event types, roles, patterns and limits.

Both the pydantic contract (shared.contract.event) and the webhook's pydantic-free precheck read them here, so
the two cannot drift apart; `Literal` and `get_args` come from `typing`, which costs a cold start nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Literal, get_args

Role = Literal["USER", "DBA", "ADMIN", "SECURITY_ADMIN"]
ROLES: Final[tuple[Role, ...]] = get_args(Role)

WorkspaceRole = Literal["ADMIN", "MEMBER"]
"""Data-Agent workspace roles. DMS documents only the example value "admin" for `RoleName`; ADMIN and MEMBER
are what the local DMS emulator accepts (case-insensitively). Defined here once: change this line (and
LEAST_WORKSPACE_ROLE, what a workspace named without a role is joined with) to follow DMS."""
WORKSPACE_ROLES: Final[tuple[WorkspaceRole, ...]] = get_args(WorkspaceRole)
LEAST_WORKSPACE_ROLE: Final[WorkspaceRole] = "MEMBER"

EventType = Literal["employee.hired", "employee.updated", "employee.left"]
EVENT_TYPES: Final[tuple[EventType, ...]] = get_args(EventType)
NAMED_EVENT_TYPES: Final[frozenset[EventType]] = frozenset({"employee.hired", "employee.updated"})
"""The types whose employee must carry a nickname: they state who the person is in DMS (UserNick). A leave
says only whose access ends, so the uid is all it needs; HR systems that send the whole record may still."""

EVENT_FIELDS: Final = frozenset(
    {"schema_version", "event_id", "source", "type", "occurred_at", "correlation_id", "employee"}
)
REQUIRED_EVENT_FIELDS: Final = EVENT_FIELDS - {"correlation_id"}
EMPLOYEE_FIELDS: Final = frozenset({"uid", "nickname", "mobile", "department", "title", "dms"})
REQUIRED_EMPLOYEE_FIELDS: Final = frozenset({"uid"})
"""What every event's employee needs; NAMED_EVENT_TYPES need NAMED_EMPLOYEE_FIELDS."""
NAMED_EMPLOYEE_FIELDS: Final = REQUIRED_EMPLOYEE_FIELDS | {"nickname"}
DMS_FIELDS: Final = frozenset({"tenant_id", "roles", "workspace_id", "workspace_role", "dms_unit"})

IDENTIFIER_MAX: Final = 128
SOURCE_MAX: Final = 64
NICKNAME_MAX: Final = 64
TEXT_MAX: Final = 128
"""Department and title."""
DIGITS_MAX: Final = 32
"""UIDs and workspace ids: strings of 1 to 32 digits."""

ID_PATTERN: Final = r"^[A-Za-z0-9._:-]+$"
DMS_UNIT_PATTERN: Final = r"^[a-z0-9-]{2,32}$"
PATTERN_REASONS: Final[Mapping[str, str]] = {
    ID_PATTERN: "may contain only ASCII letters, digits and . _ : -",
    DMS_UNIT_PATTERN: "must be a DMS unit such as cn-hangzhou: 2 to 32 lower-case letters, digits or dashes",
}
OCCURRED_AT_PATTERN: Final = (
    r"^[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])[Tt ](?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
    r"(?:\.[0-9]+)?(?:[Zz]|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])$"
)
"""`occurred_at` in the published JSON Schema: an RFC 3339 date-time (section 5.6, with the lower-case t and z
and the space separator its notes allow) whose offset, Z or +hh:mm / -hh:mm, is not optional. Most validators
take `format: date-time` as a mere annotation; a pattern they all apply. Only the schema carries it: parsing
stays pydantic's, which also takes what the pattern does not promise (no seconds, +hhmm, a comma before the
fraction) and refuses what no pattern can see (February 30)."""

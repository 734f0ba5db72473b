"""The HR event contract, version 1: what any HR system (or adapter in front of one) sends to onboard a person.

Every source (DingTalk, Feishu, Workday, a script) is normalised to this one shape before anything else runs,
so the rest of the pipeline never guesses. The contract is versioned (`schema_version`); a change that would
reject yesterday's events is a new version with its own schema file. Its JSON Schema is exported to
events/schemas/hr-event.v1.schema.json for HR-side developers (shared.contract.schema):

    python -m shared.contract --export-schema [PATH]

Choices a sender must know:
- `employee.uid` is the Alibaba Cloud UID as a string: UIDs have 16 digits and more, and JSON numbers past
  2**53 silently lose digits in most HR systems' serialisers, so a number is refused rather than trusted.
- Role names are case-insensitive on input ("dba" is accepted) and always upper-case afterwards, as DMS
  spells them; a role listed twice is an error rather than a silent dedup, since it usually means a typo.
- Free text (nickname, department, title, source) loses control and format characters (Unicode Cc and Cf)
  and surrounding whitespace before its length is checked; department and title left empty count as absent.
- `occurred_at` needs a UTC offset: a naive time is ambiguous across the HR system's and FC's time zones.
- `employee.left` needs only the uid: it says whose access ends, and DMS finds the person by uid. Hires and
  updates also need a nickname, the name DMS shows. Any other field a leave carries is validated as usual, since
  some HR systems send the whole record with every event.
- Mobiles are normalised to E.164 and masked in every printable form (see shared.contract.mobile).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    field_validator,
)
from pydantic.config import JsonDict
from pydantic_core import PydanticCustomError

from shared.contract.mobile import Mobile
from shared.contract.problems import DATETIME_REASON, Problem, problems_from
from shared.contract.strictjson import load_json
from shared.contract.vocabulary import (
    DIGITS_MAX,
    DMS_UNIT_PATTERN,
    EVENT_TYPES,
    ID_PATTERN,
    IDENTIFIER_MAX,
    NAMED_EVENT_TYPES,
    NICKNAME_MAX,
    OCCURRED_AT_PATTERN,
    PATTERN_REASONS,
    ROLES,
    SOURCE_MAX,
    TEXT_MAX,
    WORKSPACE_ROLES,
    EventType,
    Role,
    WorkspaceRole,
)

_DIGITS = re.compile(r"[0-9]+")
_TIMESTAMP_SHAPE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}")
_INVISIBLE = frozenset({"Cc", "Cf"})


def _visible(text: str) -> str:
    if text.isprintable():  # the usual case, decided in C: no control or format characters to drop
        return text.strip()
    return "".join(ch for ch in text if unicodedata.category(ch) not in _INVISIBLE).strip()


def _required_text(value: object) -> object:
    if not isinstance(value, str):
        return value
    cleaned = _visible(value)
    if value and not cleaned:
        raise PydanticCustomError(
            "own_invisible", "must have visible characters (control characters and surrounding spaces are removed)"
        )
    return cleaned


def _optional_text(value: object) -> object:
    if not isinstance(value, str):
        return value
    return _visible(value) or None


def _digit_string(max_digits: int) -> Callable[[object], object]:
    def check(value: object) -> object:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            raise PydanticCustomError("own_digits_number", "must be a string of digits (JSON numbers lose precision)")
        if not isinstance(value, str) or not _DIGITS.fullmatch(value) or len(value) > max_digits:
            raise PydanticCustomError(
                "own_digits", "must be a string of 1 to {max_digits} digits", {"max_digits": max_digits}
            )
        return value

    return check


def _one_of(choices: tuple[str, ...], *, fold_case: bool = False) -> Callable[[object], object]:
    canonical = {(choice.upper() if fold_case else choice): choice for choice in choices}

    def check(value: object) -> object:
        if isinstance(value, str) and value.isascii():
            found = canonical.get(value.upper() if fold_case else value)
            if found is not None:
                return found
        raise PydanticCustomError("own_choice", "must be one of: {choices}", {"choices": ", ".join(choices)})

    return check


def version_one(what: str) -> Callable[[object], object]:
    """A validator for a document's version field: 1 is the only version of `what` this code reads."""

    def check(value: object) -> object:
        if type(value) is int and value == 1:
            return value
        raise PydanticCustomError("own_version", "must be 1, the only {what}", {"what": what})

    return check


def _timestamp(value: object) -> object:
    if isinstance(value, datetime) or (isinstance(value, str) and _TIMESTAMP_SHAPE.match(value)):
        return value
    raise PydanticCustomError("own_timestamp", DATETIME_REASON)


def _representable_in_utc(value: datetime) -> datetime:
    """Events are ordered by their UTC instant, so a time whose UTC form leaves years 1 to 9999 (0001-01-01T00:30
    at +01:00) cannot be ordered and is refused here rather than failing a function later."""
    try:
        value.astimezone(timezone.utc)
    except OverflowError:
        raise PydanticCustomError(
            "own_timestamp_range", "must lie between years 1 and 9999 once converted to UTC"
        ) from None
    return value


def _each_once(roles: list[Role]) -> list[Role]:
    seen: set[str] = set()
    for role in roles:
        if role in seen:
            raise PydanticCustomError("own_duplicate", "must list each role once ({role} is repeated)", {"role": role})
        seen.add(role)
    return roles


_DIGITS_PATTERN = rf"^[0-9]{{1,{DIGITS_MAX}}}$"

Uid = Annotated[
    str,
    StringConstraints(pattern=_DIGITS_PATTERN),
    BeforeValidator(_digit_string(DIGITS_MAX)),
    Field(description="Alibaba Cloud account UID, as a string of digits (DMS Uid and workspace MemberId)."),
]
RoleName = Annotated[Role, BeforeValidator(_one_of(ROLES, fold_case=True))]
RoleList = Annotated[list[RoleName], Field(min_length=1), AfterValidator(_each_once)]
WorkspaceId = Annotated[str, StringConstraints(pattern=_DIGITS_PATTERN), BeforeValidator(_digit_string(DIGITS_MAX))]
WorkspaceRoleName = Annotated[WorkspaceRole, BeforeValidator(_one_of(WORKSPACE_ROLES, fold_case=True))]
DmsUnit = Annotated[str, StringConstraints(pattern=DMS_UNIT_PATTERN)]
Identifier = Annotated[str, StringConstraints(min_length=1, max_length=IDENTIFIER_MAX, pattern=ID_PATTERN)]
Nickname = Annotated[str, StringConstraints(min_length=1, max_length=NICKNAME_MAX), BeforeValidator(_required_text)]
OptionalText = Annotated[
    Annotated[str, StringConstraints(max_length=TEXT_MAX)] | None,
    BeforeValidator(_optional_text),
]


class StrictModel(BaseModel):
    """Unknown keys refused, values frozen, and no input echoed in an error (a value may be a mobile)."""

    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)


class DmsOverrides(StrictModel):
    """DMS access the HR system states outright; each one given wins over the role mapping for this person."""

    tenant_id: StrictInt | None = Field(default=None, description="DMS tenant id (Tid); absent: the mapping's.")
    roles: RoleList | None = Field(default=None, description="DMS roles, case-insensitive on input, each at most once.")
    workspace_id: WorkspaceId | None = Field(
        default=None, description="Data-Agent workspace id, as a string of digits."
    )
    workspace_role: WorkspaceRoleName | None = Field(
        default=None, description="Role in that workspace; needs workspace_id."
    )
    dms_unit: DmsUnit | None = Field(default=None, description="DMS unit of the workspace, e.g. cn-hangzhou.")

    @field_validator("workspace_role")
    @classmethod
    def _role_needs_workspace(cls, role: WorkspaceRole | None, info: ValidationInfo) -> WorkspaceRole | None:
        # An invalid workspace_id is absent from info.data and already reported; only a missing one is None.
        if role is not None and "workspace_id" in info.data and info.data["workspace_id"] is None:
            raise PydanticCustomError(
                "own_role_without_workspace", "needs workspace_id: a workspace role means nothing without its workspace"
            )
        return role


class Employee(StrictModel):
    """The person an event is about, as the HR system knows them; a leave may carry no more than the uid."""

    uid: Uid
    nickname: Nickname | None = Field(
        default=None, description="Display name in DMS (UserNick); required unless the event is employee.left."
    )
    mobile: Mobile | None = Field(
        default=None,
        description='Mobile number: E.164 ("+8613812345678"), "00" and a country code, or a national number of the '
        "default region (CN unless configured); it must be a valid number in its country's numbering plan.",
    )
    department: OptionalText = Field(default=None, description="Department name; the role mapping matches on it.")
    title: OptionalText = Field(default=None, description="Job title; the role mapping matches on it.")
    dms: DmsOverrides | None = None


class NamedEmployee(Employee):
    """The employee of a hire or an update: DMS registers the person under this nickname, so it is required.

    A model of its own rather than a check after validation, so a missing nickname is reported where it always
    was, in the same words ("is required"), alongside every other problem of the event.
    """

    nickname: Nickname = Field(description="Display name in DMS (UserNick).")


_NAMED_EMPLOYEE_SCHEMA: JsonDict = {
    "if": {"properties": {"type": {"enum": [name for name in EVENT_TYPES if name in NAMED_EVENT_TYPES]}}},
    "then": {"properties": {"employee": {"required": ["nickname"], "properties": {"nickname": {"type": "string"}}}}},
}
"""The per-type nickname rule, for the published schema. An event without a type is held to it too, as by
HrEvent: such an event is refused anyway, and the nickname problem is one more thing to fix."""


class HrEvent(StrictModel):
    """One HR change about one person, normalised from whatever the HR system sent."""

    model_config = ConfigDict(json_schema_extra=_NAMED_EMPLOYEE_SCHEMA)

    schema_version: Annotated[Literal[1], BeforeValidator(version_one("version of this contract this code reads"))] = (
        Field(description="Version of this contract.")
    )
    event_id: Identifier = Field(description="The HR system's id for this event; with source, the dedup key.")
    source: Annotated[str, StringConstraints(min_length=1, max_length=SOURCE_MAX), BeforeValidator(_required_text)] = (
        Field(description="The HR system that sent the event, e.g. dingtalk, feishu, workday.")
    )
    type: Annotated[EventType, BeforeValidator(_one_of(EVENT_TYPES))]
    occurred_at: Annotated[AwareDatetime, BeforeValidator(_timestamp), AfterValidator(_representable_in_utc)] = Field(
        description="When the change happened in the HR system, with a UTC offset.",
        json_schema_extra={"pattern": OCCURRED_AT_PATTERN},
    )
    correlation_id: Identifier | None = Field(default=None, description="Follows the event through logs and outcomes.")
    employee: Employee

    @field_validator("employee", mode="wrap")
    @classmethod
    def _named_unless_leaving(
        cls, value: object, handler: ValidatorFunctionWrapHandler, info: ValidationInfo
    ) -> Employee:
        # `type` is validated first; when it is missing or invalid, the nickname is required as it always was.
        event_type = info.data.get("type")
        if event_type is not None and event_type not in NAMED_EVENT_TYPES:
            employee: Employee = handler(value)
            return employee
        if isinstance(value, Employee) and not isinstance(value, NamedEmployee):
            value = value.model_dump(exclude_none=True)
        return NamedEmployee.model_validate(value, context=info.context)


class ContractError(Exception):
    """An HR event that breaks the contract; `problems` lists every reason, not just the first."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(problem) for problem in problems))
        self.problems = problems

    def to_dict(self) -> dict[str, list[dict[str, str]]]:
        return {"problems": [problem.to_dict() for problem in self.problems]}


def parse_event(raw: bytes | str | Mapping[str, object]) -> HrEvent:
    """The HR event in `raw` (a JSON document, or one already decoded), or a ContractError saying all that is wrong."""
    document: object = raw
    if isinstance(raw, (bytes, str)):
        try:
            document = load_json(raw)
        except ValueError as exc:
            raise ContractError([Problem("", str(exc))]) from None
    if not isinstance(document, Mapping):
        raise ContractError([Problem("", "must be a JSON object")])
    try:
        return HrEvent.model_validate(document)
    except ValidationError as exc:
        raise ContractError(problems_from(exc, PATTERN_REASONS)) from None

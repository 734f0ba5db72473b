"""The HR event contract, version 1: what any HR system (or adapter in front of one) sends to onboard a person.

Every source (DingTalk, Feishu, Workday, a script) is normalised to this one shape before anything else runs,
so the rest of the pipeline never guesses. The contract is versioned (`schema_version`); a change that would
reject yesterday's events is a new version with its own schema file. Its JSON Schema is exported to
events/schemas/hr-event.v1.schema.json for HR-side developers:

    python -m shared.contract --export-schema [PATH]

Choices a sender must know:
- `employee.uid` is the Alibaba Cloud UID as a string: UIDs have 16 digits and more, and JSON numbers past
  2**53 silently lose digits in most HR systems' serialisers, so a number is refused rather than trusted.
- Role names are case-insensitive on input ("dba" is accepted) and always upper-case afterwards, as DMS
  spells them; a role listed twice is an error rather than a silent dedup, since it usually means a typo.
- Free text (nickname, department, title, source) loses control and format characters (Unicode Cc and Cf)
  and surrounding whitespace before its length is checked; department and title left empty count as absent.
- `occurred_at` needs a UTC offset: a naive time is ambiguous across the HR system's and FC's time zones.
- Mobiles are normalised to E.164 and masked in every printable form (see shared.masking).
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Final, Literal, get_args

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
    field_validator,
)
from pydantic_core import PydanticCustomError

from shared.masking import Mobile
from shared.problems import DATETIME_REASON, Problem, load_json, problems_from

__all__ = [
    "EVENT_TYPES",
    "LEAST_WORKSPACE_ROLE",
    "PATTERN_REASONS",
    "ROLES",
    "SCHEMA_PATH",
    "WORKSPACE_ROLES",
    "ContractError",
    "DmsSettings",
    "DmsUnit",
    "Employee",
    "EventType",
    "HrEvent",
    "Identifier",
    "Problem",
    "Role",
    "RoleList",
    "WorkspaceId",
    "WorkspaceRole",
    "WorkspaceRoleName",
    "parse_event",
]

Role = Literal["USER", "DBA", "ADMIN", "SECURITY_ADMIN"]
ROLES: Final[tuple[Role, ...]] = get_args(Role)

WorkspaceRole = Literal["ADMIN", "MEMBER"]
"""Data-Agent workspace roles. DMS documents only the example value "admin" for `RoleName`; ADMIN and MEMBER
are what the local DMS emulator accepts (case-insensitively). Defined here once: change this line (and
LEAST_WORKSPACE_ROLE, what a workspace named without a role is joined with) to follow DMS."""
WORKSPACE_ROLES: Final[tuple[WorkspaceRole, ...]] = get_args(WorkspaceRole)
LEAST_WORKSPACE_ROLE: Final[WorkspaceRole] = "MEMBER"

EventType = Literal["employee.hired", "employee.updated"]
EVENT_TYPES: Final[tuple[EventType, ...]] = get_args(EventType)

SCHEMA_PATH: Final = Path(__file__).resolve().parent.parent / "events" / "schemas" / "hr-event.v1.schema.json"
_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

_ID_PATTERN = r"^[A-Za-z0-9._:-]+$"
_DMS_UNIT_PATTERN = r"^[a-z0-9-]{2,32}$"
PATTERN_REASONS: Final[Mapping[str, str]] = {
    _ID_PATTERN: "may contain only ASCII letters, digits and . _ : -",
    _DMS_UNIT_PATTERN: "must be a DMS unit such as cn-hangzhou: 2 to 32 lower-case letters, digits or dashes",
}
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


def _version_one(value: object) -> object:
    if type(value) is int and value == 1:
        return value
    raise PydanticCustomError("own_version", "must be 1, the only version of this contract this code reads")


def _timestamp(value: object) -> object:
    if isinstance(value, datetime) or (isinstance(value, str) and _TIMESTAMP_SHAPE.match(value)):
        return value
    raise PydanticCustomError("own_timestamp", DATETIME_REASON)


def _each_once(roles: list[Role]) -> list[Role]:
    seen: set[str] = set()
    for role in roles:
        if role in seen:
            raise PydanticCustomError("own_duplicate", "must list each role once ({role} is repeated)", {"role": role})
        seen.add(role)
    return roles


Uid = Annotated[
    str,
    StringConstraints(pattern=r"^[0-9]{1,32}$"),
    BeforeValidator(_digit_string(32)),
    Field(description="Alibaba Cloud account UID, as a string of digits (DMS Uid and workspace MemberId)."),
]
RoleName = Annotated[Role, BeforeValidator(_one_of(ROLES, fold_case=True))]
RoleList = Annotated[list[RoleName], Field(min_length=1), AfterValidator(_each_once)]
WorkspaceId = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,32}$"), BeforeValidator(_digit_string(32))]
WorkspaceRoleName = Annotated[WorkspaceRole, BeforeValidator(_one_of(WORKSPACE_ROLES, fold_case=True))]
DmsUnit = Annotated[str, StringConstraints(pattern=_DMS_UNIT_PATTERN)]
Identifier = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=_ID_PATTERN)]
OptionalText = Annotated[
    Annotated[str, StringConstraints(max_length=128)] | None,
    BeforeValidator(_optional_text),
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)


class DmsSettings(_Strict):
    """Settings the HR system states outright; each one given wins over the role mapping for this person."""

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


class Employee(_Strict):
    """The person to onboard, as the HR system knows them."""

    uid: Uid
    nickname: Annotated[
        str,
        StringConstraints(min_length=1, max_length=64),
        BeforeValidator(_required_text),
        Field(description="Display name in DMS (UserNick)."),
    ]
    mobile: Mobile | None = Field(
        None, description='Mobile number: E.164 ("+8613812345678"), "00" prefix, or an 11-digit mainland number.'
    )
    department: OptionalText = Field(default=None, description="Department name; the role mapping matches on it.")
    title: OptionalText = Field(default=None, description="Job title; the role mapping matches on it.")
    dms: DmsSettings | None = None


class HrEvent(_Strict):
    """One HR change about one person, normalised from whatever the HR system sent."""

    schema_version: Annotated[Literal[1], BeforeValidator(_version_one)] = Field(
        description="Version of this contract."
    )
    event_id: Identifier = Field(description="The HR system's id for this event; with source, the dedup key.")
    source: Annotated[str, StringConstraints(min_length=1, max_length=64), BeforeValidator(_required_text)] = Field(
        description="The HR system that sent the event, e.g. dingtalk, feishu, workday."
    )
    type: Annotated[EventType, BeforeValidator(_one_of(EVENT_TYPES))]
    occurred_at: Annotated[AwareDatetime, BeforeValidator(_timestamp)] = Field(
        description="When the change happened in the HR system, with a UTC offset."
    )
    correlation_id: Identifier | None = Field(default=None, description="Follows the event through logs and outcomes.")
    employee: Employee


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


def json_schema() -> dict[str, Any]:
    return {"$schema": _SCHEMA_DIALECT, **HrEvent.model_json_schema()}


def schema_text() -> str:
    """The schema file's exact content, so a test can tell whether the committed file is current."""
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    import argparse  # only the command line needs it; a cold function should not pay for it

    parser = argparse.ArgumentParser(prog="python -m shared.contract", description="The HR event contract.")
    parser.add_argument(
        "--export-schema",
        nargs="?",
        const=str(SCHEMA_PATH),
        metavar="PATH",
        help=f"write the JSON Schema of HrEvent to PATH (default {SCHEMA_PATH})",
    )
    args = parser.parse_args(argv)
    if args.export_schema is None:
        parser.print_help()
        return 2
    target = Path(args.export_schema)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(schema_text(), encoding="utf-8", newline="\n")
    print(f"wrote {target}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

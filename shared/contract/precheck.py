"""A pydantic-free test that a document certainly satisfies the HR contract, for the webhook's enqueue path.

HR callers give up after about 1.5 s, and importing pydantic and building the contract's models costs a cold
webhook more than its SDK and the network together. Most events are well-formed, so `POST /events` first asks
this module; only what it cannot vouch for (anything invalid, and valid events in rarer shapes) goes to
`shared.contract.event`, which stays the one authority: it words the problems and builds the typed event the worker
uses.

The rules here are deliberately narrower than the contract. The only promise is soundness: a document this
module accepts is one `parse_event` accepts, with the same `event_id` and `correlation_id`. Tests hold it to that
over every sample event and thousands of generated and mutated ones (tests/unit/contract/test_precheck.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from shared.contract.mobile import normalize_mobile
from shared.contract.vocabulary import (
    DIGITS_MAX,
    DMS_FIELDS,
    DMS_UNIT_PATTERN,
    EMPLOYEE_FIELDS,
    EVENT_FIELDS,
    EVENT_TYPES,
    ID_PATTERN,
    IDENTIFIER_MAX,
    NAMED_EMPLOYEE_FIELDS,
    NAMED_EVENT_TYPES,
    NICKNAME_MAX,
    REQUIRED_EMPLOYEE_FIELDS,
    REQUIRED_EVENT_FIELDS,
    ROLES,
    SOURCE_MAX,
    TEXT_MAX,
    WORKSPACE_ROLES,
)

_EVENT_TYPES = frozenset(EVENT_TYPES)
_YEARS = (1900, 9998)
_TENANT_IDS = (-(2**63), 2**63 - 1)
_ROLES = frozenset(ROLES)
_WORKSPACE_ROLES = frozenset(WORKSPACE_ROLES)

_IDENTIFIER = re.compile(ID_PATTERN.removesuffix("+$").removeprefix("^") + f"{{1,{IDENTIFIER_MAX}}}")
_DIGITS = re.compile(f"[0-9]{{1,{DIGITS_MAX}}}")
_DMS_UNIT = re.compile(DMS_UNIT_PATTERN.removeprefix("^").removesuffix("$"))
_TIMESTAMP = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.[0-9]{1,6})?(?:(Z)|([+-])([0-9]{2}):([0-9]{2}))"
)


@dataclass(frozen=True)
class EventKeys:
    """What the enqueue path needs from a valid event."""

    event_id: str
    correlation_id: str | None


def certainly_valid(document: object) -> EventKeys | None:
    """The event's keys if `document` surely passes the contract; None means "ask shared.contract"."""
    if not isinstance(document, dict):
        return None
    keys = document.keys()
    if not REQUIRED_EVENT_FIELDS <= keys <= EVENT_FIELDS:
        return None
    event_id = document["event_id"]
    correlation_id = document.get("correlation_id")
    event_type = document["type"]
    if not (
        type(document["schema_version"]) is int
        and document["schema_version"] == 1
        and _identifier(event_id)
        and (correlation_id is None or _identifier(correlation_id))
        and _plain_text(document["source"], SOURCE_MAX, required=True)
        and _choice(event_type, _EVENT_TYPES, fold_case=False)
        and _timestamp(document["occurred_at"])
        and _employee(document["employee"], named=event_type in NAMED_EVENT_TYPES)
    ):
        return None
    return EventKeys(event_id, correlation_id)


def _identifier(value: object) -> bool:
    return type(value) is str and _IDENTIFIER.fullmatch(value) is not None


def _digit_string(value: object) -> bool:
    return type(value) is str and _DIGITS.fullmatch(value) is not None


def _plain_text(value: object, max_length: int, *, required: bool) -> bool:
    """Text the contract keeps as it is: printable (so no control or format characters) and trimmed."""
    if type(value) is not str or len(value) > max_length or not value.isprintable() or value != value.strip():
        return False
    return bool(value) or not required


def _timestamp(value: object) -> bool:
    if type(value) is not str:
        return False
    match = _TIMESTAMP.fullmatch(value)
    if match is None:
        return False
    year, month, day, hour, minute, second = (int(part) for part in match.group(1, 2, 3, 4, 5, 6))
    if match.group(7) is None:
        offset_hours, offset_minutes = int(match.group(9)), int(match.group(10))
        if offset_hours > 23 or offset_minutes > 59:
            return False
        sign = -1 if match.group(8) == "-" else 1
        zone = timezone(sign * timedelta(hours=offset_hours, minutes=offset_minutes))
    else:
        zone = timezone.utc
    try:
        datetime(year, month, day, hour, minute, second, tzinfo=zone)
    except ValueError:
        return False
    return _YEARS[0] <= year <= _YEARS[1]


def _employee(value: object, *, named: bool) -> bool:
    """`named`: the event's type needs a nickname; a leave's is optional, but checked like any other when given."""
    required = NAMED_EMPLOYEE_FIELDS if named else REQUIRED_EMPLOYEE_FIELDS
    if type(value) is not dict or not required <= value.keys() <= EMPLOYEE_FIELDS:
        return False
    nickname = value.get("nickname")
    mobile = value.get("mobile")
    return (
        _digit_string(value["uid"])
        and ((nickname is None and not named) or _plain_text(nickname, NICKNAME_MAX, required=True))
        and (mobile is None or _mobile(mobile))
        and all(_optional_text(value.get(name)) for name in ("department", "title"))
        and (value.get("dms") is None or _dms(value["dms"]))
    )


def _optional_text(value: object) -> bool:
    return value is None or _plain_text(value, TEXT_MAX, required=False)


def _mobile(value: object) -> bool:
    if type(value) is not str:
        return False
    try:
        normalize_mobile(value)
    except ValueError:
        return False
    return True


def _dms(value: object) -> bool:
    if type(value) is not dict or not value.keys() <= DMS_FIELDS:
        return False
    tenant_id, roles, workspace_id = value.get("tenant_id"), value.get("roles"), value.get("workspace_id")
    workspace_role, dms_unit = value.get("workspace_role"), value.get("dms_unit")
    return (
        (tenant_id is None or (type(tenant_id) is int and _TENANT_IDS[0] <= tenant_id <= _TENANT_IDS[1]))
        and (roles is None or _roles(roles))
        and (workspace_id is None or _digit_string(workspace_id))
        and (workspace_role is None or (workspace_id is not None and _choice(workspace_role, _WORKSPACE_ROLES)))
        and (dms_unit is None or (type(dms_unit) is str and _DMS_UNIT.fullmatch(dms_unit) is not None))
    )


def _choice(value: object, choices: frozenset[str], *, fold_case: bool = True) -> bool:
    if type(value) is not str or not value.isascii():
        return False
    return (value.upper() if fold_case else value) in choices


def _roles(value: object) -> bool:
    if type(value) is not list or not value or not all(_choice(role, _ROLES) for role in value):
        return False
    return len({str(role).upper() for role in value}) == len(value)


__all__ = ["EventKeys", "certainly_valid"]

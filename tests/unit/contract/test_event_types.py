"""Contract v1 grew `employee.left` additively: a leave needs only the uid, and nothing valid yesterday is refused.

A leave says whose access ends, so the uid is all it must carry; some HR systems send the whole person record
with every event, and whatever of it a leave carries is still held to the contract. Hires and updates keep
needing a nickname, refused in the same words as before. The contract, the webhook's fast check and the
published schema must agree on each of these shapes.
"""

from __future__ import annotations

import copy
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest

from shared.contract.event import ContractError, Employee, HrEvent, NamedEmployee, parse_event
from shared.contract.precheck import certainly_valid
from shared.contract.schema import SCHEMA_PATH

EVENTS = Path(__file__).resolve().parents[3] / "events" / "hr"
VALIDATOR = jsonschema_rs.validator_for(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))
YESTERDAYS_VALID = ["hired-explicit-roles.json", "hired-mapping-only.json", "updated.json"]
"""The valid samples of contract v1 before it knew leaves."""
WANG_FANG = ["hired-explicit-roles.json", "updated-stale.json", "updated-moved.json", "left.json", "rehired.json"]
"""One person's story, in the order it happened in the HR system."""
NOT_DIGITS = "must be a string of 1 to 32 digits"
ROLE_CHOICES = "must be one of: USER, DBA, ADMIN, SECURITY_ADMIN"


def load(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((EVENTS / name).read_text(encoding="utf-8"))
    return document


def leave(**employee: object) -> dict[str, Any]:
    """left.json with its employee replaced by `employee`."""
    return {**load("left.json"), "employee": employee}


def hire_without(*fields: str, event_type: str = "employee.hired") -> dict[str, Any]:
    document = copy.deepcopy(load("hired-explicit-roles.json"))
    document["type"] = event_type
    for name in fields:
        del document["employee"][name]
    return document


def problems_of(document: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(ContractError) as caught:
        parse_event(document)
    return [(problem.field, problem.reason) for problem in caught.value.problems]


def judged_alike(document: dict[str, Any]) -> HrEvent:
    """The event, after checking that the fast check and the published schema accept it too."""
    event = parse_event(document)
    keys = certainly_valid(document)
    assert keys is not None
    assert (keys.event_id, keys.correlation_id) == (event.event_id, event.correlation_id)
    assert VALIDATOR.is_valid(document)
    return event


def test_a_leave_needs_only_the_uid() -> None:
    event = judged_alike(load("left.json"))
    assert event.type == "employee.left"
    assert event.employee.uid == "2000000000001"
    assert (event.employee.nickname, event.employee.mobile, event.employee.dms) == (None, None, None)


def test_a_leave_may_carry_the_whole_record_and_keeps_it() -> None:
    document = {**load("hired-explicit-roles.json"), "type": "employee.left"}
    event = judged_alike(document)
    assert event.employee.nickname == "Wang Fang"
    assert str(event.employee.mobile) == "+86 139******34"
    assert event.employee.dms is not None
    assert event.employee.dms.roles == ["USER", "DBA"]


def test_a_leave_may_write_an_absent_nickname_as_null() -> None:
    assert parse_event(leave(uid="2000000000001", nickname=None)).employee.nickname is None
    assert VALIDATOR.is_valid(leave(uid="2000000000001", nickname=None))


def test_a_leave_keeps_validating_the_fields_it_carries() -> None:
    document = leave(
        uid="2000-0000-0001",
        nickname="\u200b",
        mobile="12345",
        department="D" * 129,
        dms={"roles": ["USER", "ROOT"], "workspace_role": "ADMIN"},
        email="wang.fang@example.com",
    )
    assert problems_of(document) == [
        ("employee.uid", NOT_DIGITS),
        ("employee.nickname", "must have visible characters (control characters and surrounding spaces are removed)"),
        (
            "employee.mobile",
            'must start with "+" or "00" and a country code, or be a valid national number of region CN',
        ),
        ("employee.department", "must be at most 128 characters"),
        ("employee.dms.roles.1", ROLE_CHOICES),
        ("employee.dms.workspace_role", "needs workspace_id: a workspace role means nothing without its workspace"),
        ("employee.email", "is not allowed"),
    ]
    assert certainly_valid(document) is None
    assert not VALIDATOR.is_valid(document)


def test_a_leave_without_a_uid_is_refused_naming_the_field() -> None:
    document = load("invalid-left-without-uid.json")
    assert problems_of(document) == [("employee.uid", "is required")]
    assert certainly_valid(document) is None


@pytest.mark.parametrize("event_type", ["employee.hired", "employee.updated"])
def test_a_hire_without_a_nickname_is_refused_naming_the_field(event_type: str) -> None:
    """The same field and words as when the nickname was required of every event."""
    document = hire_without("nickname", event_type=event_type)
    assert problems_of(document) == [("employee.nickname", "is required")]
    assert certainly_valid(document) is None
    assert not VALIDATOR.is_valid(document)


def test_a_hire_without_a_nickname_still_gets_every_problem_at_once_in_document_order() -> None:
    document = hire_without("nickname", "uid")
    document["event_id"] = "hr export 42"
    document["employee"]["mobile"] = "12345"
    document["employee"]["email"] = "wang.fang@example.com"
    document["priority"] = "high"
    assert problems_of(document) == [
        ("event_id", "may contain only ASCII letters, digits and . _ : -"),
        ("employee.uid", "is required"),
        ("employee.nickname", "is required"),
        (
            "employee.mobile",
            'must start with "+" or "00" and a country code, or be a valid national number of region CN',
        ),
        ("employee.email", "is not allowed"),
        ("priority", "is not allowed"),
    ]


def test_an_event_whose_type_cannot_be_read_is_held_to_the_nickname_as_before() -> None:
    """Without a type there is no telling a leave from a hire, so the nickname problem is reported as it was."""
    assert problems_of({**hire_without("nickname"), "type": "employee.fired"}) == [
        ("type", "must be one of: employee.hired, employee.updated, employee.left"),
        ("employee.nickname", "is required"),
    ]


def test_a_hire_built_in_code_is_held_to_the_nickname_too() -> None:
    fields: dict[str, Any] = {
        "schema_version": 1,
        "event_id": "script:1",
        "source": "script",
        "occurred_at": datetime.fromisoformat("2025-03-03T09:30:00+08:00"),
    }
    with pytest.raises(ContractError) as caught:
        parse_event({**fields, "type": "employee.hired", "employee": Employee(uid="2000000000001")})
    assert [(p.field, p.reason) for p in caught.value.problems] == [("employee.nickname", "is required")]
    hired = HrEvent(**fields, type="employee.hired", employee=Employee(uid="2000000000001", nickname="Wang Fang"))
    assert isinstance(hired.employee, NamedEmployee)
    assert HrEvent(**fields, type="employee.left", employee=Employee(uid="2000000000001")).employee.nickname is None


@pytest.mark.parametrize("name", YESTERDAYS_VALID)
def test_yesterdays_events_stay_valid(name: str) -> None:
    event = judged_alike(load(name))
    assert event.employee.nickname
    assert event.model_dump(mode="json")["employee"]["nickname"] == load(name)["employee"]["nickname"]


@pytest.mark.parametrize(
    "shape",
    [
        {"uid": "2000000000001"},
        {"uid": "2000000000001", "nickname": "Wang Fang"},
        {"uid": "2000000000001", "mobile": "+86 139 0000 1234", "department": "Analytics", "title": "BI Lead"},
        {"uid": "2000000000001", "dms": {"tenant_id": 10001, "workspace_id": "209230000007291"}},
    ],
    ids=["uid-only", "uid-and-nickname", "uid-and-hr-fields", "uid-and-dms"],
)
def test_the_usual_leave_shapes_take_the_fast_path(shape: dict[str, Any]) -> None:
    judged_alike(leave(**shape))


@pytest.mark.parametrize(
    ("event_type", "nickname"),
    [
        ("employee.hired", None),
        ("employee.updated", None),
        ("employee.hired", ""),
        ("employee.left", ""),
        ("employee.left", " Wang Fang"),
    ],
    ids=["null-on-a-hire", "null-on-an-update", "empty-on-a-hire", "empty-on-a-leave", "padded-on-a-leave"],
)
def test_nicknames_the_fast_check_cannot_vouch_for_go_to_the_contract(event_type: str, nickname: str | None) -> None:
    document = {**load("hired-explicit-roles.json"), "type": event_type}
    document["employee"]["nickname"] = nickname
    assert certainly_valid(document) is None


def test_wang_fangs_samples_tell_one_story_in_order() -> None:
    """The demo and the lifecycle tests rely on it: one person, a stale update arriving after a move, a leave,
    and a re-hire into another workspace."""
    events = {name: parse_event(load(name)) for name in WANG_FANG}
    assert {event.employee.uid for event in events.values()} == {"2000000000001"}
    assert [event.occurred_at for event in events.values()] == sorted(event.occurred_at for event in events.values())
    assert [events[name].type for name in WANG_FANG] == [
        "employee.hired",
        "employee.updated",
        "employee.updated",
        "employee.left",
        "employee.hired",
    ]
    assert len({(event.source, event.event_id) for event in events.values()}) == len(WANG_FANG)
    assert all(str(event.correlation_id).startswith("onb-") for event in events.values())
    moved = events["updated-moved.json"].employee.dms
    stale = events["updated-stale.json"].employee.dms
    rehired = events["rehired.json"].employee.dms
    assert moved is not None
    assert stale is not None
    assert rehired is not None
    assert (moved.roles, moved.workspace_role) == (["USER"], "MEMBER")
    assert (stale.roles, stale.workspace_role) == (["USER", "DBA", "ADMIN"], "ADMIN")
    assert rehired.workspace_id != moved.workspace_id

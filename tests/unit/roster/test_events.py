"""Roster rows as canonical HR events: what the contract makes of each row, and the ids that make a re-run safe.

The rows go through the same contract as the webhook's events, so a bad row is rejected in the contract's words,
located by the roster's column and line, and never echoing a value (it may be a mobile).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from shared.contract.event import parse_event
from shared.roster.events import HIRED, UPDATED, Stamp, column, leave, parse_as_of, prepare, stamp_problems
from shared.roster.reading import parse_roster

AS_OF = datetime(2025, 3, 1, 1, 0, tzinfo=timezone.utc)
SHA = "0123456789abcdef" * 4
STAMP = Stamp("roster", AS_OF, SHA)
HEADER = "uid,nickname,mobile,department,title,roles,tenant_id,workspace_id,workspace_role,dms_unit\n"


def prepared(text: str, stamp: Stamp = STAMP):  # type: ignore[no-untyped-def]
    return prepare(parse_roster(text.encode(), "people.csv", "csv"), stamp)


def test_a_row_becomes_a_v1_event_the_contract_accepts_with_its_overrides_under_dms() -> None:
    (entry,) = prepared(
        HEADER + "2000000000104,Zhao Lei,+8618600186104,Platform,Senior DBA,USER;DBA,10001,"
        "209230000007305,member,cn-hangzhou\n"
    ).entries
    document = entry.event(STAMP, HIRED)
    assert {k: v for k, v in document.items() if k != "employee"} == {
        "schema_version": 1,
        "event_id": "roster-0123456789ab-2000000000104",
        "source": "roster",
        "type": "employee.hired",
        "occurred_at": "2025-03-01T01:00:00+00:00",
        "correlation_id": "roster-0123456789ab",
    }
    event = parse_event(document)
    assert event.employee.dms is not None
    assert (event.employee.dms.roles, event.employee.dms.tenant_id, event.employee.dms.workspace_role) == (
        ["USER", "DBA"],
        10001,
        "MEMBER",
    )
    assert (event.employee.department, event.employee.title) == ("Platform", "Senior DBA")


def test_the_same_file_gives_the_same_event_ids_so_a_re_run_is_a_redelivery() -> None:
    text = HEADER + "2000000000101,Chen Jing,,Data Engineering,,,,,,\n"
    first = prepared(text).entries[0].event(STAMP, HIRED)
    later = Stamp("roster", AS_OF + timedelta(days=1), SHA)
    again = prepared(text, later).entries[0].event(later, UPDATED)
    assert first["event_id"] == again["event_id"]
    assert (first["type"], again["type"]) == ("employee.hired", "employee.updated")


def test_a_row_without_dms_settings_carries_no_dms_object_so_the_mapping_decides() -> None:
    (entry,) = prepared(HEADER + "2000000000101,Chen Jing,,Data Engineering,Data Engineer,,,,,\n").entries
    assert "dms" not in entry.employee


def test_a_bad_row_is_rejected_with_every_problem_by_column_and_line_and_no_value() -> None:
    result = prepared(
        HEADER + "2000000000101,Chen Jing,,,,,,,,\n" + "2000000000102,,+86 139 0013,,,USER;ROOT,,,admin,\n"
    )
    assert [e.uid for e in result.entries] == ["2000000000101"]
    (rejection,) = result.rejections
    assert (rejection.line, rejection.uid) == (3, "2000000000102")
    fields = [problem.field for problem in rejection.problems]
    assert fields == ["employee.nickname", "employee.mobile", "employee.dms.roles.1", "employee.dms.workspace_role"]
    assert "0013" not in repr(rejection)
    assert all("0013" not in problem.reason for problem in rejection.problems)


def test_a_uid_listed_twice_rejects_both_rows_naming_both_lines() -> None:
    result = prepared(HEADER + "2000000000101,A,,,,,,,,\n2000000000102,B,,,,,,,,\n2000000000101,C,,,,,,,,\n")
    assert [e.uid for e in result.entries] == ["2000000000102"]
    assert [(r.line, r.uid) for r in result.rejections] == [(2, "2000000000101"), (4, "2000000000101")]
    for rejection in result.rejections:
        assert [str(p) for p in rejection.problems] == [
            "employee.uid: is listed 2 times (lines 2, 4): list each person once"
        ]
    assert len({r.document["event_id"] for r in result.rejections}) == 2, "each rejected row has an outcome of its own"


def test_a_row_whose_uid_is_not_digits_is_rejected_with_an_event_id_from_its_line() -> None:
    result = prepared(HEADER + "20000-00001,A,,,,,,,,\n")
    (rejection,) = result.rejections
    assert rejection.uid == ""
    assert rejection.document["event_id"] == "roster-0123456789ab-line2"
    assert [p.field for p in rejection.problems] == ["employee.uid"]


def test_every_uid_the_roster_names_counts_as_listed_even_on_a_rejected_row() -> None:
    result = prepared(HEADER + "2000000000101,A,,,,,,,,\n2000000000102,,,,,,,,,\n")
    assert result.listed == {"2000000000101", "2000000000102"}


def test_a_leave_names_only_the_person_as_the_contract_allows() -> None:
    document = leave("2000000000109", STAMP)
    event = parse_event(document)
    assert (event.type, event.employee.uid, event.event_id) == (
        "employee.left",
        "2000000000109",
        "roster-0123456789ab-2000000000109",
    )
    assert document["employee"] == {"uid": "2000000000109"}


@pytest.mark.parametrize(
    ("field", "name"),
    [("employee.mobile", "mobile"), ("employee.dms.roles.1", "roles.1"), ("employee.dms", "dms"), ("source", "source")],
)
def test_problems_are_shown_by_the_roster_column_they_came_from(field: str, name: str) -> None:
    assert column(field) == name


def test_a_source_the_contract_refuses_is_caught_before_any_row() -> None:
    problems = stamp_problems(Stamp("   ", AS_OF, SHA))
    assert [p.field for p in problems] == ["source"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-03-01T09:00:00+08:00", datetime(2025, 3, 1, 1, 0, tzinfo=timezone.utc)),
        ("2025-03-01T01:00:00Z", datetime(2025, 3, 1, 1, 0, tzinfo=timezone.utc)),
        ("2025-03-01T01:00:00.250z", datetime(2025, 3, 1, 1, 0, 0, 250000, tzinfo=timezone.utc)),
    ],
)
def test_as_of_takes_iso_8601_with_an_offset(text: str, expected: datetime) -> None:
    assert parse_as_of(text, datetime(2026, 1, 1, tzinfo=timezone.utc)) == expected


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("2025-03-01T09:00:00", "needs a UTC offset"),
        ("yesterday", "not an ISO 8601 date-time"),
        ("2062-03-01T09:00:00Z", "in the future"),
    ],
)
def test_as_of_without_an_offset_or_in_the_future_is_refused(text: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        parse_as_of(text, datetime(2026, 1, 1, tzinfo=timezone.utc))


def test_occurred_at_keeps_the_as_of_times_own_offset_and_precision() -> None:
    shanghai = timezone(timedelta(hours=8))
    assert Stamp("roster", datetime(2025, 3, 1, 9, tzinfo=shanghai), SHA).occurred_at == "2025-03-01T09:00:00+08:00"
    with_ms = datetime(2025, 3, 1, 1, 0, 0, 123000, tzinfo=timezone.utc)
    assert Stamp("roster", with_ms, SHA).occurred_at == "2025-03-01T01:00:00.123+00:00"

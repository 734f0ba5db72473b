"""The published JSON Schema judges the sample events as the contract does, in a validator's default mode.

HR-side developers check their events against events/schemas/hr-event.v1.schema.json with whatever validator
they have, and most take `format: date-time` as an annotation only (so does jsonschema-rs by default for draft
2020-12): a naive `occurred_at` would pass. The schema's `pattern` on it is what every validator applies.
"""

from __future__ import annotations

import copy
import json
import re
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.contract.event import ContractError, parse_event
from shared.contract.schema import SCHEMA_PATH
from shared.contract.vocabulary import OCCURRED_AT_PATTERN
from tests.support.strategies import examples

EVENTS = SCHEMA_PATH.parents[1] / "hr"
SCHEMA: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
VALID = sorted(path for path in EVENTS.glob("*.json") if not path.name.startswith("invalid-"))
INVALID = sorted(EVENTS.glob("invalid-*.json"))
NAIVE = EVENTS / "invalid-naive-time.json"
BASE: dict[str, Any] = json.loads((EVENTS / "hired-explicit-roles.json").read_text(encoding="utf-8"))

INVALID_WHERE: dict[str, set[str]] = {
    "invalid-naive-time.json": {"/occurred_at"},
    "invalid-uid-number.json": {"/employee/uid"},
    "invalid-role.json": {"/employee/dms"},  # the roles enum, inside the anyOf of settings or null
    "invalid-missing-fields.json": {"", "/employee"},  # required: event_id, occurred_at; uid, nickname
    "invalid-left-without-uid.json": {"/employee"},  # required: uid, even of a leave
    "invalid-many-problems.json": {
        "",  # legacy_code, an unknown field
        "/schema_version",
        "/event_id",
        "/type",
        "/occurred_at",  # "yesterday"
        "/employee/uid",
        "/employee/dms",  # "dba": the schema's enum is upper case (the contract folds case, then finds DBA twice)
    },
}
"""Where the default-mode validator finds each invalid sample wrong: every one is something the schema says."""

VALIDATOR = jsonschema_rs.validator_for(SCHEMA)
"""What a sender gets by default: the validator of the schema's draft, its options as they come."""


def load(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


def error_paths(validator: jsonschema_rs.Validator, document: object) -> set[str]:
    return {"".join(f"/{step}" for step in error.instance_path) for error in validator.iter_errors(document)}


def with_occurred_at(value: str) -> dict[str, Any]:
    document = copy.deepcopy(BASE)
    document["occurred_at"] = value
    return document


def contract_accepts(document: dict[str, Any]) -> bool:
    try:
        parse_event(document)
    except ContractError:
        return False
    return True


def test_the_samples_are_all_covered() -> None:
    assert VALID
    assert {path.name for path in INVALID} == set(INVALID_WHERE)


def test_the_default_validator_is_draft_2020_12_and_does_not_assert_formats() -> None:
    """Why the pattern is needed: without it, the naive time gets through a default-mode validator."""
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert repr(VALIDATOR) == "<Draft202012Validator>"
    unpatterned = copy.deepcopy(SCHEMA)
    del unpatterned["properties"]["occurred_at"]["pattern"]
    assert jsonschema_rs.validator_for(unpatterned).is_valid(load(NAIVE))
    assert not jsonschema_rs.validator_for(unpatterned, validate_formats=True).is_valid(load(NAIVE))


@pytest.mark.parametrize("path", VALID, ids=lambda path: path.name)
def test_every_valid_sample_is_valid_under_the_schema(path: Path) -> None:
    assert error_paths(VALIDATOR, load(path)) == set()
    assert contract_accepts(load(path))


@pytest.mark.parametrize("path", INVALID, ids=lambda path: path.name)
def test_every_invalid_sample_is_invalid_under_the_schema(path: Path) -> None:
    assert error_paths(VALIDATOR, load(path)) == INVALID_WHERE[path.name]
    assert not contract_accepts(load(path))


@pytest.mark.parametrize("validate_formats", [False, True])
def test_a_naive_time_is_refused_by_its_pattern_with_or_without_format_assertion(validate_formats: bool) -> None:
    validator = jsonschema_rs.validator_for(SCHEMA, validate_formats=validate_formats)
    errors = list(validator.iter_errors(load(NAIVE)))
    assert {tuple(error.instance_path) for error in errors} == {("occurred_at",)}
    assert [error.message for error in errors if "does not match" in error.message]


def test_the_pattern_is_the_one_the_schema_publishes() -> None:
    assert SCHEMA["properties"]["occurred_at"] == {
        "description": "When the change happened in the HR system, with a UTC offset.",
        "format": "date-time",
        "pattern": OCCURRED_AT_PATTERN,
        "title": "Occurred At",
        "type": "string",
    }


@pytest.mark.parametrize(
    "value",
    [
        "2025-03-03T09:30:00+08:00",
        "2025-03-03T10:02:17Z",
        "2025-03-03t10:02:17z",
        "2025-03-03 09:30:00-05:00",
        "2025-03-03T09:30:00.5+05:45",
        "2025-03-03T09:30:00.123456789Z",
        "2025-12-31T23:59:59-00:00",
        "2025-03-03T09:30:00+23:59",
    ],
)
def test_rfc_3339_times_with_an_offset_match_and_the_contract_takes_them(value: str) -> None:
    assert VALIDATOR.is_valid(with_occurred_at(value))
    assert contract_accepts(with_occurred_at(value))


@pytest.mark.parametrize(
    "value",
    [
        "2025-03-04T09:00:00",  # naive
        "2025-03-04T09:00:00.250",
        "2025-03-04 09:00:00",
        "2025-03-04",
        "2025-03-04T09:00:00+08",
        "2025-03-04T09:00:00+24:00",
        "2025-03-04T24:00:00Z",
        "2025-03-04T09:00:60Z",
        "2025-13-04T09:00:00Z",
        "2025-03-04T09:00:00Z\n",
        "2025-03-04T09:00:00Z trailing",
        " 2025-03-04T09:00:00Z",
        "2025-03-04T09:00:00UTC",
        "yesterday",
    ],
)
def test_times_the_contract_refuses_do_not_match(value: str) -> None:
    assert error_paths(VALIDATOR, with_occurred_at(value)) == {"/occurred_at"}
    assert not contract_accepts(with_occurred_at(value))


@pytest.mark.parametrize("value", ["2025-03-04T09:00+08:00", "2025-03-04T09:00:00+0800", "2025-03-04T09:00:00,5Z"])
def test_leniencies_of_the_contract_are_not_promised_by_the_schema(value: str) -> None:
    """The parser also takes a missing second, +hhmm and a decimal comma; the schema asks for RFC 3339."""
    assert contract_accepts(with_occurred_at(value))
    assert not VALIDATOR.is_valid(with_occurred_at(value))


OFFSETS = st.integers(min_value=-(23 * 60 + 59), max_value=23 * 60 + 59).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
MOMENTS = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59))


@examples(500)
@given(moment=MOMENTS, offset=OFFSETS, separator=st.sampled_from("Tt "))
def test_any_time_with_an_offset_matches_and_without_one_does_not(
    moment: datetime, offset: timezone, separator: str
) -> None:
    aware, naive = moment.replace(tzinfo=offset).isoformat(separator), moment.isoformat(separator)
    assert VALIDATOR.is_valid(with_occurred_at(aware)), aware
    assert contract_accepts(with_occurred_at(aware)), aware
    assert error_paths(VALIDATOR, with_occurred_at(naive)) == {"/occurred_at"}, naive
    assert not contract_accepts(with_occurred_at(naive)), naive


@examples(500)
@given(value=st.from_regex(OCCURRED_AT_PATTERN, fullmatch=True))
def test_whatever_the_pattern_lets_through_the_contract_takes_on_a_real_day(value: str) -> None:
    """The schema promises nothing the contract refuses, but for days no pattern can see (February 30)."""
    assert VALIDATOR.is_valid(with_occurred_at(value)), value
    match = re.match(r"([0-9]{4})-([0-9]{2})-([0-9]{2})", value)
    assert match is not None
    try:
        real_day = date(*map(int, match.groups())) is not None
    except ValueError:
        real_day = False
    assert contract_accepts(with_occurred_at(value)) == real_day, value


def test_the_schema_names_three_types_and_asks_every_event_for_the_uid_only() -> None:
    assert SCHEMA["properties"]["type"]["enum"] == ["employee.hired", "employee.updated", "employee.left"]
    assert SCHEMA["$defs"]["Employee"]["required"] == ["uid"]


LEAVER = {"uid": "2000000000001"}
CASES: list[tuple[str, str, dict[str, Any], set[str]]] = [
    ("leave-with-the-uid-only", "employee.left", LEAVER, set()),
    ("leave-with-the-whole-record", "employee.left", BASE["employee"], set()),
    ("leave-with-a-null-nickname", "employee.left", {**LEAVER, "nickname": None}, set()),
    ("leave-with-an-empty-nickname", "employee.left", {**LEAVER, "nickname": ""}, {"/employee/nickname"}),
    ("leave-with-a-bad-role", "employee.left", {**LEAVER, "dms": {"roles": ["ROOT"]}}, {"/employee/dms"}),
    ("leave-with-an-unknown-field", "employee.left", {**LEAVER, "email": "x@example.com"}, {"/employee"}),
    ("leave-without-the-uid", "employee.left", {"nickname": "Wang Fang"}, {"/employee"}),
    ("hire-without-a-nickname", "employee.hired", LEAVER, {"/employee"}),
    ("update-without-a-nickname", "employee.updated", LEAVER, {"/employee"}),
    ("hire-with-a-null-nickname", "employee.hired", {**LEAVER, "nickname": None}, {"/employee/nickname"}),
    ("unknown-type-without-a-nickname", "employee.fired", LEAVER, {"/type"}),
]


@pytest.mark.parametrize(
    ("event_type", "employee", "where"), [case[1:] for case in CASES], ids=[case[0] for case in CASES]
)
def test_the_schema_asks_hires_and_updates_for_a_nickname_and_leaves_for_the_uid_alone(
    event_type: str, employee: dict[str, Any], where: set[str]
) -> None:
    """The schema's if/then says what the contract's per-type rule does, and judges each shape as it does."""
    document = {**copy.deepcopy(BASE), "type": event_type, "employee": copy.deepcopy(employee)}
    assert error_paths(VALIDATOR, document) == where
    assert contract_accepts(document) == (not where)

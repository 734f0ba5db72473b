"""The webhook's fast check must never vouch for an event the contract refuses, and must vouch for the usual ones."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.contract.event import ContractError, parse_event
from shared.contract.precheck import certainly_valid
from shared.contract.vocabulary import EVENT_TYPES
from tests.support.strategies import examples

EVENTS = Path(__file__).resolve().parents[3] / "events" / "hr"
SAMPLES = sorted(path.name for path in EVENTS.glob("*.json"))
VALID = [name for name in SAMPLES if not name.startswith("invalid-")]


def load(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((EVENTS / name).read_text(encoding="utf-8"))
    return document


def assert_sound(document: object) -> None:
    """The one promise: what the fast check accepts, the contract accepts with the same keys."""
    keys = certainly_valid(document)
    if keys is None:
        return
    try:
        event = parse_event(document)  # type: ignore[arg-type]
    except ContractError as error:
        pytest.fail(f"precheck accepted what the contract refuses: {error.problems} in {document!r}")
    assert (keys.event_id, keys.correlation_id) == (event.event_id, event.correlation_id)


@pytest.mark.parametrize("name", VALID)
def test_valid_samples_take_the_fast_path(name: str) -> None:
    keys = certainly_valid(load(name))
    assert keys is not None
    assert keys.event_id == load(name)["event_id"]


@pytest.mark.parametrize("name", sorted(set(SAMPLES) - set(VALID)))
def test_invalid_samples_are_left_to_the_contract(name: str) -> None:
    assert certainly_valid(load(name)) is None


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("employee", "nickname"), " Wang Fang"),
        (("employee", "nickname"), "Wang\u200bFang"),
        (("employee", "department"), "Data\tEngineering"),
        (("occurred_at",), "2025-03-03 09:30:00+08:00"),
        (("occurred_at",), "2025-03-03T09:30+08:00"),
        (("employee", "dms", "tenant_id"), 2**64),
    ],
    ids=["padded-nickname", "format-character", "tab", "space-separated-time", "no-seconds", "huge-tenant"],
)
def test_rarer_shapes_go_to_the_contract_even_when_valid(path: tuple[str, ...], value: object) -> None:
    document = load("hired-explicit-roles.json")
    target = document
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    assert certainly_valid(document) is None


SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=40),
    st.from_regex(r"[0-9]{1,40}", fullmatch=True),
    st.from_regex(r"[A-Za-z0-9._:-]{0,140}", fullmatch=True),
    st.sampled_from(["USER", "dba", "Admin", "MEMBER", "admin", "security_admin", "\u017fecurity_admin", "ADM\u0130N"]),
    st.sampled_from(
        ["employee.hired", "employee.updated", "employee.left", "employee.fired", "cn-hangzhou", "CN-hangzhou", "x"]
    ),
    st.from_regex(
        r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?(Z|z|[+-][0-9]{2}(:?[0-9]{2})?)?",
        fullmatch=True,
    ),
    st.from_regex(r"(\+|00)?[0-9 ().-]{0,20}", fullmatch=True),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)),
    max_leaves=8,
)


def _paths(document: object, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(document, dict):
        for key, value in document.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            found += _paths(value, (*prefix, index))
    return found


@st.composite
def mutated_events(draw: st.DrawFn) -> object:
    document: Any = copy.deepcopy(load(draw(st.sampled_from(VALID))))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        paths = _paths(document)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = document
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "replace":
            parent[path[-1]] = draw(VALUES)
        elif action == "delete" and isinstance(parent, dict):
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[draw(st.sampled_from(["extra", "uid", "roles", "mobile", "dms", "correlation_id"]))] = draw(VALUES)
    return document


_ABSENT = object()


def _field(usual: st.SearchStrategy[Any], edge: st.SearchStrategy[Any], optional: bool = False) -> Any:
    """Usually a plausible value, one time in eight an edge case (or, if optional, absent or null)."""
    edges = st.one_of(st.just(_ABSENT), st.none(), edge) if optional else edge
    return st.sampled_from(range(8)).flatmap(lambda roll: edges if roll == 7 else usual)


PRINTABLE = st.characters(categories=("L", "N", "P", "S", "Zs"))
TEXT_EDGES = st.one_of(st.text(max_size=70), st.text(PRINTABLE, min_size=60, max_size=130), st.just(""))
IDENTIFIERS = st.from_regex(r"[A-Za-z0-9._:-]{1,128}", fullmatch=True)
IDENTIFIER_EDGES = st.from_regex(r"[A-Za-z0-9._:-]{0,130}\n?", fullmatch=True) | st.text(max_size=5)
DIGITS = st.from_regex(r"[1-9][0-9]{0,31}", fullmatch=True)
DIGIT_EDGES = st.from_regex(r"[0-9]{0,34}\n?", fullmatch=True) | st.integers() | st.text("0123456789٣", max_size=3)
OFFSETS = st.integers(-23 * 60 - 59, 23 * 60 + 59).map(lambda minutes: timezone(timedelta(minutes=minutes)))
TIMESTAMPS = st.datetimes(datetime(1990, 1, 1), datetime(2100, 1, 1), timezones=OFFSETS).map(lambda m: m.isoformat())
TIMESTAMP_EDGES = st.from_regex(
    r"[0-9]{4}-[01][0-9]-[0-3][0-9][Tt ][0-2][0-9]:[0-5][0-9](:[0-6][0-9](\.[0-9]{1,7})?)?"
    r"(Z|z|[+-][0-2][0-9]:?[0-6][0-9])?",
    fullmatch=True,
) | st.datetimes().map(lambda moment: moment.isoformat())
ROLE_NAMES = st.sampled_from(["USER", "DBA", "ADMIN", "SECURITY_ADMIN", "user", "Dba", "security_Admin"])
# Letters whose upper case is ASCII (long s, dotless i) must not pass as role names.
LOOKALIKES = ["\u017fecurity_admin", "adm\u0131n", "ADM\u0130N"]
ROLE_EDGES = st.lists(st.sampled_from(["USER", "dba", "DBA", "OWNER", "", *LOOKALIKES]), max_size=3)
NEAR_VALID_FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "schema_version": _field(st.just(1), st.sampled_from([True, 1.0, "1", 2, 0])),
    "event_id": _field(IDENTIFIERS, IDENTIFIER_EDGES),
    "source": _field(st.text(PRINTABLE, min_size=1, max_size=64), TEXT_EDGES),
    "type": _field(st.sampled_from(EVENT_TYPES), st.sampled_from(["EMPLOYEE.HIRED", "Employee.Left", "x"])),
    "occurred_at": _field(TIMESTAMPS, TIMESTAMP_EDGES),
    "correlation_id": _field(IDENTIFIERS, IDENTIFIER_EDGES, optional=True),
}
EMPLOYEE_FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "uid": _field(DIGITS, DIGIT_EDGES),
    "nickname": _field(st.text(PRINTABLE, min_size=1, max_size=64), TEXT_EDGES | st.none()),
    "mobile": _field(
        st.from_regex(r"\+861[3-9][0-9]{9}|1[3-9][0-9]{9}", fullmatch=True),
        st.from_regex(r"(\+|00)?[0-9][0-9 ().-]{5,18}", fullmatch=True),
        optional=True,
    ),
    "department": _field(st.text(PRINTABLE, max_size=128), TEXT_EDGES, optional=True),
    "title": _field(st.text(PRINTABLE, max_size=128), TEXT_EDGES, optional=True),
}
DMS_FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "tenant_id": _field(st.integers(0, 2**40), st.integers(-(2**66), 2**66) | st.booleans(), optional=True),
    "roles": _field(st.lists(ROLE_NAMES, min_size=1, max_size=1), ROLE_EDGES, optional=True),
    "workspace_id": _field(DIGITS, DIGIT_EDGES, optional=True),
    "workspace_role": _field(
        st.sampled_from(["ADMIN", "member"]), st.sampled_from(["OWNER", *LOOKALIKES]), optional=True
    ),
    "dms_unit": _field(
        st.sampled_from(["cn-hangzhou", "cn-beijing"]),
        st.from_regex(r"[a-z0-9-]{1,34}", fullmatch=True) | st.just("CN-Hangzhou"),
        optional=True,
    ),
}


def _fields(draw: st.DrawFn, strategies: dict[str, st.SearchStrategy[Any]]) -> dict[str, Any]:
    drawn = {name: draw(strategy) for name, strategy in strategies.items()}
    return {name: value for name, value in drawn.items() if value is not _ABSENT}


@st.composite
def near_valid_events(draw: st.DrawFn) -> dict[str, Any]:
    """Mostly plausible fields with the odd edge case, so the fast check says yes often and its edges are probed.

    A leave keeps each employee field but the uid or not, so it comes with the uid alone, the whole record and
    everything between; now and then a hire or an update loses fields the same way, its nickname among them.
    """
    document = _fields(draw, NEAR_VALID_FIELDS)
    employee = _fields(draw, EMPLOYEE_FIELDS)
    if document.get("type") == "employee.left" or draw(st.sampled_from(range(8))) == 7:
        employee = {name: value for name, value in employee.items() if name == "uid" or draw(st.booleans())}
    if draw(st.booleans()):
        employee["dms"] = _fields(draw, DMS_FIELDS)
    document["employee"] = employee
    return document


@examples(1500)
@given(near_valid_events())
def test_plausible_events_are_never_vouched_for_wrongly(document: object) -> None:
    assert_sound(document)


@examples(1500)
@given(mutated_events())
def test_mutated_events_are_never_vouched_for_wrongly(document: object) -> None:
    assert_sound(document)


@examples(500)
@given(VALUES)
def test_arbitrary_documents_are_never_vouched_for_wrongly(document: object) -> None:
    assert_sound(document)

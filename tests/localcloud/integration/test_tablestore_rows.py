"""Single-row operations through the official SDK: PlainBuffer rows both ways, row-existence and column conditions."""

from __future__ import annotations

from typing import Any

import pytest
from tablestore import (
    CapacityUnit,
    ColumnConditionType,
    ComparatorType,
    CompositeColumnCondition,
    Condition,
    LogicalOperator,
    OTSServiceError,
    ReservedThroughput,
    ReturnType,
    Row,
    RowExistenceExpectation,
    SingleColumnCondition,
    TableMeta,
    TableOptions,
)

from localcloud import LocalCloud
from tests.support.tablestore_clients import ots_client

PK = [("person_id", "p-001"), ("seq", 1)]
IGNORE = Condition(RowExistenceExpectation.IGNORE)
EXIST = Condition(RowExistenceExpectation.EXPECT_EXIST)
NOT_EXIST = Condition(RowExistenceExpectation.EXPECT_NOT_EXIST)


@pytest.fixture
def client(cloud: LocalCloud) -> Any:
    ots = ots_client(cloud)
    ots.create_table(
        TableMeta("register", [("person_id", "STRING"), ("seq", "INTEGER")]),
        TableOptions(max_version=3),
        ReservedThroughput(CapacityUnit(0, 0)),
    )
    return ots


def columns(client: Any, pk: list[tuple[str, Any]] = PK, **kw: Any) -> dict[str, Any] | None:
    _, row, _ = client.get_row("register", pk, max_version=kw.pop("max_version", 1), **kw)
    if row is None:
        return None
    assert row.primary_key == pk
    return {name: value for name, value, _ts in row.attribute_columns}


def fails(call: Any, *args: Any) -> tuple[int, str, str]:
    with pytest.raises(OTSServiceError) as error:
        call(*args)
    return error.value.get_http_status(), error.value.get_error_code(), error.value.get_error_message()


def test_put_then_get_returns_every_value_type(client: Any) -> None:
    values = [("b", True), ("blob", bytearray(b"\x00\xff")), ("d", 2.5), ("i", -7), ("s", "héllo")]
    consumed, _ = client.put_row("register", Row(PK, values), NOT_EXIST)
    assert consumed.write == 1
    assert columns(client) == {"b": True, "blob": bytearray(b"\x00\xff"), "d": 2.5, "i": -7, "s": "héllo"}
    assert columns(client, [("person_id", "p-404"), ("seq", 1)]) is None
    assert columns(client, columns_to_get=["s"]) == {"s": "héllo"}


def test_put_replaces_the_row_and_returns_the_primary_key_when_asked(client: Any) -> None:
    client.put_row("register", Row(PK, [("a", 1), ("b", 2)]), IGNORE)
    _, returned = client.put_row("register", Row(PK, [("c", 3)]), IGNORE, ReturnType.RT_PK)
    assert returned.primary_key == PK
    assert columns(client) == {"c": 3}


def test_row_existence_expectations(client: Any) -> None:
    assert fails(client.put_row, "register", Row(PK, [("a", 1)]), EXIST) == (
        403,
        "OTSConditionCheckFail",
        "Condition check failed.",
    )
    client.put_row("register", Row(PK, [("a", 1)]), NOT_EXIST)
    assert fails(client.put_row, "register", Row(PK, [("a", 2)]), NOT_EXIST)[1] == "OTSConditionCheckFail"
    assert fails(client.delete_row, "register", Row([("person_id", "x"), ("seq", 1)]), EXIST)[1] == (
        "OTSConditionCheckFail"
    )
    assert columns(client) == {"a": 1}
    client.delete_row("register", Row(PK), EXIST)
    assert columns(client) is None


def test_version_guarded_update_rejects_replays(client: Any) -> None:
    guard = SingleColumnCondition("version", 6, ComparatorType.LESS_THAN, pass_if_missing=True)
    client.update_row("register", Row(PK, {"put": [("version", 5), ("state", "hired")]}), Condition("IGNORE", guard))
    client.update_row("register", Row(PK, {"put": [("version", 6), ("state", "left")]}), Condition("IGNORE", guard))
    for replay in (5, 6):
        row = Row(PK, {"put": [("version", replay), ("state", "hired")]})
        assert fails(client.update_row, "register", row, Condition("IGNORE", guard))[:2] == (
            403,
            "OTSConditionCheckFail",
        )
    assert columns(client) == {"state": "left", "version": 6}
    strict = SingleColumnCondition("missing", 1, ComparatorType.EQUAL, pass_if_missing=False)
    assert fails(client.update_row, "register", Row(PK, {"put": [("x", 1)]}), Condition("IGNORE", strict))[1] == (
        "OTSConditionCheckFail"
    )


def test_composite_condition_with_increment_and_deletes(client: Any) -> None:
    client.put_row("register", Row(PK, [("count", 40), ("kind", "hr"), ("old", "x")]), IGNORE)
    both = CompositeColumnCondition(LogicalOperator.AND)
    both.add_sub_condition(SingleColumnCondition("kind", "hr", ComparatorType.EQUAL))
    both.add_sub_condition(SingleColumnCondition("count", 100, ComparatorType.LESS_THAN))
    change = Row(PK, {"increment": [("count", 2)], "delete_all": ["old"]})
    client.update_row("register", change, Condition(RowExistenceExpectation.EXPECT_EXIST, both))
    assert columns(client) == {"count": 42, "kind": "hr"}
    negated = CompositeColumnCondition(LogicalOperator.NOT)
    negated.add_sub_condition(SingleColumnCondition("kind", "hr", ComparatorType.EQUAL))
    assert fails(client.update_row, "register", change, Condition("EXPECT_EXIST", negated))[1] == (
        "OTSConditionCheckFail"
    )
    either = CompositeColumnCondition(LogicalOperator.OR)
    either.add_sub_condition(SingleColumnCondition("kind", "it", ComparatorType.EQUAL))
    either.add_sub_condition(SingleColumnCondition("count", 42, ComparatorType.GREATER_EQUAL))
    client.update_row("register", Row(PK, {"put": [("ok", True)]}), Condition("IGNORE", either))
    assert columns(client) == {"count": 42, "kind": "hr", "ok": True}
    assert either.get_type() == ColumnConditionType.COMPOSITE_COLUMN_CONDITION


def test_versions_are_kept_newest_first_up_to_max_versions(client: Any) -> None:
    for value in (1, 2, 3, 4):
        client.update_row("register", Row(PK, {"put": [("v", value)]}), IGNORE)
    _, row, _ = client.get_row("register", PK, max_version=10)
    values = [value for _name, value, _ts in row.attribute_columns]
    stamps = [ts for _name, _value, ts in row.attribute_columns]
    assert len(values) <= 3
    assert values[0] == 4
    assert stamps == sorted(stamps, reverse=True)


def test_update_with_only_deletes_keeps_a_primary_key_only_row(client: Any) -> None:
    client.put_row("register", Row(PK, [("a", 1)]), IGNORE)
    client.update_row("register", Row(PK, {"delete_all": ["a"]}), IGNORE)
    assert columns(client) == {}
    assert fails(client.put_row, "register", Row(PK, [("a", 1)]), NOT_EXIST)[1] == "OTSConditionCheckFail"


def test_increment_of_a_string_column_is_400(client: Any) -> None:
    client.put_row("register", Row(PK, [("s", "text")]), IGNORE)
    status, code, _ = fails(client.update_row, "register", Row(PK, {"increment": [("s", 1)]}), IGNORE)
    assert (status, code) == (400, "OTSParameterInvalid")


@pytest.mark.parametrize(
    ("pk", "message"),
    [
        ([("person_id", "p")], "Validate PK size fail. Input: 1, Meta: 2."),
        ([("person_id", "p"), ("other", 1)], "Validate PK name fail. Input: other, Meta: seq."),
    ],
)
def test_wrong_primary_key_is_400_invalid_pk(client: Any, pk: list[tuple[str, Any]], message: str) -> None:
    assert fails(client.get_row, "register", pk) == (400, "OTSInvalidPK", message)


def test_row_operation_on_a_missing_table_is_404(client: Any) -> None:
    assert fails(client.put_row, "nope", Row(PK, [("a", 1)]), IGNORE)[:2] == (404, "OTSObjectNotExist")


def test_ttl_hides_versions_once_service_time_passes_it(cloud: LocalCloud) -> None:
    ots = ots_client(cloud)
    ots.create_table(
        TableMeta("ttl", [("k", "STRING")]), TableOptions(time_to_live=86400), ReservedThroughput(CapacityUnit(0, 0))
    )
    ots.put_row("ttl", Row([("k", "a")], [("v", 1)]), IGNORE)
    assert ots.get_row("ttl", [("k", "a")], max_version=1)[1].attribute_columns[0][1] == 1
    cloud.clock.advance(86401)
    _, row, _ = ots.get_row("ttl", [("k", "a")], max_version=1)
    assert row.attribute_columns == []


def test_filter_and_time_range_on_reads(client: Any) -> None:
    client.put_row("register", Row(PK, [("kind", "hr"), ("v", 1)]), IGNORE)
    other = SingleColumnCondition("kind", "it", ComparatorType.EQUAL)
    assert client.get_row("register", PK, max_version=1, column_filter=other)[1] is None
    same = SingleColumnCondition("kind", "hr", ComparatorType.EQUAL)
    assert client.get_row("register", PK, max_version=1, column_filter=same)[1] is not None
    _, row, _ = client.get_row("register", PK, time_range=(0, 1))
    assert row.attribute_columns == []


def test_a_version_outside_the_permitted_deviation_is_400(client: Any) -> None:
    status, code, _ = fails(client.put_row, "register", Row(PK, [("v", 1, 1_000)]), IGNORE)
    assert (status, code) == (400, "OTSParameterInvalid")


def test_limits_on_keys_values_and_columns_are_400(client: Any) -> None:
    long_key = [("person_id", "p" * 1025), ("seq", 1)]
    assert fails(client.put_row, "register", Row(long_key, [("a", 1)]), IGNORE)[:2] == (400, "OTSParameterInvalid")
    many = [(f"c{i}", i) for i in range(1025)]
    assert fails(client.put_row, "register", Row(PK, many), IGNORE)[:2] == (400, "OTSParameterInvalid")
    assert fails(lambda: client.get_row("register", PK, columns_to_get=[f"c{i}" for i in range(129)]))[:2] == (
        400,
        "OTSParameterInvalid",
    )

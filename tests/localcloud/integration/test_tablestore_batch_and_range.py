"""BatchGetRow, BatchWriteRow and GetRange through the official SDK: per-row results in request order, paging."""

from __future__ import annotations

from typing import Any

import pytest
from tablestore import (
    INF_MAX,
    INF_MIN,
    BatchGetRowRequest,
    BatchWriteRowRequest,
    CapacityUnit,
    Condition,
    DeleteRowItem,
    Direction,
    OTSServiceError,
    PutRowItem,
    ReservedThroughput,
    Row,
    RowExistenceExpectation,
    TableInBatchGetRowItem,
    TableInBatchWriteRowItem,
    TableMeta,
    TableOptions,
    UpdateRowItem,
)

from localcloud import LocalCloud
from tests.support.tablestore_clients import ots_client

IGNORE = Condition(RowExistenceExpectation.IGNORE)
EXIST = Condition(RowExistenceExpectation.EXPECT_EXIST)


@pytest.fixture
def client(cloud: LocalCloud) -> Any:
    ots = ots_client(cloud)
    for name in ("a", "b"):
        ots.create_table(
            TableMeta(name, [("k", "STRING"), ("n", "INTEGER")]), TableOptions(), ReservedThroughput(CapacityUnit(0, 0))
        )
    return ots


def pk(k: str, n: int) -> list[tuple[str, Any]]:
    return [("k", k), ("n", n)]


def test_batch_write_applies_good_rows_and_reports_a_failed_condition(client: Any) -> None:
    client.put_row("a", Row(pk("x", 1), [("v", 0)]), IGNORE)
    request = BatchWriteRowRequest()
    request.add(
        TableInBatchWriteRowItem(
            "a",
            [
                PutRowItem(Row(pk("x", 2), [("v", 2)]), IGNORE),
                UpdateRowItem(Row(pk("x", 1), {"put": [("v", 1)]}), EXIST),
                DeleteRowItem(Row(pk("missing", 1)), EXIST),
            ],
        )
    )
    request.add(TableInBatchWriteRowItem("b", [PutRowItem(Row(pk("y", 1), [("w", "b")]), IGNORE)]))
    result = client.batch_write_row(request)
    assert not result.is_all_succeed()
    put_ok, put_failed = result.get_put()
    assert len(put_ok) == 2
    assert put_failed == []
    _, delete_failed = result.get_delete()
    assert [(r.is_ok, r.error_code, r.error_message) for r in delete_failed] == [
        (False, "OTSConditionCheckFail", "Condition check failed.")
    ]
    assert [r.is_ok for r in result.get_update()[0]] == [True]
    _, row, _ = client.get_row("a", pk("x", 1))
    assert row.attribute_columns[0][1] == 1
    _, row, _ = client.get_row("b", pk("y", 1))
    assert row.attribute_columns[0][1] == "b"


def test_batch_get_answers_one_result_per_key_in_order(client: Any) -> None:
    client.put_row("a", Row(pk("x", 1), [("v", 1)]), IGNORE)
    client.put_row("b", Row(pk("y", 1), [("v", 2)]), IGNORE)
    request = BatchGetRowRequest()
    request.add(TableInBatchGetRowItem("a", [pk("x", 1), pk("none", 9), [("k", "x")]], max_version=1))
    request.add(TableInBatchGetRowItem("b", [pk("y", 1)], max_version=1))
    result = client.batch_get_row(request)
    rows_a = result.get_result_by_table("a")
    assert [r.is_ok for r in rows_a] == [True, True, False]
    assert rows_a[0].row.attribute_columns[0][1] == 1
    assert rows_a[1].row is None
    assert rows_a[2].error_code == "OTSInvalidPK"
    assert result.get_result_by_table("b")[0].row.primary_key == pk("y", 1)


def test_empty_batches_are_400(client: Any) -> None:
    with pytest.raises(OTSServiceError) as error:
        client.batch_write_row(BatchWriteRowRequest())
    assert (error.value.get_http_status(), error.value.get_error_code()) == (400, "OTSParameterInvalid")


def test_get_range_pages_forward_and_backward(client: Any) -> None:
    for n in range(7):
        client.put_row("a", Row(pk("p", n), [("v", n)]), IGNORE)
    client.put_row("a", Row(pk("q", 0), [("v", 100)]), IGNORE)
    seen: list[int] = []
    start: Any = pk("p", INF_MIN)
    while start is not None:
        _, start, rows, _ = client.get_range("a", Direction.FORWARD, start, pk("p", INF_MAX), limit=3)
        seen += [row.primary_key[1][1] for row in rows]
    assert seen == list(range(7))
    _, next_key, rows, _ = client.get_range("a", Direction.BACKWARD, pk("q", INF_MAX), pk("p", 2), limit=4)
    assert [row.primary_key for row in rows] == [pk("q", 0), pk("p", 6), pk("p", 5), pk("p", 4)]
    assert next_key == pk("p", 3)
    _, next_key, rows, _ = client.get_range("a", Direction.FORWARD, pk("z", INF_MIN), pk("z", INF_MAX))
    assert (rows, next_key) == ([], None)


def test_get_range_with_reversed_bounds_is_400(client: Any) -> None:
    with pytest.raises(OTSServiceError) as error:
        client.get_range("a", Direction.FORWARD, pk("p", INF_MAX), pk("p", INF_MIN))
    assert error.value.get_error_message() == "Begin key must less than end key in FORWARD"
    with pytest.raises(OTSServiceError) as error:
        client.get_range("a", Direction.BACKWARD, pk("p", INF_MIN), pk("p", INF_MAX))
    assert error.value.get_error_message() == "Begin key must more than end key in BACKWARD"

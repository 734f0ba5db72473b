"""Tablestore state and semantics: tables with their schema and options, rows of multi-version columns.

One emulator serves one instance (its name is in the config). Decisions where the docs are silent, each an
assumption to confirm on a real instance (README "Known differences"):
- A column condition on a column of another type than the constant never matches (the prototype's choice).
- A read always returns the primary-key columns, even when `columns_to_get` names none of them; a row whose
  selected attribute columns are all absent is still returned (its primary key only) unless `columns_to_get`
  was given and none of its names exist, when the row reads as absent.
- A primary-key value of the wrong type is `OTSInvalidPK` "Validate PK type fail. Input: <vt>, Meta: <type>.".
- GetRange answers `next_start_primary_key` only when another row lies in the range after the last one sent.
- Rows are kept sorted on demand (GetRange sorts the table's keys); fine for the sizes a local cloud holds.
- Limits (1 KB primary-key strings, 2 MB values, 1024 columns written, 128 `columns_to_get`) are 400
  `OTSParameterInvalid` with wordings of ours; the request-size limits (4 MB, 5 MB bodies) are not checked apart
  from the body limit in urls.py.
- Versions are service time (the local cloud's movable clock) in ms; TTL is applied on read, not by deleting.
"""

from __future__ import annotations

import operator
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from localcloud.clock import Clock
from localcloud.tablestore import plainbuffer as pb
from localcloud.tablestore.errors import OtsError

PK_TYPES = {1: "INTEGER", 2: "STRING", 3: "BINARY"}
PK_TYPE_NAMES = {"INTEGER": 1, "STRING": 2, "BINARY": 3}
MAX_TABLES = 64
MAX_RANGE_ROWS = 5000
MAX_PK_VALUE_BYTES = 1024
MAX_VALUE_BYTES = 2 * 1024 * 1024
MAX_COLUMNS_WRITTEN = 1024
MAX_COLUMNS_TO_GET = 128
NAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")

Key = tuple[int | str | bytes, ...]
Versions = list[tuple[int, pb.Value]]
"""(timestamp ms, value), newest first."""


@dataclass
class TableOptions:
    time_to_live: int = -1
    max_versions: int = 1
    deviation_cell_version_in_sec: int = 86400
    allow_update: bool = True


@dataclass
class Table:
    name: str
    primary_key: list[tuple[str, int]]
    defined_columns: list[tuple[str, int]]
    options: TableOptions
    read_cu: int
    write_cu: int
    created_at: int
    """Seconds since the epoch, service time."""
    rows: dict[Key, dict[str, Versions]] = field(default_factory=dict)


@dataclass
class ReadOptions:
    columns_to_get: list[str] = field(default_factory=list)
    max_versions: int | None = None
    start_time: int | None = None
    end_time: int | None = None
    specific_time: int | None = None
    filter: bytes = b""

    def __post_init__(self) -> None:
        if len(self.columns_to_get) > MAX_COLUMNS_TO_GET:
            raise OtsError.INVALID_ASSUMED.error(
                detail=f"The number of columns to get exceeds the limit: {MAX_COLUMNS_TO_GET}."
            )


@dataclass
class Condition:
    row_existence: int = 0
    """IGNORE=0, EXPECT_EXIST=1, EXPECT_NOT_EXIST=2."""
    column_condition: bytes = b""


def _pk_type_of(value: pb.Value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return 1
    if isinstance(value, str):
        return 2
    if isinstance(value, bytes):
        return 3
    return None


def _vt_name(value: pb.Value) -> str:
    if isinstance(value, pb.Marker):
        return value.name
    return {bool: "BOOLEAN", int: "INTEGER", float: "DOUBLE", str: "STRING", bytes: "BLOB"}[type(value)]


def valid_name(name: str) -> bool:
    return 0 < len(name.encode()) <= 255 and set(name) <= NAME_CHARS and not name[0].isdigit()


def sort_key(key: Iterable[pb.Value]) -> tuple[tuple[int, object], ...]:
    parts: list[tuple[int, object]] = []
    for value in key:
        if value is pb.INF_MIN:
            parts.append((-1, 0))
        elif value is pb.INF_MAX:
            parts.append((1, 0))
        elif isinstance(value, str):
            parts.append((0, value.encode("utf-8")))
        else:
            parts.append((0, value))
    return tuple(parts)


class TablestoreBackend:
    def __init__(self, clock: Clock, instance: str) -> None:
        self.clock = clock
        self.instance = instance
        self._lock = threading.RLock()
        self._tables: dict[str, Table] = {}

    def reset(self) -> None:
        with self._lock:
            self._tables.clear()

    # Tables

    def create_table(
        self,
        name: str,
        primary_key: list[tuple[str, int]],
        defined_columns: list[tuple[str, int]] | None = None,
        options: TableOptions | None = None,
        read_cu: int = 0,
        write_cu: int = 0,
    ) -> Table:
        options = options or TableOptions()
        invalid = OtsError.INVALID_ASSUMED
        if not valid_name(name):
            raise invalid.error(detail=f"Invalid table name: '{name}'.")
        if not 1 <= len(primary_key) <= 4:
            raise invalid.error(detail="The number of primary key columns must be in range: [1, 4].")
        seen: set[str] = set()
        for pk_name, pk_type in primary_key:
            if not valid_name(pk_name):
                raise invalid.error(detail=f"Invalid column name: '{pk_name}'.")
            if pk_name in seen:
                raise OtsError.PARAMETER_INVALID.error(detail=f"Duplicated primary key name: '{pk_name}'.")
            seen.add(pk_name)
            if pk_type == 5:
                raise OtsError.PARAMETER_INVALID.error(detail="BOOLEAN is an invalid type for the primary key.")
            if pk_type not in PK_TYPES:
                raise invalid.error(detail=f"Invalid type for the primary key: {pk_type}.")
        if options.time_to_live != -1 and options.time_to_live < 86400:
            raise invalid.error(detail="The value of time to live must be -1 or at least 86400.")
        if options.max_versions < 1:
            raise invalid.error(detail="The value of max versions must be greater than 0.")
        with self._lock:
            if name in self._tables:
                raise OtsError.TABLE_EXISTS.error()
            if len(self._tables) >= MAX_TABLES:
                raise OtsError.QUOTA_EXHAUSTED.error()
            table = Table(
                name, list(primary_key), list(defined_columns or []), options, read_cu, write_cu, int(self.clock.now())
            )
            self._tables[name] = table
            return table

    def table(self, name: str) -> Table:
        with self._lock:
            table = self._tables.get(name)
            if table is None:
                raise OtsError.TABLE_NOT_EXIST.error()
            return table

    def list_tables(self) -> list[str]:
        with self._lock:
            return sorted(self._tables)

    def delete_table(self, name: str) -> None:
        with self._lock:
            if self._tables.pop(name, None) is None:
                raise OtsError.TABLE_NOT_EXIST.error()

    # Rows

    def _key(self, table: Table, primary_key: list[tuple[str, pb.Value]], *, bounds: bool = False) -> list[pb.Value]:
        if len(primary_key) != len(table.primary_key):
            raise OtsError.INVALID_PK.error(
                detail=f"Validate PK size fail. Input: {len(primary_key)}, Meta: {len(table.primary_key)}."
            )
        values: list[pb.Value] = []
        for (name, value), (meta_name, meta_type) in zip(primary_key, table.primary_key, strict=True):
            if name != meta_name:
                raise OtsError.INVALID_PK.error(detail=f"Validate PK name fail. Input: {name}, Meta: {meta_name}.")
            if bounds and value in (pb.INF_MIN, pb.INF_MAX):
                values.append(value)
                continue
            if _pk_type_of(value) != meta_type:
                raise OtsError.INVALID_PK.error(
                    detail=f"Validate PK type fail. Input: {_vt_name(value)}, Meta: {PK_TYPES[meta_type]}."
                )
            if _size(value) > MAX_PK_VALUE_BYTES:
                raise OtsError.INVALID_ASSUMED.error(
                    detail=f"The length of primary key column: '{name}' exceeds the MaxLength:{MAX_PK_VALUE_BYTES}."
                )
            values.append(value)
        return values

    def key_of(self, table: Table, primary_key: list[tuple[str, pb.Value]]) -> Key:
        values = self._key(table, primary_key)
        return tuple(v for v in values if isinstance(v, (int, str, bytes)))

    def _live(self, table: Table, versions: Versions) -> Versions:
        ttl = table.options.time_to_live
        if ttl == -1:
            return versions
        oldest = self.clock.now_ms() - ttl * 1000
        return [(ts, v) for ts, v in versions if ts >= oldest]

    def _row_out(self, table: Table, key: Key, columns: dict[str, Versions], read: ReadOptions) -> pb.Row | None:
        if read.filter and not evaluate(read.filter, self._latest(table, key, columns), columns):
            return None
        wanted = set(read.columns_to_get)
        cells: list[pb.Cell] = []
        limit = read.max_versions if read.max_versions is not None else 1
        for name in sorted(columns):
            if wanted and name not in wanted:
                continue
            versions = self._live(table, columns[name])
            if read.specific_time is not None:
                versions = [(ts, v) for ts, v in versions if ts == read.specific_time]
            if read.start_time is not None:
                versions = [(ts, v) for ts, v in versions if ts >= read.start_time]
            if read.end_time is not None:
                versions = [(ts, v) for ts, v in versions if ts < read.end_time]
            cells += [pb.Cell(name, value, timestamp=ts) for ts, value in versions[:limit]]
        pk_names = [name for name, _ in table.primary_key]
        if wanted and not cells and not wanted & set(pk_names):
            return None
        return pb.Row(list(zip(pk_names, key, strict=True)), cells)

    def _latest(self, table: Table, key: Key, columns: dict[str, Versions]) -> dict[str, Versions]:
        """Live versions per column, with the primary-key columns as one version each (conditions may name them)."""
        view = {name: live for name, versions in columns.items() if (live := self._live(table, versions))}
        for (name, _), value in zip(table.primary_key, key, strict=True):
            view[name] = [(0, value)]
        return view

    def get_row(self, table_name: str, primary_key: list[tuple[str, pb.Value]], read: ReadOptions) -> pb.Row | None:
        with self._lock:
            table = self.table(table_name)
            key = self.key_of(table, primary_key)
            columns = table.rows.get(key)
            return None if columns is None else self._row_out(table, key, columns, read)

    def _check(self, table: Table, key: Key, condition: Condition) -> None:
        columns = table.rows.get(key)
        if condition.row_existence == 1 and columns is None:
            raise OtsError.CONDITION_CHECK_FAIL.error()
        if condition.row_existence == 2 and columns is not None:
            raise OtsError.CONDITION_CHECK_FAIL.error()
        if condition.row_existence not in (0, 1, 2):
            raise OtsError.INVALID_ASSUMED.error(detail="Invalid row existence expectation.")
        if condition.column_condition:
            view = self._latest(table, key, columns or {})
            if not evaluate(condition.column_condition, view, view):
                raise OtsError.CONDITION_CHECK_FAIL.error()

    def _timestamp(self, table: Table, cell: pb.Cell) -> int:
        now = self.clock.now_ms()
        if cell.timestamp is None:
            return now
        deviation = table.options.deviation_cell_version_in_sec * 1000
        if abs(cell.timestamp - now) > deviation:
            raise OtsError.INVALID_ASSUMED.error(
                detail=f"The timestamp of column '{cell.name}' is out of the permitted deviation."
            )
        return cell.timestamp

    def _trim(self, table: Table, versions: Versions) -> Versions:
        versions.sort(key=lambda item: item[0], reverse=True)
        return versions[: table.options.max_versions]

    def _check_cells(self, table: Table, cells: list[pb.Cell]) -> None:
        if len(cells) > MAX_COLUMNS_WRITTEN:
            raise OtsError.INVALID_ASSUMED.error(
                detail=f"The number of columns from the request exceeds the limit: {MAX_COLUMNS_WRITTEN}."
            )
        for cell in cells:
            self._check_attribute(table, cell)

    def _check_attribute(self, table: Table, cell: pb.Cell) -> None:
        if cell.value is not None and _size(cell.value) > MAX_VALUE_BYTES:
            raise OtsError.INVALID_ASSUMED.error(
                detail=f"The length of attribute column: '{cell.name}' exceeds the MaxLength:{MAX_VALUE_BYTES}."
            )
        if not valid_name(cell.name):
            raise OtsError.INVALID_ASSUMED.error(detail=f"Invalid column name: '{cell.name}'.")
        if cell.name in {name for name, _ in table.primary_key}:
            raise OtsError.INVALID_ASSUMED.error(
                detail=f"The attribute column has the same name with the primary key: '{cell.name}'."
            )

    def put_row(self, table_name: str, row: pb.Row, condition: Condition) -> Key:
        with self._lock:
            table = self.table(table_name)
            key = self.key_of(table, row.primary_key)
            columns: dict[str, Versions] = {}
            self._check_cells(table, row.cells)
            for cell in row.cells:
                if cell.value is None or isinstance(cell.value, pb.Marker) or cell.op is not None:
                    raise OtsError.INVALID_ASSUMED.error(detail=f"Invalid value of column '{cell.name}'.")
                ts = self._timestamp(table, cell)
                columns[cell.name] = self._trim(
                    table, [v for v in columns.get(cell.name, []) if v[0] != ts] + [(ts, cell.value)]
                )
            self._check(table, key, condition)
            table.rows[key] = columns
            return key

    def update_row(self, table_name: str, row: pb.Row, condition: Condition) -> Key:
        with self._lock:
            table = self.table(table_name)
            key = self.key_of(table, row.primary_key)
            names_incremented = {c.name for c in row.cells if c.op == pb.OP_INCREMENT}
            self._check_cells(table, row.cells)
            for cell in row.cells:
                if cell.name in names_incremented and cell.op != pb.OP_INCREMENT:
                    raise OtsError.INVALID_ASSUMED.error(
                        detail=f"The column '{cell.name}' cannot be incremented and modified in one request."
                    )
            self._check(table, key, condition)
            columns = {name: list(versions) for name, versions in table.rows.get(key, {}).items()}
            for cell in row.cells:
                if cell.op is None:
                    if cell.value is None or isinstance(cell.value, pb.Marker):
                        raise OtsError.INVALID_ASSUMED.error(detail=f"Invalid value of column '{cell.name}'.")
                    ts = self._timestamp(table, cell)
                    kept = [v for v in columns.get(cell.name, []) if v[0] != ts]
                    columns[cell.name] = self._trim(table, [*kept, (ts, cell.value)])
                elif cell.op == pb.OP_DELETE_ALL_VERSION:
                    columns.pop(cell.name, None)
                elif cell.op == pb.OP_DELETE_ONE_VERSION:
                    if cell.timestamp is None:
                        raise OtsError.INVALID_ASSUMED.error(
                            detail=f"The timestamp of column '{cell.name}' is required to delete one version."
                        )
                    kept = [v for v in columns.get(cell.name, []) if v[0] != cell.timestamp]
                    if kept:
                        columns[cell.name] = kept
                    else:
                        columns.pop(cell.name, None)
                elif cell.op == pb.OP_INCREMENT:
                    columns[cell.name] = self._increment(table, cell, columns.get(cell.name, []))
                else:
                    raise OtsError.INVALID_ASSUMED.error(detail=f"Invalid cell type: {cell.op}.")
            table.rows[key] = columns
            return key

    def _increment(self, table: Table, cell: pb.Cell, versions: Versions) -> Versions:
        delta = cell.value
        if not isinstance(delta, int) or isinstance(delta, bool):
            raise OtsError.INVALID_ASSUMED.error(detail=f"The increment of column '{cell.name}' must be INTEGER.")
        live = self._live(table, versions)
        current = live[0][1] if live else 0
        if not isinstance(current, int) or isinstance(current, bool):
            raise OtsError.INVALID_ASSUMED.error(detail=f"The type of column '{cell.name}' is not INTEGER.")
        total = current + delta
        if not -(2**63) <= total < 2**63:
            raise OtsError.INVALID_ASSUMED.error(detail=f"The increment of column '{cell.name}' overflows.")
        ts = self.clock.now_ms()
        return self._trim(table, [v for v in versions if v[0] != ts] + [(ts, total)])

    def delete_row(self, table_name: str, row: pb.Row, condition: Condition) -> Key:
        with self._lock:
            table = self.table(table_name)
            key = self.key_of(table, row.primary_key)
            self._check(table, key, condition)
            table.rows.pop(key, None)
            return key

    def get_range(
        self,
        table_name: str,
        start: list[tuple[str, pb.Value]],
        end: list[tuple[str, pb.Value]],
        backward: bool,
        limit: int | None,
        read: ReadOptions,
    ) -> tuple[list[pb.Row], Key | None]:
        with self._lock:
            table = self.table(table_name)
            low = sort_key(self._key(table, start, bounds=True))
            high = sort_key(self._key(table, end, bounds=True))
            if limit is not None and limit <= 0:
                raise OtsError.PARAMETER_INVALID.error(detail="The limit must be greater than 0.")
            if not backward and low >= high:
                raise OtsError.PARAMETER_INVALID.error(detail="Begin key must less than end key in FORWARD")
            if backward and low <= high:
                raise OtsError.PARAMETER_INVALID.error(detail="Begin key must more than end key in BACKWARD")
            if backward:
                keys = sorted((k for k in table.rows if high < sort_key(k) <= low), key=sort_key, reverse=True)
            else:
                keys = sorted((k for k in table.rows if low <= sort_key(k) < high), key=sort_key)
            cap = min(limit or MAX_RANGE_ROWS, MAX_RANGE_ROWS)
            rows: list[pb.Row] = []
            for index, key in enumerate(keys):
                if len(rows) == cap:
                    return rows, keys[index]
                out = self._row_out(table, key, table.rows[key], read)
                if out is not None:
                    rows.append(out)
            return rows, None

    def snapshot(self) -> dict[str, object]:
        with self._lock:
            return {
                "instance": self.instance,
                "tables": [
                    {
                        "name": t.name,
                        "primary_key": [{"name": n, "type": PK_TYPES[ty]} for n, ty in t.primary_key],
                        "time_to_live": t.options.time_to_live,
                        "max_versions": t.options.max_versions,
                        "rows": [
                            {
                                "primary_key": [_jsonable(v) for v in key],
                                "columns": {
                                    name: [[ts, _jsonable(v)] for ts, v in versions]
                                    for name, versions in columns.items()
                                },
                            }
                            for key, columns in sorted(t.rows.items(), key=lambda item: sort_key(item[0]))
                        ],
                    }
                    for t in self._tables.values()
                ],
            }


def _size(value: pb.Value) -> int:
    if isinstance(value, str):
        return len(value.encode("utf-8"))
    if isinstance(value, bytes):
        return len(value)
    return 8


def _jsonable(value: object) -> object:
    if isinstance(value, bytes):
        return {"blob": value.hex()}
    if isinstance(value, pb.Marker):
        return value.name
    return value


# Column conditions and filters (table_store_filter.proto)

FT_SINGLE, FT_COMPOSITE = 1, 2
COMPARATORS = {1: operator.eq, 2: operator.ne, 3: operator.gt, 4: operator.ge, 5: operator.lt, 6: operator.le}
LO_NOT, LO_AND, LO_OR = 1, 2, 3


def _compare(comparator: int, left: pb.Value, right: pb.Value) -> bool:
    numeric = (int, float)
    same = (
        (isinstance(left, bool) and isinstance(right, bool))
        or (
            not isinstance(left, bool)
            and not isinstance(right, bool)
            and isinstance(left, numeric)
            and isinstance(right, numeric)
        )
        or type(left) is type(right)
    )
    if not same:
        return comparator == 2  # assumption: values of different types are unequal and not ordered
    a: Any = left.encode() if isinstance(left, str) else left
    b: Any = right.encode() if isinstance(right, str) else right
    compare = COMPARATORS.get(comparator)
    if compare is not None:
        try:
            return bool(compare(a, b))
        except TypeError:
            return False
    raise OtsError.INVALID_ASSUMED.error(detail=f"Invalid comparator: {comparator}.")


def evaluate(encoded: bytes, latest: dict[str, Versions], all_versions: dict[str, Versions]) -> bool:
    from localcloud.tablestore.protobuf import decode

    message = decode(encoded)
    kind, inner = message.integer(1), decode(message.blob(2))
    if kind == FT_SINGLE:
        comparator = inner.integer(1)
        name = inner.text(2)
        constant = pb.decode_value(inner.blob(3))
        filter_if_missing = bool(inner.integer(4))
        latest_only = bool(inner.integer(5, 1))
        versions = latest.get(name) or []
        if comparator in (7, 8):  # EXIST, NOT_EXIST
            return bool(versions) == (comparator == 7)
        if not versions:
            return not filter_if_missing
        candidates = versions[:1] if latest_only else versions
        return any(_compare(comparator, value, constant) for _, value in candidates)
    if kind == FT_COMPOSITE:
        combinator = inner.integer(1)
        subs = [evaluate(sub, latest, all_versions) for sub in inner.repeated_bytes(2)]
        if combinator == LO_NOT:
            if len(subs) != 1:
                raise OtsError.INVALID_ASSUMED.error(detail="The NOT operator takes exactly one sub condition.")
            return not subs[0]
        if combinator == LO_AND:
            return all(subs)
        if combinator == LO_OR:
            return any(subs)
        raise OtsError.INVALID_ASSUMED.error(detail=f"Invalid logical operator: {combinator}.")
    raise OtsError.INVALID_ASSUMED.error(detail=f"Unsupported filter type: {kind}.")

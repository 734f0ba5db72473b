"""PlainBuffer, Tablestore's row encoding inside the protobuf bodies, with its CRC8 checksums (fact sheet §6).

The SDK is the spec, not the vendor grammar: a header `int32 LE 0x75`, then rows of `01` PK cells, optional `02`
attribute cells, optional `08` delete marker and `09 <row crc>`. A cell is `03`, `04 <len><name>`, optional
`05 <len><vt><payload>`, optional `06 <op>`, optional `07 <int64 ts>`, `0A <cell crc>`. Responses never carry a
`06` tag (the SDK's Python decoder crashes on one).

Values decode to Python: INTEGER `int`, DOUBLE `float`, BOOLEAN `bool`, STRING `str`, BLOB `bytes`, and the
range markers `INF_MIN` / `INF_MAX` / `AUTO_INCREMENT` sentinels.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from localcloud.tablestore.errors import OtsError

HEADER = 0x75
TAG_ROW_PK, TAG_ROW_DATA, TAG_CELL, TAG_CELL_NAME, TAG_CELL_VALUE = 1, 2, 3, 4, 5
TAG_CELL_TYPE, TAG_CELL_TIMESTAMP, TAG_DELETE_ROW_MARKER, TAG_ROW_CHECKSUM, TAG_CELL_CHECKSUM = 6, 7, 8, 9, 10
VT_INTEGER, VT_DOUBLE, VT_BOOLEAN, VT_STRING, VT_NULL, VT_BLOB = 0, 1, 2, 3, 6, 7
VT_INF_MIN, VT_INF_MAX, VT_AUTO_INCREMENT = 9, 10, 11
OP_DELETE_ALL_VERSION, OP_DELETE_ONE_VERSION, OP_INCREMENT = 1, 3, 4


class Marker:
    def __init__(self, name: str, vt: int) -> None:
        self.name, self.vt = name, vt

    def __repr__(self) -> str:
        return self.name


INF_MIN = Marker("INF_MIN", VT_INF_MIN)
INF_MAX = Marker("INF_MAX", VT_INF_MAX)
AUTO_INCREMENT = Marker("AUTO_INCREMENT", VT_AUTO_INCREMENT)
Value = int | float | bool | str | bytes | Marker


def _table() -> list[int]:
    table = []
    for i in range(256):
        crc = i
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
        table.append(crc)
    return table


CRC8_TABLE = _table()


def crc8(crc: int, data: bytes) -> int:
    """CRC-8, polynomial 0x07, init 0, no reflection, no final xor; folds `data` into `crc`."""
    for byte in data:
        crc = CRC8_TABLE[crc ^ byte]
    return crc


@dataclass
class Cell:
    name: str
    value: Value | None = None
    op: int | None = None
    timestamp: int | None = None


@dataclass
class Row:
    primary_key: list[tuple[str, Value]] = field(default_factory=list)
    cells: list[Cell] = field(default_factory=list)
    delete_marker: bool = False


def bad(detail: str) -> Exception:
    return OtsError.INVALID_ASSUMED.error(detail=f"Invalid PlainBuffer: {detail}.")


def encode_value(value: Value) -> bytes:
    """`vt + payload`, the form inside a cell and, bare, in a column condition's `column_value`."""
    if isinstance(value, Marker):
        return bytes([value.vt])
    if isinstance(value, bool):
        return bytes([VT_BOOLEAN, 1 if value else 0])
    if isinstance(value, int):
        return bytes([VT_INTEGER]) + struct.pack("<q", value)
    if isinstance(value, float):
        return bytes([VT_DOUBLE]) + struct.pack("<d", value)
    if isinstance(value, str):
        raw = value.encode("utf-8")
        return bytes([VT_STRING]) + struct.pack("<i", len(raw)) + raw
    return bytes([VT_BLOB]) + struct.pack("<i", len(value)) + value


def decode_value(data: bytes) -> Value:
    if not data:
        raise bad("empty value")
    vt, payload = data[0], data[1:]
    try:
        if vt == VT_INTEGER:
            return int(struct.unpack("<q", payload)[0])
        if vt == VT_DOUBLE:
            return float(struct.unpack("<d", payload)[0])
        if vt == VT_BOOLEAN:
            if len(payload) != 1:
                raise bad("boolean size")
            return payload[0] != 0
        if vt in (VT_STRING, VT_BLOB):
            (length,) = struct.unpack_from("<i", payload)
            raw = payload[4:]
            if length != len(raw):
                raise bad("value length")
            if vt == VT_BLOB:
                return bytes(raw)
            try:
                return raw.decode("utf-8")
            except UnicodeDecodeError:
                raise OtsError.INVALID_ASSUMED.error(detail="Invalid UTF-8 in a STRING value.") from None
    except struct.error:
        raise bad("value size") from None
    for marker in (INF_MIN, INF_MAX, AUTO_INCREMENT):
        if vt == marker.vt and not payload:
            return marker
    raise bad(f"value type {vt}")


def _value_crc(crc: int, value: Value) -> int:
    # the checksum covers vt and payload exactly as encoded (string and blob with their int32 length)
    return crc8(crc, encode_value(value))


def cell_crc(cell: Cell) -> int:
    crc = crc8(0, cell.name.encode("utf-8"))
    if cell.value is not None:
        crc = _value_crc(crc, cell.value)
    if cell.timestamp is not None:
        crc = crc8(crc, struct.pack("<q", cell.timestamp))
    if cell.op is not None:
        crc = crc8(crc, bytes([cell.op]))
    return crc


def row_crc(row: Row) -> int:
    crc = 0
    for name, value in row.primary_key:
        crc = crc8(crc, bytes([cell_crc(Cell(name, value))]))
    for cell in row.cells:
        crc = crc8(crc, bytes([cell_crc(cell)]))
    return crc8(crc, b"\x01" if row.delete_marker else b"\x00")


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def peek(self) -> int | None:
        return self.data[self.pos] if self.pos < len(self.data) else None

    def byte(self) -> int:
        if self.pos >= len(self.data):
            raise bad("truncated")
        self.pos += 1
        return self.data[self.pos - 1]

    def take(self, size: int) -> bytes:
        if size < 0 or self.pos + size > len(self.data):
            raise bad("truncated")
        self.pos += size
        return self.data[self.pos - size : self.pos]

    def int32(self) -> int:
        return int(struct.unpack("<i", self.take(4))[0])

    def int64(self) -> int:
        return int(struct.unpack("<q", self.take(8))[0])

    def expect(self, tag: int) -> None:
        if self.byte() != tag:
            raise bad(f"expected tag {tag:#04x} at offset {self.pos - 1}")


def _read_cell(reader: _Reader) -> Cell:
    reader.expect(TAG_CELL)
    reader.expect(TAG_CELL_NAME)
    try:
        name = reader.take(reader.int32()).decode("utf-8")
    except UnicodeDecodeError:
        raise bad("column name is not UTF-8") from None
    cell = Cell(name)
    if reader.peek() == TAG_CELL_VALUE:
        reader.byte()
        cell.value = decode_value(reader.take(reader.int32()))
    if reader.peek() == TAG_CELL_TYPE:
        reader.byte()
        cell.op = reader.byte()
    if reader.peek() == TAG_CELL_TIMESTAMP:
        reader.byte()
        cell.timestamp = reader.int64()
    reader.expect(TAG_CELL_CHECKSUM)
    if reader.byte() != cell_crc(cell):
        raise bad(f"cell checksum mismatch for column '{name}'")
    return cell


def _read_row(reader: _Reader) -> Row:
    reader.expect(TAG_ROW_PK)
    row = Row()
    while reader.peek() == TAG_CELL:
        cell = _read_cell(reader)
        if cell.value is None:
            raise bad(f"primary key column '{cell.name}' has no value")
        row.primary_key.append((cell.name, cell.value))
    if reader.peek() == TAG_ROW_DATA:
        reader.byte()
        while reader.peek() == TAG_CELL:
            row.cells.append(_read_cell(reader))
    if reader.peek() == TAG_DELETE_ROW_MARKER:
        reader.byte()
        row.delete_marker = True
    reader.expect(TAG_ROW_CHECKSUM)
    if reader.byte() != row_crc(row):
        raise bad("row checksum mismatch")
    return row


def decode_rows(data: bytes) -> list[Row]:
    """One header, then any number of rows."""
    reader = _Reader(data)
    if reader.int32() != HEADER:
        raise bad("bad header")
    rows = []
    while reader.peek() is not None:
        rows.append(_read_row(reader))
    return rows


def decode_row(data: bytes) -> Row:
    rows = decode_rows(data)
    if len(rows) != 1:
        raise bad(f"expected one row, got {len(rows)}")
    return rows[0]


def _write_cell(out: bytearray, cell: Cell) -> None:
    name = cell.name.encode("utf-8")
    out += bytes([TAG_CELL, TAG_CELL_NAME]) + struct.pack("<i", len(name)) + name
    if cell.value is not None:
        value = encode_value(cell.value)
        out += bytes([TAG_CELL_VALUE]) + struct.pack("<i", len(value)) + value
    if cell.op is not None:
        out += bytes([TAG_CELL_TYPE, cell.op])
    if cell.timestamp is not None:
        out += bytes([TAG_CELL_TIMESTAMP]) + struct.pack("<q", cell.timestamp)
    out += bytes([TAG_CELL_CHECKSUM, cell_crc(cell)])


def encode_row_body(row: Row) -> bytes:
    """One row without the header, as GetRange concatenates them."""
    out = bytearray([TAG_ROW_PK])
    for name, value in row.primary_key:
        _write_cell(out, Cell(name, value))
    if row.cells:
        out.append(TAG_ROW_DATA)
        for cell in row.cells:
            _write_cell(out, cell)
    if row.delete_marker:
        out.append(TAG_DELETE_ROW_MARKER)
    out += bytes([TAG_ROW_CHECKSUM, row_crc(row)])
    return bytes(out)


def encode_rows(rows: list[Row]) -> bytes:
    """Header plus rows; no rows at all is the empty byte string, as the service answers."""
    if not rows:
        return b""
    return struct.pack("<i", HEADER) + b"".join(encode_row_body(row) for row in rows)

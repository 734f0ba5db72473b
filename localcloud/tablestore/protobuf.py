"""A proto2 wire codec for the few Tablestore messages the emulator reads and writes, standard library only.

Hand-written rather than the `protobuf` runtime so the local cloud keeps its promise (standard library plus
PyYAML): Tablestore's messages use only varints, length-delimited fields (strings, bytes, nested messages) and,
for doubles, none at all, so about sixty lines cover them. Field numbers come from the SDK's shipped
`table_store.proto` / `table_store_filter.proto` and are named where they are used (responses.py). The codec
knows no schemas, so the responses must set every proto2 `required` field themselves: the SDK's C++ codec on
CPython 3.12 rejects a response that lacks one.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from localcloud.tablestore.errors import OtsError

Value = int | bytes


def _varint(value: int) -> bytes:
    if value < 0:
        value += 1 << 64  # proto2 int32/int64: negative numbers are ten-byte two's complement
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


@dataclass
class Message:
    """A decoded message: every occurrence of every field, by number, in wire order."""

    fields: dict[int, list[Value]] = field(default_factory=dict)

    def has(self, number: int) -> bool:
        return number in self.fields

    def integer(self, number: int, default: int = 0, *, signed: bool = True) -> int:
        values = self.fields.get(number)
        if not values or not isinstance(values[-1], int):
            return default
        value = values[-1]
        return value - (1 << 64) if signed and value >= 1 << 63 else value

    def blob(self, number: int, default: bytes = b"") -> bytes:
        values = self.fields.get(number)
        if not values or not isinstance(values[-1], bytes):
            return default
        return values[-1]

    def text(self, number: int, default: str = "") -> str:
        raw = self.blob(number, default.encode())
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise OtsError.INVALID_ASSUMED.error(detail="Invalid UTF-8 in a string field.") from None

    def repeated_bytes(self, number: int) -> list[bytes]:
        return [v for v in self.fields.get(number, []) if isinstance(v, bytes)]

    def repeated_str(self, number: int) -> list[str]:
        return [Message({1: [v]}).text(1) for v in self.repeated_bytes(number)]

    def message(self, number: int) -> Message:
        return decode(self.blob(number))

    def messages(self, number: int) -> list[Message]:
        return [decode(v) for v in self.repeated_bytes(number)]


def decode(data: bytes) -> Message:
    """Any proto2 message; a malformed body is the service's 400 `OTSParameterInvalid`."""
    message = Message()
    pos, end = 0, len(data)
    try:
        while pos < end:
            key, pos = _read_varint(data, pos)
            number, wire_type = key >> 3, key & 7
            value: Value
            if wire_type == 0:
                value, pos = _read_varint(data, pos)
            elif wire_type == 2:
                length, pos = _read_varint(data, pos)
                if pos + length > end:
                    raise ValueError("truncated")
                value, pos = data[pos : pos + length], pos + length
            elif wire_type == 1:
                value, pos = struct.unpack_from("<Q", data, pos)[0], pos + 8
            elif wire_type == 5:
                value, pos = struct.unpack_from("<I", data, pos)[0], pos + 4
            else:
                raise ValueError(f"wire type {wire_type}")
            message.fields.setdefault(number, []).append(value)
    except (ValueError, IndexError, struct.error):
        raise OtsError.INVALID_ASSUMED.error(detail="Failed to parse the request body.") from None
    return message


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")


class Writer:
    """Builds a message field by field; `bytes(writer)` is the encoding."""

    def __init__(self) -> None:
        self._out = bytearray()

    def varint(self, number: int, value: int) -> Writer:
        self._out += _varint(number << 3) + _varint(value)
        return self

    def flag(self, number: int, value: bool) -> Writer:
        return self.varint(number, 1 if value else 0)

    def blob(self, number: int, value: bytes) -> Writer:
        self._out += _varint(number << 3 | 2) + _varint(len(value)) + value
        return self

    def text(self, number: int, value: str) -> Writer:
        return self.blob(number, value.encode("utf-8"))

    def message(self, number: int, value: Writer) -> Writer:
        return self.blob(number, bytes(value))

    def __bytes__(self) -> bytes:
        return bytes(self._out)

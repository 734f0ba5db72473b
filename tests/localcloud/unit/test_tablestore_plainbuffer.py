"""The emulator's PlainBuffer and protobuf codecs, against bytes captured from the official SDK (fact sheet §5, §6)."""

from __future__ import annotations

import pytest

from localcloud.tablestore import plainbuffer as pb
from localcloud.tablestore.protobuf import Writer, decode
from localcloud.wire import ServiceError

# A GetRow primary key as the SDK sent it: cell crc 0xe2, row crc 0x69.
CAPTURED_PK = bytes.fromhex("7500000001030409000000") + b"person_id" + bytes.fromhex("050a0000000305000000")
CAPTURED_PK += b"p-001" + bytes.fromhex("0ae20969")


def test_captured_primary_key_decodes_and_reencodes_byte_for_byte() -> None:
    row = pb.decode_row(CAPTURED_PK)
    assert row.primary_key == [("person_id", "p-001")]
    assert pb.encode_rows([row]) == CAPTURED_PK
    assert pb.cell_crc(pb.Cell("person_id", "p-001")) == 0xE2
    assert pb.row_crc(row) == 0x69


def test_crc8_is_polynomial_7_without_reflection() -> None:
    assert pb.crc8(0, b"123456789") == 0xF4  # the CRC-8/SMBUS check value


@pytest.mark.parametrize("position", [-1, -3])
def test_a_wrong_checksum_is_refused(position: int) -> None:
    damaged = bytearray(CAPTURED_PK)
    damaged[position] ^= 0xFF
    with pytest.raises(ServiceError) as error:
        pb.decode_row(bytes(damaged))
    assert (error.value.status, error.value.code) == (400, "OTSParameterInvalid")
    assert "checksum" in error.value.message


def test_every_value_type_and_update_ops_round_trip() -> None:
    row = pb.Row(
        [("k", "x"), ("n", -5), ("b", b"\x00\x01")],
        [
            pb.Cell("i", 2**62, timestamp=1_700_000_000_000),
            pb.Cell("d", 0.25),
            pb.Cell("t", True),
            pb.Cell("s", "héllo"),
            pb.Cell("blob", b"\xff"),
            pb.Cell("gone", op=pb.OP_DELETE_ALL_VERSION),
            pb.Cell("one", op=pb.OP_DELETE_ONE_VERSION, timestamp=5),
            pb.Cell("count", 3, op=pb.OP_INCREMENT),
        ],
    )
    encoded = pb.encode_rows([row, pb.Row([("k", "y"), ("n", 0), ("b", b"")], delete_marker=True)])
    decoded = pb.decode_rows(encoded)
    assert decoded[0] == row
    assert decoded[1].delete_marker


def test_range_markers_and_bare_variants() -> None:
    row = pb.decode_row(pb.encode_rows([pb.Row([("k", pb.INF_MIN), ("n", pb.INF_MAX)])]))
    assert row.primary_key == [("k", pb.INF_MIN), ("n", pb.INF_MAX)]
    assert pb.encode_value(6) == bytes.fromhex("000600000000000000")
    assert pb.encode_value("left") == bytes.fromhex("0304000000") + b"left"
    assert pb.decode_value(bytes.fromhex("0201")) is True


def test_no_rows_is_the_empty_byte_string_and_bad_utf8_is_400() -> None:
    assert pb.encode_rows([]) == b""
    with pytest.raises(ServiceError):
        pb.decode_value(bytes.fromhex("030100000080"))


def test_protobuf_codec_round_trips_nested_messages_and_negative_numbers() -> None:
    inner = Writer().varint(1, -1).text(2, "name").flag(3, True)
    message = decode(bytes(Writer().message(1, inner).blob(2, b"").text(3, "a").text(3, "b")))
    nested = message.message(1)
    assert (nested.integer(1), nested.text(2), nested.integer(3)) == (-1, "name", 1)
    assert message.has(2)
    assert message.blob(2) == b""
    assert message.repeated_str(3) == ["a", "b"]
    with pytest.raises(ServiceError):
        decode(b"\x0a\x05ab")


def test_captured_error_body_is_byte_identical() -> None:
    body = bytes(Writer().text(1, "OTSConditionCheckFail").text(2, "Condition check failed."))
    expected = "0a154f5453436f6e646974696f6e436865636b4661696c1217436f6e646974696f6e20636865636b206661696c65642e"
    assert body.hex() == expected

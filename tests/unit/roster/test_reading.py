"""Reading a roster file: what is read as rows, and what refuses the whole file before anything is done.

A roster is complete, so a file read wrongly makes leavers of people: these tests hold the reader to refusing
whatever it cannot read with certainty, naming the file, line and column, while allowing for what spreadsheets
and exporters really write (a byte-order mark, blank lines, quoted commas, trailing empty columns).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from shared.roster.reading import COLUMNS, RosterFileError, parse_roster, read_roster

SAMPLES = Path(__file__).resolve().parents[3] / "events" / "roster"
HEADER = "uid,nickname,mobile,department,title,roles\n"


def csv(text: str) -> list[tuple[int, dict[str, object]]]:
    roster = parse_roster(text.encode(), "people.csv", "csv")
    return [(row.line, dict(row.values)) for row in roster.rows]


def jsonl(text: str) -> list[tuple[int, dict[str, object]]]:
    roster = parse_roster(text.encode(), "people.jsonl", "jsonl")
    return [(row.line, dict(row.values)) for row in roster.rows]


def refusal(text: str | bytes, format: str = "csv") -> str:  # noqa: A002
    raw = text.encode() if isinstance(text, str) else text
    with pytest.raises(RosterFileError) as caught:
        parse_roster(raw, f"people.{format}", format)  # type: ignore[arg-type]
    return str(caught.value)


# CSV


def test_csv_rows_carry_their_line_and_only_the_columns_they_fill() -> None:
    rows = csv(HEADER + "2000000000101,Chen Jing,+8613800138101,Data Engineering,Data Engineer,\n")
    assert rows == [
        (
            2,
            {
                "uid": "2000000000101",
                "nickname": "Chen Jing",
                "mobile": "+8613800138101",
                "department": "Data Engineering",
                "title": "Data Engineer",
            },
        )
    ]


@pytest.mark.parametrize("cell", ["USER,DBA", "USER;DBA", " user ; dba ", "USER;;DBA;"])
def test_csv_roles_split_on_commas_or_semicolons(cell: str) -> None:
    ((_, values),) = csv(f'uid,nickname,roles\n1,A,"{cell}"\n')
    assert [str(role).upper() for role in values["roles"]] == ["USER", "DBA"]  # type: ignore[attr-defined]


def test_a_csv_tenant_id_of_digits_is_an_integer_and_anything_else_is_left_for_the_contract() -> None:
    rows = csv("uid,nickname,tenant_id\n1,A,10001\n2,B,ten\n")
    assert [values["tenant_id"] for _, values in rows] == [10001, "ten"]


def test_an_excel_csv_with_a_byte_order_mark_reads_its_first_column() -> None:
    rows = parse_roster(b"\xef\xbb\xbf" + (HEADER + "1,A,,,,\n").encode(), "people.csv", "csv").rows
    assert rows[0].uid == "1"


def test_blank_lines_and_rows_of_empty_cells_are_skipped_and_lines_still_count() -> None:
    rows = csv("\n" + HEADER + "\n1,A,,,,\n,,,,,\n\r\n2,B,,,,\n")
    assert [(line, values["uid"]) for line, values in rows] == [(4, "1"), (7, "2")]


def test_a_quoted_value_may_hold_a_comma_or_a_line_break_and_the_next_row_keeps_its_line() -> None:
    rows = csv('uid,nickname\n1,"Wong, Ka Yan"\n2,"two\nlines"\n3,C\n')
    assert [(line, values["nickname"]) for line, values in rows] == [(2, "Wong, Ka Yan"), (3, "two\nlines"), (5, "C")]


def test_header_names_are_read_without_case_or_surrounding_spaces() -> None:
    ((_, values),) = csv(" UID , Nickname \n1,A\n")
    assert values == {"uid": "1", "nickname": "A"}


def test_an_unknown_column_refuses_the_file_naming_it_and_the_nearest_column() -> None:
    message = refusal("uid,nickname,role,Mobil\n1,A,DBA,\n")
    assert message.startswith(
        "people.csv:1: unknown columns 'role' (did you mean roles?), 'Mobil' (did you mean mobile?)"
    )
    assert ", ".join(COLUMNS) in message


def test_a_header_without_a_required_column_refuses_the_file() -> None:
    assert refusal("uid,mobile\n1,+8613800138101\n") == "people.csv:1: the header lacks the required column nickname"


def test_a_header_naming_a_column_twice_refuses_the_file() -> None:
    assert refusal("uid,nickname,uid\n1,A,1\n") == "people.csv:1: the header names column uid twice"


def test_a_row_with_more_values_than_the_header_refuses_the_file_rather_than_shift_columns() -> None:
    message = refusal(HEADER + "1,Wong, Ka Yan,,,,\n")
    assert message.startswith("people.csv:2: 7 values, but the header names 6 columns")
    assert "double quotes" in message


def test_a_row_with_fewer_values_than_the_header_refuses_the_file() -> None:
    assert refusal(HEADER + "1,A\n") == "people.csv:2: 2 values, but the header names 6 columns"


def test_trailing_empty_columns_as_spreadsheets_write_them_are_allowed() -> None:
    rows = csv("uid,nickname,,\n1,A,,\n2,B,,\n")
    assert [values for _, values in rows] == [{"uid": "1", "nickname": "A"}, {"uid": "2", "nickname": "B"}]


def test_a_value_under_a_column_with_no_name_refuses_the_file_naming_line_and_column() -> None:
    assert refusal("uid,nickname,\n1,A,DBA\n") == "people.csv:2:3: a value under a column the header does not name"


def test_text_that_is_not_utf8_refuses_the_file_naming_line_and_column() -> None:
    message = refusal(HEADER.encode() + "1,王芳,,,,\n".encode("gbk"))
    assert message.startswith("people.csv:2:3: is not UTF-8 text")


def test_a_broken_quote_refuses_the_file() -> None:
    assert refusal(HEADER + '1,"A"B,,,,\n').startswith("people.csv:2: is not valid CSV")


@pytest.mark.parametrize("text", ["", "\n\n", HEADER, HEADER + ",,,,,\n"])
def test_a_roster_that_lists_nobody_is_refused_rather_than_make_everyone_a_leaver(text: str) -> None:
    assert "people.csv" in refusal(text)


# JSON Lines


def test_jsonl_rows_are_objects_one_a_line_with_lists_kept_as_lists() -> None:
    rows = jsonl('{"uid": "1", "nickname": "A", "roles": ["USER", "DBA"], "tenant_id": 10001}\n')
    assert rows == [(1, {"uid": "1", "nickname": "A", "roles": ["USER", "DBA"], "tenant_id": 10001})]


def test_jsonl_blank_lines_are_skipped_and_nulls_and_empty_strings_are_absent() -> None:
    rows = jsonl('\n{"uid": "1", "nickname": "A", "mobile": null, "title": ""}\n  \n{"uid": "2", "nickname": "B"}\n')
    assert rows == [(2, {"uid": "1", "nickname": "A"}), (4, {"uid": "2", "nickname": "B"})]


def test_jsonl_values_of_the_wrong_type_are_left_for_the_contract_to_word() -> None:
    ((_, values),) = jsonl('{"uid": 2000000000101, "nickname": "A", "roles": "USER"}\n')
    assert values == {"uid": 2000000000101, "nickname": "A", "roles": "USER"}


def test_a_jsonl_line_that_is_not_json_refuses_the_file_naming_line_and_column() -> None:
    message = refusal('{"uid": "1", "nickname": "A"}\n{"uid": "2" "nickname": "B"}\n', "jsonl")
    assert message == "people.jsonl:2:13: is not valid JSON: Expecting ',' delimiter"


def test_a_jsonl_key_given_twice_refuses_the_file() -> None:
    message = refusal('{"uid": "1", "nickname": "A", "uid": "2"}\n', "jsonl")
    assert message.startswith("people.jsonl:1: ")
    assert "appears twice" in message


def test_a_jsonl_line_that_is_not_an_object_refuses_the_file() -> None:
    assert refusal('["1", "A"]\n', "jsonl") == "people.jsonl:1: each line holds one JSON object, one person"


def test_unknown_jsonl_keys_refuse_the_file_naming_each_with_its_first_line() -> None:
    message = refusal('{"uid": "1", "nickname": "A"}\n{"uid": "2", "nickname": "B", "role": "DBA"}\n', "jsonl")
    assert message.startswith("people.jsonl:2: unknown column 'role' (did you mean roles?) on line 2")


# Files


def test_the_format_comes_from_the_suffix_and_the_digest_from_the_bytes(tmp_path: Path) -> None:
    path = tmp_path / "people.ndjson"
    path.write_bytes(b'{"uid": "1", "nickname": "A"}\n')
    roster = read_roster(path)
    assert (roster.format, roster.sha256) == ("jsonl", hashlib.sha256(path.read_bytes()).hexdigest())


def test_a_file_of_another_kind_or_missing_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RosterFileError, match=r"neither \.csv nor \.jsonl"):
        read_roster(tmp_path / "people.xlsx")
    with pytest.raises(RosterFileError, match="No such file"):
        read_roster(tmp_path / "people.csv")


def test_the_sample_rosters_list_the_same_people() -> None:
    as_csv = read_roster(SAMPLES / "people.csv").rows
    as_jsonl = read_roster(SAMPLES / "people.jsonl").rows
    assert [dict(row.values) for row in as_csv] == [dict(row.values) for row in as_jsonl]


def test_a_row_never_shows_its_mobile_in_its_repr() -> None:
    roster = parse_roster((HEADER + "1,A,+8613800138101,,,\n").encode(), "people.csv", "csv")
    assert "13800138101" not in repr(roster)

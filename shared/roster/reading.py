"""A roster file (CSV with a header row, or JSON Lines) read into rows, before the contract sees any of it.

A roster is complete by definition: whoever it leaves out becomes a leaver. So a file this module cannot read
with certainty is refused whole (RosterFileError, naming the file, line and column), before anything is done:
an unknown column (a typo of `roles` would otherwise drop every role it lists), a CSV row with more or fewer
values than the header (a stray comma in a name shifts every later column), a line that is not JSON. What the
contract judges (a uid that is not digits, a bad mobile, an unknown role) is not this module's business: those
rows are read as they are and rejected one by one later, so one bad row does not stop everyone else's access.

Both formats come out the same: a `RosterRow` holding the line it starts on and the columns it gives, typed as
the contract wants them (`roles` a list, `tenant_id` an integer when it is one), empty values left out. Excel's
habits are allowed for: a UTF-8 byte-order mark, blank lines and rows of empty cells, trailing columns with
neither a name nor a value.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from shared.contract.strictjson import load_json

Format = Literal["csv", "jsonl"]

REQUIRED = ("uid", "nickname")
PERSON = ("mobile", "department", "title")
"""Department and title go through the role mapping."""
OVERRIDES = ("roles", "tenant_id", "workspace_id", "workspace_role", "dms_unit")
"""Explicit DMS settings; each one given wins over the role mapping for that person."""
COLUMNS = (*REQUIRED, *PERSON, *OVERRIDES)
SUFFIXES: Mapping[str, Format] = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
_ROLE_SEPARATORS = re.compile(r"[,;]")
_MAX_BYTES = 64 * 1024 * 1024
"""Two hundred thousand people fit in far less; a bigger file is some other file."""


class RosterFileError(Exception):
    """The file cannot be read as a roster; nothing was done. The text names the file, and the line and column."""

    def __init__(self, path: str, reason: str, line: int | None = None, column: int | None = None) -> None:
        where = path
        if line is not None:
            where += f":{line}" + (f":{column}" if column is not None else "")
        super().__init__(f"{where}: {reason}")
        self.path = path
        self.line = line
        self.column = column


@dataclass(frozen=True)
class RosterRow:
    line: int
    """The line the row starts on, counting the header (CSV) as line 1, as an editor numbers them."""
    values: Mapping[str, Any] = field(repr=False)
    """Column -> value, only the columns the row gives; kept out of repr because `mobile` is among them."""

    @property
    def uid(self) -> str | None:
        uid = self.values.get("uid")
        return uid if isinstance(uid, str) else None


@dataclass(frozen=True)
class Roster:
    path: str
    format: Format
    sha256: str
    rows: tuple[RosterRow, ...]


def read_roster(path: str | Path, format: Format | None = None) -> Roster:  # noqa: A002 - the CLI's word
    """The rows of the file at `path`; the format from the suffix (.csv, .jsonl, .ndjson) unless given."""
    name = str(path)
    chosen = format or SUFFIXES.get(Path(name).suffix.lower())
    if chosen is None:
        raise RosterFileError(name, "is neither .csv nor .jsonl; rename it to say which it is")
    try:
        with open(name, "rb") as file:
            raw = file.read(_MAX_BYTES + 1)
    except OSError as error:
        raise RosterFileError(name, error.strerror or str(error)) from None
    if len(raw) > _MAX_BYTES:
        raise RosterFileError(name, f"is larger than {_MAX_BYTES // (1024 * 1024)} MiB; is it a roster?")
    return parse_roster(raw, name, chosen)


def parse_roster(raw: bytes, path: str, format: Format) -> Roster:  # noqa: A002
    text = _text(raw, path)
    rows = tuple(_csv_rows(text, path) if format == "csv" else _jsonl_rows(text, path))
    if not rows:
        # Refused here, whatever the options: a roster of nobody would make every active person a leaver.
        raise RosterFileError(path, "lists nobody; a roster lists everyone who should have DMS access")
    return Roster(path, format, hashlib.sha256(raw).hexdigest(), rows)


def _text(raw: bytes, path: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        column = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
        raise RosterFileError(path, 'is not UTF-8 text (in Excel, save as "CSV UTF-8")', line, column) from None


def _unknown(path: str, names: Mapping[str, int], where: str) -> RosterFileError:
    """Every unknown column at once, each with the nearest known name: one run of the tool finds every typo."""
    described = []
    for name, line in names.items():
        near = difflib.get_close_matches(name.lower(), COLUMNS, n=1)
        hint = f" (did you mean {near[0]}?)" if near else ""
        described.append(f"{name!r}{hint}" + (f" on line {line}" if where == "jsonl" else ""))
    first = min(names.values())
    return RosterFileError(
        path,
        f"unknown column{'s' if len(names) > 1 else ''} {', '.join(described)}; the columns are {', '.join(COLUMNS)}",
        first,
    )


def _csv_rows(text: str, path: str) -> Iterator[RosterRow]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    last = 0
    try:
        for record in reader:
            start, last = last + 1, reader.line_num
            cells = [cell.strip() for cell in record]
            if not any(cells):
                continue  # a blank line, or a row of empty cells as Excel leaves below a table
            if header is None:
                header = _header(cells, path, start)
                continue
            yield _csv_row(header, cells, path, start)
    except csv.Error as error:
        raise RosterFileError(path, f"is not valid CSV: {error}", reader.line_num) from None
    if header is None:
        raise RosterFileError(
            path, f"is empty: a CSV roster starts with a header row naming its columns ({', '.join(COLUMNS)})"
        )


def _header(cells: list[str], path: str, line: int) -> list[str]:
    names = [cell.lower() for cell in cells]
    unknown = {cell: line for cell, name in zip(cells, names, strict=True) if name and name not in COLUMNS}
    if unknown:
        raise _unknown(path, unknown, "csv")
    seen: set[str] = set()
    for name in names:
        if name and name in seen:
            raise RosterFileError(path, f"the header names column {name} twice", line)
        seen.add(name)
    missing = [name for name in REQUIRED if name not in seen]
    if missing:
        raise RosterFileError(
            path, f"the header lacks the required column{'s' if len(missing) > 1 else ''} {' and '.join(missing)}", line
        )
    return names


def _csv_row(header: list[str], cells: list[str], path: str, line: int) -> RosterRow:
    if len(cells) != len(header):
        hint = " (a comma inside a value needs the value in double quotes)" if len(cells) > len(header) else ""
        raise RosterFileError(path, f"{len(cells)} values, but the header names {len(header)} columns{hint}", line)
    values: dict[str, Any] = {}
    for position, (name, cell) in enumerate(zip(header, cells, strict=True), start=1):
        if not cell:
            continue
        if not name:
            raise RosterFileError(path, "a value under a column the header does not name", line, position)
        values[name] = _csv_value(name, cell)
    return RosterRow(line, values)


def _csv_value(name: str, cell: str) -> Any:
    """A cell as the contract wants it; a value it cannot type is passed as text, for the contract to word."""
    if name == "roles":
        return [role.strip() for role in _ROLE_SEPARATORS.split(cell) if role.strip()]
    if name == "tenant_id" and cell.isascii() and cell.isdigit():
        return int(cell)
    return cell


def _jsonl_rows(text: str, path: str) -> Iterator[RosterRow]:
    rows: list[RosterRow] = []
    unknown: dict[str, int] = {}
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        document = _json_object(line, path, number)
        for key in document:
            if key not in COLUMNS:
                unknown.setdefault(key, number)
        values = {key: value for key, value in document.items() if value is not None and value != ""}
        rows.append(RosterRow(number, values))
    if unknown:
        raise _unknown(path, unknown, "jsonl")
    return iter(rows)


def _json_object(line: str, path: str, number: int) -> dict[str, Any]:
    try:
        json.loads(line)
    except json.JSONDecodeError as error:
        raise RosterFileError(path, f"is not valid JSON: {error.msg}", number, error.colno) from None
    except RecursionError:
        raise RosterFileError(path, "is nested too deeply", number) from None
    try:
        document = load_json(line)  # the strict reading: no NaN, no key twice, no lone surrogate
    except ValueError as error:
        raise RosterFileError(path, str(error), number) from None
    if not isinstance(document, dict):
        raise RosterFileError(path, "each line holds one JSON object, one person", number)
    return document

"""Hypothesis strategies for HR events the way senders get them wrong: the real samples, mutated.

Generated from scratch, almost nothing gets past the first few contract rules; mutating the samples in
events/hr/ keeps most of a real event intact, so every rule (and every combination of problems) is reached.
Leaves are also made from the valid samples, since a leave may carry anything from the uid alone to the whole
record, and each of those shapes must be judged as the contract says.
Payloads come as decoded documents (what the worker sees), as JSON text, and as raw bytes (what the webhook
sees), including bytes no JSON parser should accept: invalid UTF-8, duplicate keys, NaN, truncation, depth.
"""

from __future__ import annotations

import copy
import functools
import json
import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from shared.contract.schema import SCHEMA_PATH

EVENTS = Path(__file__).resolve().parents[2] / "events" / "hr"
SAMPLES: tuple[dict[str, Any], ...] = tuple(
    json.loads(path.read_text(encoding="utf-8")) for path in sorted(EVENTS.glob("*.json"))
)
VALID_SAMPLES: tuple[dict[str, Any], ...] = tuple(
    json.loads(path.read_text(encoding="utf-8"))
    for path in sorted(EVENTS.glob("*.json"))
    if not path.name.startswith("invalid-")
)

Location = tuple[str | int, ...]


def examples(count: int) -> settings:
    """Settings for a property test: `count` examples, reproducible in CI unless FUZZ_RANDOM=1 explores anew."""
    return settings(
        max_examples=count,
        deadline=None,
        database=None,
        derandomize=os.environ.get("FUZZ_RANDOM") != "1",
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.function_scoped_fixture,
            HealthCheck.filter_too_much,
        ],
    )


def _field_paths(schema: Mapping[str, Any], defs: Mapping[str, Any], prefix: str = "") -> Iterator[str]:
    for name, spec in schema.get("properties", {}).items():
        yield prefix + name
        for option in [spec, *spec.get("anyOf", [])]:
            ref = option.get("$ref", "")
            if ref.startswith("#/$defs/"):
                yield from _field_paths(defs[ref.removeprefix("#/$defs/")], defs, prefix + name + ".")


_SCHEMA = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
CONTRACT_FIELDS: frozenset[str] = frozenset(_field_paths(_SCHEMA, _SCHEMA["$defs"]))
"""Every dotted field path the contract knows: a problem may name one of these even when it is absent."""
FIELD_NAMES = sorted({path.rsplit(".", 1)[-1] for path in CONTRACT_FIELDS})

NASTY_TEXT = st.sampled_from(
    [
        "",
        " ",
        "\x00",
        "\t\n\r",
        "\u200b",  # zero-width space (Cf)
        "\u202e",  # right-to-left override (Cf)
        "\ufeff",  # byte order mark (Cf)
        "\x1b[31m",  # terminal escape
        "\ud800",  # lone surrogate: not encodable as UTF-8
        "\udfff",
        "Ω≈ç√∫",
        "王芳",
        "🙂👩‍💻",
        "e\u0301",  # combining accent
        "null",
        "true",
        "1e309",
        "2025-03-03T09:30:00",
        "2025-03-03T09:30:00+08:00",
        "+86 139 0000 1234",
        "../../etc/passwd",
        "<script>alert(1)</script>",
        "'; DROP TABLE users; --",
        "${jndi:ldap://x}",
        "%s%s%n",
    ]
)
HUGE_SIZES = (65, 129, 5_000, 70_000)
"""Past every length limit of the contract, and past the webhook's and MNS's 64 KiB."""
NUMBERS = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1, -1, 2, 2**53 + 1, 1.0, 0.5, 10001, 2000000000000004]),
)


@functools.cache
def texts(max_size: int) -> st.SearchStrategy[str]:
    huge = st.builds(
        lambda char, size: char * size,
        st.sampled_from(["a", "é", "\x00", " ", "9"]),
        st.sampled_from([size for size in HUGE_SIZES if size <= max_size]),
    )
    return st.one_of(st.text(max_size=30), NASTY_TEXT, huge)


@functools.cache
def keys() -> st.SearchStrategy[str]:
    known = st.sampled_from([*FIELD_NAMES, "", ".", "employee.uid", "__proto__", "$ref", "legacy_code", "\ud800"])
    return st.one_of(known, st.text(max_size=12))


@functools.cache
def json_values(max_size: int) -> st.SearchStrategy[Any]:
    leaves = st.one_of(st.none(), st.booleans(), NUMBERS, texts(max_size))
    return st.recursive(
        leaves,
        lambda children: st.lists(children, max_size=4) | st.dictionaries(keys(), children, max_size=4),
        max_leaves=8,
    )


MOBILES = st.builds(
    lambda prefix, digits, separator: prefix + separator.join(digits[i : i + 3] for i in range(0, len(digits), 3)),
    st.sampled_from(["", "+", "00", "+86 ", "(0086) ", "+0", "++", "tel:"]),
    st.text(alphabet="0123456789", min_size=0, max_size=20),
    st.sampled_from(["", " ", "-", ".", "/", "x"]),
)
"""Phone-like strings, valid and not; a reason must never repeat one."""


def paths(node: Any, prefix: Location = ()) -> Iterator[Location]:
    """Every place in a document, the root included."""
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from paths(value, (*prefix, index))


def get(node: Any, path: Location) -> Any:
    for part in path:
        node = node[part]
    return node


def _set(document: Any, path: Location, value: Any) -> Any:
    if not path:
        return value
    get(document, path[:-1])[path[-1]] = value
    return document


def _retyped(value: Any, draw: Callable[[st.SearchStrategy[Any]], Any]) -> Any:
    if isinstance(value, str):
        digits = "".join(ch for ch in value if ch in "0123456789")[:30]
        return draw(st.sampled_from([int(digits or "0"), float(digits or "0"), [value], {"value": value}, value == ""]))
    if isinstance(value, bool):
        return draw(st.sampled_from([str(value).lower(), int(value), None]))
    if isinstance(value, (int, float)):
        return draw(st.sampled_from([str(value), [value], value + 0.5, -value, bool(value)]))
    return draw(st.sampled_from([json.dumps(value), [value], None, 0]))


def _mutate(document: Any, draw: Callable[[st.SearchStrategy[Any]], Any], max_text: int) -> Any:
    path = draw(st.sampled_from(list(paths(document))))
    node = get(document, path)
    operation = draw(st.sampled_from(["drop", "add", "replace", "retype", "text", "case", "repeat", "mobile"]))
    if operation == "drop" and path:
        parent = get(document, path[:-1])
        del parent[path[-1]]
    elif operation == "add" and isinstance(node, dict):
        node[draw(keys())] = draw(json_values(max_text))
    elif operation == "replace":
        document = _set(document, path, draw(json_values(max_text)))
    elif operation == "retype":
        document = _set(document, path, _retyped(node, draw))
    elif operation == "text" and isinstance(node, str):
        at = draw(st.integers(0, len(node)))
        document = _set(document, path, node[:at] + draw(texts(max_text)) + node[at:])
    elif operation == "case" and isinstance(node, str):
        document = _set(
            document, path, draw(st.sampled_from([node.upper(), node.lower(), node.swapcase(), node.title()]))
        )
    elif operation == "repeat" and isinstance(node, list) and node:
        node.append(copy.deepcopy(draw(st.sampled_from(node))))
    elif operation == "mobile" and isinstance(document, dict) and isinstance(document.get("employee"), dict):
        document["employee"]["mobile"] = draw(MOBILES)
    return document


@st.composite
def leaves(draw: Callable[[st.SearchStrategy[Any]], Any]) -> dict[str, Any]:
    """A valid leave made from a valid sample: the uid and any of its other employee fields, with or without
    correlation_id. The nickname is now and then null, as a sender of whole records may write an absent one.
    """
    document: dict[str, Any] = copy.deepcopy(draw(st.sampled_from(VALID_SAMPLES)))
    document["type"] = "employee.left"
    if draw(st.booleans()):
        document.pop("correlation_id", None)
    employee: dict[str, Any] = document["employee"]
    kept = {name: value for name, value in employee.items() if name == "uid" or draw(st.booleans())}
    if "nickname" in kept and draw(st.sampled_from(range(4))) == 3:
        kept["nickname"] = None
    document["employee"] = kept
    return document


@st.composite
def events(draw: Callable[[st.SearchStrategy[Any]], Any], max_mutations: int = 4, max_text: int = 70_000) -> Any:
    """A sample event, or one in four times a leave made from one, with up to `max_mutations` mutations: any JSON
    value, most often an almost-right event.

    `max_text` bounds the huge strings mutations write, for callers that need the result to fit a queue message.
    """
    start = leaves() if draw(st.sampled_from(range(4))) == 3 else st.sampled_from(SAMPLES)
    document = copy.deepcopy(draw(start))
    for _ in range(draw(st.integers(0, max_mutations))):
        document = _mutate(document, draw, max_text)
    return document


def _dump_with_duplicate(node: Any, target: Location, here: Location = ()) -> str:
    """JSON text of `node` where the object at `target` has its first key written twice (the second wins)."""
    if isinstance(node, dict):
        items = [f"{json.dumps(str(k))}: {_dump_with_duplicate(v, target, (*here, k))}" for k, v in node.items()]
        if here == target and node:
            key, value = next(iter(node.items()))
            items.insert(0, f"{json.dumps(str(key))}: {json.dumps(value)}")
        return "{" + ", ".join(items) + "}"
    if isinstance(node, list):
        return "[" + ", ".join(_dump_with_duplicate(v, target, (*here, i)) for i, v in enumerate(node)) + "]"
    return json.dumps(node)


INVALID_UTF8 = [b"\xff", b"\xfe", b"\xc3", b"\x80", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xc0\xaf"]
WHOLE_DOCUMENTS = [b"", b" ", b"null", b"[]", b"[{}]", b"1", b'"event"', b"{", b"}", b"{}", b"\xef\xbb\xbf{}"]


@st.composite
def raw_events(draw: Callable[[st.SearchStrategy[Any]], Any], max_text: int = 70_000) -> bytes:
    """What could arrive as a request body: mutated events as UTF-8 JSON, and bytes no JSON parser should take."""
    document = draw(events(max_text=max_text))
    form = draw(
        st.sampled_from(["utf-8", "utf-8", "ascii", "bom", "invalid-utf8", "duplicate", "truncated", "deep", "whole"])
    )
    text = json.dumps(document, ensure_ascii=False)
    if form == "ascii":
        return json.dumps(document).encode("ascii")
    if form == "bom":
        return b"\xef\xbb\xbf" + json.dumps(document).encode("ascii")
    if form == "invalid-utf8":
        raw = json.dumps(document).encode("ascii")
        at = draw(st.integers(0, len(raw)))
        broken: bytes = draw(st.sampled_from(INVALID_UTF8))
        return raw[:at] + broken + raw[at:]
    if form == "duplicate":
        objects = [p for p in paths(document) if isinstance(get(document, p), dict) and get(document, p)]
        if objects:
            text = _dump_with_duplicate(document, draw(st.sampled_from(objects)))
    elif form == "truncated":
        text = text[: draw(st.integers(0, max(0, len(text) - 1)))]
    elif form == "deep":
        depth = draw(st.sampled_from([depth for depth in (100, 5_000, 200_000) if depth <= max_text]))
        text = '{"employee": ' + "[" * depth + "]" * depth + "}"
    elif form == "whole":
        return bytes(draw(st.sampled_from(WHOLE_DOCUMENTS)))
    # Lone surrogates cannot be encoded; sent as they would be by a lax encoder, they make invalid UTF-8.
    return text.encode("utf-8", "surrogatepass")


def resolves(node: Any, parts: list[str]) -> bool:
    """Whether a dotted path names something in the document (keys may themselves contain dots)."""
    if not parts:
        return True
    for cut in range(1, len(parts) + 1):
        key = ".".join(parts[:cut])
        if isinstance(node, dict) and key in node and resolves(node[key], parts[cut:]):
            return True
        if isinstance(node, list) and key.isdigit() and int(key) < len(node) and resolves(node[int(key)], parts[cut:]):
            return True
    return False


def names_a_field(document: Any, field: str) -> bool:
    """A problem's field is a path in the document, or a field of the contract (one that is missing).

    Two ways the contract reports a field as "", which otherwise means the whole document, are allowed here:
    a key "" at the top (keys are joined with dots as they are), and, in a decoded document only, a key that is
    no text (a lone surrogate, which pydantic refuses without saying where). JSON text holding either of those is
    refused as a whole before that.
    """
    if field == "" and any(not _is_text(key) for key in paths_keys(document)):
        return True
    return field in CONTRACT_FIELDS or resolves(document, field.split("."))


def paths_keys(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield key
            yield from paths_keys(value)
    elif isinstance(node, list):
        for value in node:
            yield from paths_keys(value)


def _is_text(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def mobile_digits(document: Any) -> str | None:
    """The digits of the document's mobile when there are enough of them to be recognisable in a message."""
    employee = document.get("employee") if isinstance(document, dict) else None
    mobile = employee.get("mobile") if isinstance(employee, dict) else None
    if not isinstance(mobile, str):
        return None
    digits = "".join(ch for ch in mobile if ch in "0123456789")
    return digits if len(digits) >= 7 else None

"""Strict JSON for what outsiders send: no NaN or Infinity, no key twice in one object, no lone surrogate.

The webhook reads request bodies with it and the worker reads bare events put on the queue with it, so both
refuse what the contract would refuse, rather than letting the last of two duplicate keys win unseen.
"""

from __future__ import annotations

import json
import re

_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def load_json(raw: bytes | str) -> object:
    """The document in `raw`; a ValueError whose text is the reason, worded for the person who sent it."""
    try:
        text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as exc:
        raise ValueError(f"is not UTF-8 text: byte {exc.start} cannot be decoded") from None
    try:
        document = json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_unique_keys)
        if _SURROGATE_ESCAPE.search(text) and not _is_text(document):
            # RFC 7493 (I-JSON) 2.1: a lone surrogate names no character, so no key or value can hold it, and a
            # key holding one would otherwise be reported without its place (pydantic locates it nowhere).
            raise ValueError("a \\u escape is half of a surrogate pair, which is no character")
        return document
    except json.JSONDecodeError as exc:
        raise ValueError(f"is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except ValueError as exc:
        raise ValueError(f"is not valid JSON: {exc}") from None
    except RecursionError:
        raise ValueError("is nested too deeply to be an HR document") from None


def _is_text(document: object) -> bool:
    try:
        json.dumps(document, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not a JSON number")


def _unique_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    result: dict[str, object] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"the key {json.dumps(key)} appears twice in one object")
        result[key] = value
    return result

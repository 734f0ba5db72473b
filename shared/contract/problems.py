"""Validation failures as (field, reason) pairs a person can act on, in our words rather than pydantic's.

HR admins read these in webhook answers and dead-letter records, so the wording is ours and stable, every
problem is listed at once, and no reason repeats the input: pydantic echoes values, and a value may be a mobile.
Validators that need their own wording raise `PydanticCustomError` with a type starting with `own_`; their
message is used as is. Everything else is worded here, from the error type and its constraints.
Pydantic is imported only for type checking, so wording a problem costs a cold start nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import ValidationError
    from pydantic_core import ErrorDetails

OWN_ERROR_PREFIX = "own_"

DATETIME_REASON = "must be an RFC 3339 date-time with a UTC offset, e.g. 2025-03-01T09:00:00+08:00"
_REASONS = {
    "missing": "is required",
    "extra_forbidden": "is not allowed",
    "string_type": "must be a string",
    "string_too_long": "must be at most {max_length} characters",
    "int_type": "must be an integer",
    "int_parsing": "must be an integer",
    "int_from_float": "must be an integer",
    "bool_type": "must be true or false",
    "list_type": "must be a list",
    "too_long": "must have at most {max_length} items",
    "dict_type": "must be an object",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
    "datetime_type": DATETIME_REASON,
    "datetime_parsing": DATETIME_REASON,
    "datetime_from_date_parsing": DATETIME_REASON,
    "datetime_object_invalid": DATETIME_REASON,
    "timezone_aware": "must include a UTC offset, e.g. Z or +08:00",
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a document: `field` is a dotted path ("" for the whole document)."""

    field: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"field": self.field, "reason": self.reason}

    def __str__(self) -> str:
        return f"{self.field}: {self.reason}" if self.field else self.reason


def _reason(error: ErrorDetails, patterns: Mapping[str, str]) -> str:
    kind = error["type"]
    ctx = error.get("ctx", {})
    if kind.startswith(OWN_ERROR_PREFIX):
        return error["msg"]
    if kind in ("value_error", "assertion_error"):
        return str(ctx.get("error", "is invalid"))
    if kind == "literal_error":
        return f"must be one of: {ctx.get('expected', '')}"
    if kind == "string_too_short":
        minimum = ctx.get("min_length", 1)
        return "must not be empty" if minimum == 1 else f"must be at least {minimum} characters"
    if kind == "too_short":
        minimum = ctx.get("min_length", 1)
        return f"must have at least {minimum} item{'' if minimum == 1 else 's'}"
    if kind == "string_pattern_mismatch":
        pattern = str(ctx.get("pattern", ""))
        return patterns.get(pattern, f"must match the pattern {pattern}")
    if kind in _REASONS:
        return _REASONS[kind].format(**ctx)
    message = error["msg"]
    return message[:1].lower() + message[1:]


def problems_from(exc: ValidationError, patterns: Mapping[str, str] | None = None) -> list[Problem]:
    """Every error of `exc`, located by dotted path; `patterns` words regex mismatches for people."""
    return [
        Problem(".".join(str(part) for part in error["loc"]), _reason(error, patterns or {}))
        for error in exc.errors(include_url=False, include_input=False)
    ]

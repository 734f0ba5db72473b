"""Phone numbers: the one place that knows their formats, and the type that keeps them out of logs.

HR systems send mobiles in whatever shape their users typed; DMS wants one canonical number, and logs, error
messages and dry-run output must never show a whole one. So a mobile is normalised to E.164 once, at the
contract boundary, and from then on travels as a `Mobile`, whose `repr`, `str`, format and JSON form are masked.
The real number comes out only through `Mobile.reveal()`, which the DMS call (and nothing else) uses, or through
a JSON dump given `context=REVEAL_MOBILE` (to re-enqueue an event without losing the number).

Normalisation rules:
- spaces, dashes, dots and parentheses are dropped ("+86 138-1234-5678" and "(0086) 138.1234.5678" are fine);
- a leading "+" or "00" introduces the country code, which never starts with 0;
- without either, only an 11-digit number starting with 1 is accepted: a mainland China mobile, given "+86";
- the result is "+" and 8 to 15 digits (E.164 allows at most 15).

This module imports pydantic only when a model is built with `Mobile`, so logging code can use it cheaply.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from pydantic import GetCoreSchemaHandler
    from pydantic_core import CoreSchema, core_schema

REVEAL_MOBILE: Final[Mapping[str, bool]] = MappingProxyType({"reveal_mobile": True})

_SEPARATORS = re.compile(r"[\s.()-]+")
_DIGITS = re.compile(r"[0-9]+")
_E164 = re.compile(r"\+[1-9][0-9]{7,14}")

# E.164 country codes are prefix-free: these are the 1- and 2-digit ones, every other code has 3 digits.
_SHORT_COUNTRY_CODES = frozenset(
    {
        "1",
        "7",
        "20",
        "27",
        "30",
        "31",
        "32",
        "33",
        "34",
        "36",
        "39",
        "40",
        "41",
        "43",
        "44",
        "45",
        "46",
        "47",
        "48",
        "49",
        "51",
        "52",
        "53",
        "54",
        "55",
        "56",
        "57",
        "58",
        "60",
        "61",
        "62",
        "63",
        "64",
        "65",
        "66",
        "81",
        "82",
        "84",
        "86",
        "90",
        "91",
        "92",
        "93",
        "94",
        "95",
        "98",
    }
)


def normalize_mobile(raw: str) -> str:
    """The E.164 form of a mobile typed by a person; the ValueError says what is wrong without echoing it."""
    compact = _SEPARATORS.sub("", raw)
    if not compact:
        raise ValueError("must not be empty")
    if compact.startswith("+"):
        digits = compact[1:]
    elif compact.startswith("00"):
        digits = compact[2:]
    elif len(compact) == 11 and compact.startswith("1") and _DIGITS.fullmatch(compact):
        digits = "86" + compact
    else:
        raise ValueError(
            'must start with "+" or "00" and a country code, or be an 11-digit mainland China mobile starting with 1'
        )
    if not _DIGITS.fullmatch(digits):
        raise ValueError("may contain only digits, spaces, dashes, dots and parentheses after the country prefix")
    if digits.startswith("0"):
        raise ValueError("must have a country code, which never starts with 0")
    if not 8 <= len(digits) <= 15:
        raise ValueError("must have 8 to 15 digits including the country code (E.164)")
    return "+" + digits


def _split(e164: str) -> tuple[str, str]:
    digits = e164[1:]
    for size in (1, 2):
        if digits[:size] in _SHORT_COUNTRY_CODES:
            return digits[:size], digits[size:]
    return digits[:3], digits[3:]


def mask_mobile(e164: str) -> str:
    """Enough of a number to tell two apart in a log ("+86 138******78"), never enough to dial it."""
    if not _E164.fullmatch(e164):
        raise ValueError("mask_mobile needs an E.164 number; normalise it first")
    country, national = _split(e164)
    head, tail = (3, 2) if len(national) >= 8 else (1, 1)
    return f"+{country} {national[:head]}{'*' * (len(national) - head - tail)}{national[-tail:]}"


class Mobile:
    """A normalised mobile whose every printable form is masked; `reveal()` is the deliberate way out."""

    __slots__ = ("_e164",)

    def __init__(self, raw: str) -> None:
        self._e164 = normalize_mobile(raw)

    def reveal(self) -> str:
        """The E.164 number, for the DMS `Mobile` parameter only."""
        return self._e164

    @property
    def masked(self) -> str:
        return mask_mobile(self._e164)

    def __repr__(self) -> str:
        return f"Mobile({self.masked!r})"

    def __str__(self) -> str:
        return self.masked

    def __format__(self, spec: str) -> str:
        return format(self.masked, spec)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mobile) and other._e164 == self._e164

    def __hash__(self) -> int:
        return hash(("Mobile", self._e164))

    @classmethod
    def _validate(cls, value: object) -> Mobile:
        from pydantic_core import PydanticCustomError

        if isinstance(value, Mobile):
            return value
        if not isinstance(value, str):
            raise PydanticCustomError("own_mobile_type", "must be a string")
        return cls(value)

    def _serialize(self, info: core_schema.SerializationInfo) -> str:
        context = info.context
        if isinstance(context, Mapping) and context.get("reveal_mobile") is True:
            return self._e164
        return self.masked

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        from pydantic_core import core_schema

        return core_schema.no_info_plain_validator_function(
            cls._validate,
            json_schema_input_schema=core_schema.str_schema(),
            serialization=core_schema.plain_serializer_function_ser_schema(
                cls._serialize, info_arg=True, when_used="json"
            ),
        )

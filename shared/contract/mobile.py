"""Phone numbers: the one place that knows their formats, and the type that keeps them out of logs.

HR systems send mobiles in whatever shape their users typed; DMS wants one canonical number, and logs, error
messages and dry-run output must never show a whole one. So a mobile is normalised to E.164 once, at the
contract boundary, and from then on travels as a `Mobile`, whose `repr`, `str`, format and JSON form are masked.
The real number comes out only through `Mobile.reveal()`, which the DMS call (and nothing else) uses, or through
a JSON dump given `context=REVEAL_MOBILE` (to re-enqueue an event without losing the number).

Feishu/Lark and DingTalk tenants span countries, so whether a number exists is libphonenumber's call (through
phonenumberslite: the same parser and metadata as `phonenumbers`, without the geocoder, carrier and time-zone
data nothing here reads). Normalisation rules:
- spaces, dashes, dots and parentheses are dropped ("+86 138-1234-5678" and "(0086) 138.1234.5678" are fine);
- a leading "+" or "00" introduces the country code, which never starts with 0, and the number needs no region;
- without either, the number is read in national format in a region: the caller's, else `default_region()`
  ("CN" unless `set_default_region` said otherwise), so "138 1234 5678" and, in "US", "(415) 555-0132" work;
- the number must be valid in its country's numbering plan (`is_valid_number`, not merely the right length:
  an unallocated range is as undeliverable as a typo), and the result is "+" and 8 to 15 digits: the few valid
  7-digit ones (Niue, Tokelau) could not be masked into anything but a short list of candidates.

A reason for refusal is one of a fixed set of sentences, so it can never repeat the number it refuses.

Importing the library costs a cold instance about 11 ms and 1.7 MB (bench/mobile_import.py), so it is imported
by the first number that needs it. Mainland mobiles in E.164, "0086" or (in "CN") national form, which most
events carry, are decided by a pattern instead: the webhook's fast path and the contract's import never load it
for them. This module imports pydantic only when a model is built with `Mobile`, so logging code can use it
cheaply.
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
_CN_MOBILE = re.compile(r"1(?:[38][0-9]|4[57]|[59][0-35-9]|6[25-7]|7[0-35-8])[0-9]{8}")

EMPTY: Final = "must not be empty"
ONLY_DIGITS: Final = "may contain only digits, spaces, dashes, dots and parentheses after the country prefix"
COUNTRY_CODE_ZERO: Final = "must have a country code, which never starts with 0"
E164_LENGTH: Final = "must have 8 to 15 digits including the country code (E.164)"
UNKNOWN_COUNTRY_CODE: Final = 'must have a country code in use after "+" or "00"'
NOT_IN_NUMBERING_PLAN: Final = "must be a valid number in its country's numbering plan"

DEFAULT_REGION: Final = "CN"
_default_region = DEFAULT_REGION

# The regions libphonenumber knows (phonenumbers.SUPPORTED_REGIONS of the pinned version; a test keeps them
# equal), spelled out so that configuring a region does not import the library.
_REGION_CODES: Final = """
    AC AD AE AF AG AI AL AM AO AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT
    BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER
    ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GT GU GW GY HK HN HR HT HU ID IE
    IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV
    LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP
    NR NU NZ OM PA PE PF PG PH PK PL PM PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK
    SL SM SN SO SR SS ST SV SX SY SZ TA TC TD TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG US UY UZ VA
    VC VE VG VI VN VU WF WS XK YE YT ZA ZM ZW
"""
_REGIONS: Final = frozenset(_REGION_CODES.split())

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


def default_region() -> str:
    """The region a number without "+" or "00" is read in, for adapters that report what they assumed."""
    return _default_region


def set_default_region(region: str) -> None:
    """Tenants outside mainland China type national numbers of their own country; configuration says which.

    Checked against the regions libphonenumber knows without importing it, so configuring costs no cold start.
    """
    global _default_region  # one setting per process, made once by configuration
    _default_region = _known_region(region)


def _known_region(region: str) -> str:
    code = region.strip().upper()
    if code not in _REGIONS:
        raise ValueError(
            f"unknown phone region {region[:40]!r}: expected an ISO 3166-1 alpha-2 code libphonenumber knows, "
            'such as "CN", "US" or "GB"'
        )
    return code


def normalise(text: str, region: str | None = None) -> str:
    """The E.164 form of a number typed by a person; the ValueError says what is wrong without echoing it.

    `region` is for an HR adapter that knows the sender's country better than the process-wide default.
    """
    national_region = _default_region if region is None else _known_region(region)
    compact = _SEPARATORS.sub("", text)
    if not compact:
        raise ValueError(EMPTY)
    mainland = _mainland_mobile(compact, national_region)
    if mainland is not None:
        return mainland
    if compact.startswith("+"):
        return _international(compact[1:])
    if compact.startswith("00"):
        return _international(compact[2:])
    if not _DIGITS.fullmatch(compact):
        raise ValueError(_national_reason(national_region))
    return _with_library(compact, national_region, _national_reason(national_region))


def normalize_mobile(raw: str) -> str:
    """The contract's name for `normalise` in the default region, kept for the code that already calls it."""
    return normalise(raw)


def _mainland_mobile(compact: str, region: str) -> str | None:
    """A mainland mobile without the library, or None to ask it: the fast path only ever says yes.

    _CN_MOBILE is the part of libphonenumber's CN mobile pattern whose ranges are decided by three digits; the
    rarer ranges (1610, 1740x) and every other number go to the library. tests/unit/contract/test_mobile.py
    checks each of those three-digit ranges against the library, so a metadata update that withdraws one fails
    a test instead of letting an invalid number through.
    """
    if compact.startswith("+86"):
        national = compact[3:]
    elif compact.startswith("0086"):
        national = compact[4:]
    elif region == "CN":
        national = compact
    else:
        return None
    return "+86" + national if _CN_MOBILE.fullmatch(national) else None


def _international(digits: str) -> str:
    if not _DIGITS.fullmatch(digits):
        raise ValueError(ONLY_DIGITS)
    if digits.startswith("0"):
        raise ValueError(COUNTRY_CODE_ZERO)
    if not 8 <= len(digits) <= 15:
        raise ValueError(E164_LENGTH)
    return _with_library("+" + digits, None, NOT_IN_NUMBERING_PLAN)


def _with_library(number: str, region: str | None, invalid: str) -> str:
    """libphonenumber's verdict, imported here so that only a number that needs it pays for the import."""
    import phonenumbers

    try:
        parsed = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException as error:
        # Raised afresh, never chained: the library's message may quote the number.
        if region is None and error.error_type == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE:
            raise ValueError(UNKNOWN_COUNTRY_CODE) from None
        raise ValueError(invalid) from None
    if not phonenumbers.is_valid_number(parsed):
        raise ValueError(invalid)
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    if not _E164.fullmatch(e164):
        raise ValueError(E164_LENGTH)  # a 4-digit Niue or Tokelau number: too short to mask, refused as before
    return e164


def _national_reason(region: str) -> str:
    return f'must start with "+" or "00" and a country code, or be a valid national number of region {region}'


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

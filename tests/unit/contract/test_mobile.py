"""Mobiles from any country become one E.164 number, are refused without being echoed, and print masked.

Grouped by what a caller relies on: normalisation (mainland, international, national in a region), refusal
reasons, the configurable default region, the library-free fast path for mainland mobiles, the lazy import of
libphonenumber, masking, and the package the build ships.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import phonenumbers
import pytest

from shared.contract import mobile
from shared.contract.mobile import (
    COUNTRY_CODE_ZERO,
    E164_LENGTH,
    EMPTY,
    NOT_IN_NUMBERING_PLAN,
    ONLY_DIGITS,
    UNKNOWN_COUNTRY_CODE,
    Mobile,
    default_region,
    mask_mobile,
    normalise,
    normalize_mobile,
    set_default_region,
)

ROOT = Path(__file__).resolve().parents[3]


def national_reason(region: str) -> str:
    return f'must start with "+" or "00" and a country code, or be a valid national number of region {region}'


REASONS = {EMPTY, ONLY_DIGITS, COUNTRY_CODE_ZERO, E164_LENGTH, UNKNOWN_COUNTRY_CODE, NOT_IN_NUMBERING_PLAN}


@pytest.fixture(autouse=True)
def restore_default_region() -> Iterator[None]:
    before = default_region()
    yield
    set_default_region(before)


# --- normalisation -------------------------------------------------------------------------------------------

MAINLAND = [
    ("13812345678", "+8613812345678"),
    ("138 1234 5678", "+8613812345678"),
    ("138-1234-5678", "+8613812345678"),
    (" 138.1234.5678 ", "+8613812345678"),
    ("+86 138 1234 5678", "+8613812345678"),
    ("0086 138.1234.5678", "+8613812345678"),
    ("(+86) 138-1234-5678", "+8613812345678"),
    ("(0086) 138-1234-5678", "+8613812345678"),
    ("+86 174 0012 3456", "+8617400123456"),
    ("+86 10 1234 5678", "+861012345678"),
    ("010 1234 5678", "+861012345678"),
    # Typed with the country code but no "+": libphonenumber reads a national number that starts with its own
    # region's code as that code when only then is it valid. The old rules refused it; nothing else can it mean.
    ("86 138 1234 5678", "+8613812345678"),
]


@pytest.mark.parametrize(("raw", "e164"), MAINLAND)
def test_mainland_numbers_in_any_usual_shape_become_e164(raw: str, e164: str) -> None:
    assert normalise(raw) == e164
    assert normalize_mobile(raw) == e164


INTERNATIONAL = [
    ("+44 7911 123456", "+447911123456"),
    ("+44 (0)7911 123456", "+447911123456"),
    ("0044 7911 123456", "+447911123456"),
    ("+44 20 7946 0958", "+442079460958"),
    ("+1 (415) 555-0100", "+14155550100"),
    ("+65 8123 4567", "+6581234567"),
    ("+81 90-1234-5678", "+819012345678"),
    ("+852 5123 4567", "+85251234567"),
    ("00852 9123 4567", "+85291234567"),
    ("+886 912 345 678", "+886912345678"),
    ("+49 151 1234 5678", "+4915112345678"),
    ("+49 30 1234 5678", "+493012345678"),
    ("+39 06 1234 5678", "+390612345678"),
]


@pytest.mark.parametrize(("raw", "e164"), INTERNATIONAL)
def test_international_numbers_need_no_region(raw: str, e164: str) -> None:
    assert normalise(raw) == e164
    assert normalise(raw, region="US") == e164


NATIONAL = [
    ("(415) 555-0132", "US", "+14155550132"),
    ("415.555.0132", "US", "+14155550132"),
    ("07911 123456", "GB", "+447911123456"),
    ("8123 4567", "SG", "+6581234567"),
    ("090-1234-5678", "JP", "+819012345678"),
    ("5123 4567", "HK", "+85251234567"),
    ("0912 345 678", "TW", "+886912345678"),
    ("0151 12345678", "DE", "+4915112345678"),
    ("138 1234 5678", "CN", "+8613812345678"),
]


@pytest.mark.parametrize(("raw", "region", "e164"), NATIONAL)
def test_national_numbers_are_read_in_the_region_given(raw: str, region: str, e164: str) -> None:
    assert normalise(raw, region=region) == e164


def test_every_region_s_example_numbers_normalise_from_each_usual_format() -> None:
    """libphonenumber's own example numbers, so a region whose national format we mangle shows up here.

    Only Niue, Tokelau and Tristan da Cunha fail, by design: their 4-digit numbers make 7-digit E.164 ones,
    which masking could not hide (`+683 7**2` leaves a hundred candidates), so they stay refused as before.
    """
    wrong = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE):
            example = phonenumbers.example_number_for_type(region, kind)
            if example is None:
                continue
            e164 = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
            international = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
            national = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.NATIONAL)
            for text, in_region in ((e164, None), (international, None), ("00" + e164[1:], None), (national, region)):
                try:
                    got = normalise(text, region=in_region)
                except ValueError as error:
                    got = str(error)
                expected = e164 if len(e164) >= 9 else E164_LENGTH
                if got != expected:
                    wrong.append((region, kind, text, got))
    assert wrong == []


# --- refusals ---------------------------------------------------------------------------------------------

REFUSED = [
    ("", EMPTY),
    (" - ", EMPTY),
    ("12345", national_reason("CN")),
    ("1381234567", national_reason("CN")),
    ("23812345678", national_reason("CN")),
    ("14012345678", national_reason("CN")),
    ("138-CALL-5678", national_reason("CN")),
    ("+86 138 1234 567x", ONLY_DIGITS),
    ("+44 7911 ABCDEF", ONLY_DIGITS),
    ("+86 \uff11\uff13\uff18 1234 5678", ONLY_DIGITS),
    ("tel:+8613812345678", national_reason("CN")),
    ("+0 138 1234 5678", COUNTRY_CODE_ZERO),
    ("+86 1234", E164_LENGTH),
    ("+86 1381234567890123", E164_LENGTH),
    ("+683 7012", E164_LENGTH),
    ("+999 1234 5678", UNKNOWN_COUNTRY_CODE),
    ("00999 1234 5678", UNKNOWN_COUNTRY_CODE),
    ("+86 140 1234 5678", NOT_IN_NUMBERING_PLAN),
    ("+86 138 1234 5678 9", NOT_IN_NUMBERING_PLAN),
    ("+1 415 555 013", NOT_IN_NUMBERING_PLAN),
    ("+44 7911 12345", NOT_IN_NUMBERING_PLAN),
    ("+81 90 1234 567", NOT_IN_NUMBERING_PLAN),
]


@pytest.mark.parametrize(("raw", "reason"), REFUSED)
def test_a_number_that_cannot_be_normalised_is_refused_with_a_reason(raw: str, reason: str) -> None:
    with pytest.raises(ValueError, match=re.escape(reason)) as caught:
        normalise(raw)
    assert str(caught.value) == reason


@pytest.mark.parametrize(("raw", "reason"), REFUSED)
def test_a_refusal_never_repeats_the_number_nor_chains_the_library_s_error(raw: str, reason: str) -> None:
    """The library's exception may quote the number, so it must not ride along as the cause or context."""
    with pytest.raises(ValueError, match=re.escape(reason)) as caught:
        normalise(raw)
    said = str(caught.value)
    assert said in REASONS or said in {national_reason(region) for region in ("CN", "US")}
    digits = re.sub(r"[^0-9]", "", raw)
    assert not [digits[i : i + 4] for i in range(len(digits) - 3) if digits[i : i + 4] in said]
    assert caught.value.__cause__ is None
    assert caught.value.__context__ is None or caught.value.__suppress_context__


def test_a_mobile_field_refuses_an_invalid_number_with_the_same_reason() -> None:
    from pydantic import BaseModel, ValidationError

    class Person(BaseModel):
        mobile: Mobile

    with pytest.raises(ValidationError) as caught:
        Person.model_validate({"mobile": "+86 140 1234 5678"})
    assert caught.value.errors()[0]["ctx"]["error"].args == (NOT_IN_NUMBERING_PLAN,)
    assert "1401234" not in str(caught.value)


# --- the default region -----------------------------------------------------------------------------------


def test_the_default_region_is_mainland_china() -> None:
    assert default_region() == "CN"
    assert mobile.DEFAULT_REGION == "CN"


def test_a_configured_default_region_reads_national_numbers_of_that_country() -> None:
    set_default_region("US")
    assert default_region() == "US"
    assert normalise("(415) 555-0132") == "+14155550132"
    assert normalize_mobile("(415) 555-0132") == "+14155550132"
    assert Mobile("(415) 555-0132").reveal() == "+14155550132"


def test_a_configured_default_region_still_reads_international_and_mainland_e164_numbers() -> None:
    set_default_region("GB")
    assert normalise("+86 138 1234 5678") == "+8613812345678"
    assert normalise("0086 138 1234 5678") == "+8613812345678"
    assert normalise("+1 415 555 0132") == "+14155550132"


def test_a_mainland_national_number_is_refused_once_another_region_is_the_default() -> None:
    set_default_region("US")
    with pytest.raises(ValueError, match="national number of region US") as caught:
        normalise("138 1234 5678")
    assert str(caught.value) == national_reason("US")


def test_an_explicit_region_overrides_the_default() -> None:
    set_default_region("US")
    assert normalise("138 1234 5678", region="CN") == "+8613812345678"
    assert normalise("07911 123456", region="gb") == "+447911123456"


@pytest.mark.parametrize("region", ["us", " US ", "Us"])
def test_a_region_is_accepted_in_any_case_and_stored_upper_case(region: str) -> None:
    set_default_region(region)
    assert default_region() == "US"


@pytest.mark.parametrize("region", ["XX", "", "USA", "001", "UK", "EU"])
def test_an_unknown_region_is_refused_naming_it(region: str) -> None:
    with pytest.raises(ValueError, match=re.escape(repr(region))) as caught:
        set_default_region(region)
    assert "ISO 3166-1 alpha-2" in str(caught.value)
    assert default_region() == "CN"
    with pytest.raises(ValueError, match=re.escape(repr(region))):
        normalise("+86 138 1234 5678", region=region)


def test_the_regions_known_without_the_library_are_exactly_the_library_s() -> None:
    """Configuring a region is checked against a copy, so that it costs no import: this keeps the copy true."""
    assert set(mobile._REGIONS) == phonenumbers.SUPPORTED_REGIONS


# --- the fast path for mainland mobiles ------------------------------------------------------------------


def _library_verdict(text: str, region: str) -> str | None:
    """libphonenumber alone on the same text: what `normalise` must answer, fast path or not."""
    compact = re.sub(r"[\s.()-]+", "", text)
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    try:
        number = phonenumbers.parse(compact, None if compact.startswith("+") else region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


SUFFIXES = ("00000000", "99999999", "12345678", "80001234", "05906173", "31415926")


def test_the_mainland_fast_path_answers_what_the_library_answers_for_every_range() -> None:
    """Every 3-digit range 100-199 (the fast path decides on three digits), in each shape it takes.

    A metadata update that withdraws a range the fast path still accepts fails here, not in production.
    """
    disagree = []
    fast = 0
    for prefix in range(100, 200):
        for suffix in SUFFIXES:
            national = f"{prefix}{suffix}"
            for text in (
                national,
                f"{national[:3]} {national[3:7]} {national[7:]}",
                "+86" + national,
                "0086" + national,
            ):
                expected = _library_verdict(text, "CN")
                try:
                    got: str | None = normalise(text)
                except ValueError:
                    got = None
                if got != expected:
                    disagree.append((text, got, expected))
                fast += mobile._mainland_mobile(re.sub(r"[\s.()-]+", "", text), "CN") is not None
    assert disagree == []
    assert fast == 52 * len(SUFFIXES) * 4  # 52 of the 100 ranges, in all four shapes, never need the library


def test_the_fast_path_is_part_of_the_library_s_cn_mobile_pattern() -> None:
    """Its alternatives are copied from the metadata; if the metadata moves, the copy is checked again."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region("CN")
    assert metadata is not None
    assert metadata.mobile is not None
    assert mobile._CN_MOBILE.pattern.replace("[0-9]", r"\d") in (metadata.mobile.national_number_pattern or "")


def test_the_fast_path_never_reads_a_national_number_as_mainland_in_another_region() -> None:
    assert mobile._mainland_mobile("13812345678", "US") is None
    assert mobile._mainland_mobile("+8613812345678", "US") == "+8613812345678"


# --- the lazy import ----------------------------------------------------------------------------------------

LAZY = """
import json, sys
import shared.contract.event
import shared.contract.precheck
from shared.contract.event import parse_event
from shared.contract.mobile import normalise, set_default_region
seen = {"import": "phonenumbers" in sys.modules}
event = json.load(open(sys.argv[1], encoding="utf-8"))
for shape in ("+86 139 0000 1234", "13900001234", "0086 139-0000-1234"):
    event["employee"]["mobile"] = shape
    shared.contract.precheck.certainly_valid(event)
    parse_event(event)
set_default_region("US")
seen["mainland"] = "phonenumbers" in sys.modules
normalise("+44 7911 123456")
seen["international"] = "phonenumbers" in sys.modules
print(json.dumps(seen))
"""


def test_the_contract_imports_libphonenumber_only_for_a_number_that_needs_it() -> None:
    """The webhook's cold path imports the contract and precheck; mainland mobiles must not cost it the import."""
    sample = ROOT / "events" / "hr" / "hired-explicit-roles.json"
    result = subprocess.run(
        [sys.executable, "-c", LAZY, str(sample)], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip().splitlines()[-1] == '{"import": false, "mainland": false, "international": true}'


# --- masking ------------------------------------------------------------------------------------------------

MASKED = [
    ("+8613812345678", "+86 138******78"),
    ("+14155550100", "+1 415*****00"),
    ("+442079460958", "+44 207*****58"),
    ("+85291234567", "+852 912***67"),
    ("+79161234567", "+7 916*****67"),
    ("+3546111234", "+354 6*****4"),
]


@pytest.mark.parametrize(("e164", "masked"), MASKED)
def test_mask_keeps_country_code_first_three_and_last_two_digits(e164: str, masked: str) -> None:
    assert mask_mobile(e164) == masked
    assert repr(Mobile(e164)) == f"Mobile({masked!r})"
    assert str(Mobile(e164)) == f"{Mobile(e164)}" == masked


def test_mask_hides_all_but_one_digit_at_each_end_of_a_short_national_number() -> None:
    """Masking works on any E.164 shape (DMS may hold numbers no longer valid): an 8-digit one keeps 1 and 1."""
    assert mask_mobile("+35312345") == "+353 1***5"


def test_mask_refuses_a_number_that_was_not_normalised() -> None:
    with pytest.raises(ValueError, match="normalise it first"):
        mask_mobile("13812345678")


def test_a_mobile_from_another_country_stays_masked_everywhere_but_reveal() -> None:
    number = Mobile("+44 7911 123456")
    assert number.reveal() == "+447911123456"
    assert [text for text in (repr(number), str(number), f"{number:>30}") if "7911123456" in text] == []


# --- the shipped package -----------------------------------------------------------------------------------

SHIPPED = """
import json, sys
import phonenumbers
from shared.contract.mobile import normalise
assert "site-packages" not in phonenumbers.__file__, phonenumbers.__file__
answers = [normalise(text, region) for text, region in json.loads(sys.argv[1])]
print(json.dumps(answers))
"""


def test_the_normaliser_works_without_what_the_build_leaves_out(tmp_path: Path) -> None:
    """scripts/build.py drops the short-number metadata from the code package; nothing here may need it."""
    from scripts.build import NOT_SHIPPED

    installed = Path(phonenumbers.__file__).parent
    site = tmp_path / "python"
    shutil.copytree(installed, site / "phonenumbers", ignore=shutil.ignore_patterns("__pycache__"))
    dropped = [path for pattern in NOT_SHIPPED if pattern.startswith("phonenumbers/") for path in site.glob(pattern)]
    assert len(dropped) > 200
    for path in dropped:
        path.unlink()
    cases = [(raw, None) for raw, _ in INTERNATIONAL] + [(raw, region) for raw, region, _ in NATIONAL]
    result = subprocess.run(
        [sys.executable, "-S", "-c", SHIPPED, json.dumps(cases)],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": f"{ROOT}:{site}"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    expected = [e164 for _, e164 in INTERNATIONAL] + [e164 for _, _, e164 in NATIONAL]
    assert json.loads(result.stdout) == expected

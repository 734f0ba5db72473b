"""Properties of the HR event contract over thousands of mutated events: nothing gets through by surprise.

Whatever arrives, `parse_event` answers with an event or a ContractError, never another exception, because
anything else would fail a webhook request or a worker batch instead of rejecting one event. Every problem names
where it is (so a person can fix it) and says why, without repeating a mobile number from the input.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from shared.contract.event import ContractError, HrEvent, parse_event
from shared.contract.mobile import REVEAL_MOBILE
from shared.contract.strictjson import load_json
from tests.support.strategies import events, examples, mobile_digits, names_a_field, raw_events

DOCUMENT_EXAMPLES = 2_000
RAW_EXAMPLES = 2_000
ROUND_TRIP_EXAMPLES = 500


def verdict(raw: Any) -> HrEvent | ContractError:
    """The contract's answer; any exception but ContractError escapes and fails the test."""
    try:
        return parse_event(raw)
    except ContractError as error:
        return error


def assert_well_formed(error: ContractError, document: Any, whole_document_problem: bool) -> None:
    assert error.problems, "a ContractError lists at least one problem"
    hidden = mobile_digits(document)
    for problem in error.problems:
        assert isinstance(problem.reason, str)
        assert problem.reason.strip(), f"empty reason for {problem.field!r}"
        if whole_document_problem:
            assert problem.field == ""
        else:
            assert names_a_field(document, problem.field), f"{problem.field!r} is no field of the input or contract"
        if hidden is not None:
            assert hidden not in "".join(ch for ch in problem.reason if ch.isdigit() or ch.isalpha())
            assert hidden not in problem.reason
    if whole_document_problem:
        assert len(error.problems) == 1


def decoded(raw: Any) -> Any:
    """The document the contract judges: text and bytes are JSON to decode (None when they are not JSON)."""
    if not isinstance(raw, (bytes, str)):
        return raw
    try:
        return load_json(raw)
    except ValueError:
        return None


@examples(DOCUMENT_EXAMPLES)
@given(raw=events())
def test_mutated_documents_get_an_event_or_problems_naming_each_field(raw: Any) -> None:
    result, document = verdict(raw), decoded(raw)
    if isinstance(result, ContractError):
        assert_well_formed(result, document, whole_document_problem=not isinstance(document, dict))
    else:
        assert isinstance(document, dict)


@examples(RAW_EXAMPLES)
@given(raw=raw_events())
def test_mutated_bytes_get_an_event_or_problems_naming_each_field(raw: bytes) -> None:
    result, document = verdict(raw), decoded(raw)
    if isinstance(result, ContractError):
        assert_well_formed(result, document, whole_document_problem=not isinstance(document, dict))
    else:
        assert isinstance(document, dict)


@examples(ROUND_TRIP_EXAMPLES)
@given(document=events(max_mutations=2), form=st.sampled_from(["dict", "text", "bytes"]))
def test_bytes_text_and_decoded_documents_get_the_same_verdict(document: Any, form: str) -> None:
    """The webhook parses bytes and the worker decoded documents: one event must not get two verdicts."""
    if not isinstance(document, dict):
        return  # a string would be read as JSON text, and its JSON text as a string: not the same input
    try:
        text = json.dumps(document, ensure_ascii=False, allow_nan=False)
        raw: Any = text.encode("utf-8")
    except (ValueError, UnicodeEncodeError):
        return  # NaN or a lone surrogate: no UTF-8 JSON text carries it, so there is nothing to compare
    raw = {"dict": document, "text": text, "bytes": raw}[form]
    expected, got = verdict(document), verdict(raw)
    if isinstance(expected, ContractError):
        assert isinstance(got, ContractError)
        assert got.to_dict() == expected.to_dict()
    else:
        assert got == expected


@examples(ROUND_TRIP_EXAMPLES)
@given(document=events(max_mutations=2))
def test_an_accepted_event_written_back_out_is_accepted_unchanged(document: Any) -> None:
    """Normalising is idempotent, so an event re-enqueued by replay means what it meant the first time."""
    result = verdict(document)
    if isinstance(result, HrEvent):
        again = parse_event(result.model_dump_json(context=REVEAL_MOBILE))
        assert again == result
        assert again.model_dump(mode="json", context=REVEAL_MOBILE) == result.model_dump(
            mode="json", context=REVEAL_MOBILE
        )

"""Dead-letter records as FC and EventBridge write them (events/fc/), read back to the message they carry."""

from __future__ import annotations

import json

from shared.replay import read_dead_letter
from shared.triggers.fc_records import from_eventbridge_dead_letter, from_fc_async_failure
from tests.support.fc_events import load


def test_an_fc_async_failure_record_gives_the_message_of_its_one_event_batch_and_the_condition() -> None:
    found = from_fc_async_failure(load("fc-async-failure.json"))
    assert found is not None
    assert (found.message, found.origin) == ("TEST", "fc-async-failure")
    assert found.reason == {"condition": "UnhandledInvocationError", "error": "UnhandledInvocationError"}


def test_an_eventbridge_dead_letter_record_gives_its_message() -> None:
    found = from_eventbridge_dead_letter(load("eventbridge-dead-letter.json"))
    assert found is not None
    assert (found.message, found.origin, found.reason) == (
        "TEST",
        "eventbridge",
        {"condition": "eventbridge-dead-letter"},
    )


def test_neither_reader_takes_the_others_record() -> None:
    assert from_fc_async_failure(load("eventbridge-dead-letter.json")) is None
    assert from_eventbridge_dead_letter({"requestContext": {}, "timestamp": 1}) is None


def test_replay_reads_every_producers_record_and_names_what_it_does_not_know() -> None:
    for name, origin in [
        ("fc-async-failure.json", "fc-async-failure"),
        ("eventbridge-dead-letter.json", "eventbridge"),
    ]:
        record = read_dead_letter(json.dumps(load(name)))
        assert (record.message, record.replays, record.origin) == ("TEST", 0, origin)
    unknown = read_dead_letter('{"something": "else"}')
    assert (unknown.origin, unknown.reason) == ("unknown", {"condition": "unrecognised dead-letter record"})

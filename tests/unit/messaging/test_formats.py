"""The formats on our queues: envelopes, dead-letter records that always fit MNS, and how replay reads them."""

from __future__ import annotations

import pytest

from shared.messaging.formats import MAX_MESSAGE_BYTES, UNREASONED, dead_letter_that_fits, wrap
from shared.replay import read_dead_letter


def test_a_message_dead_lettered_as_it_came_is_replayed_with_its_count() -> None:
    body = wrap({"event_id": "e1"}, "c1", replays=2)
    record = read_dead_letter(body)
    assert (record.message, record.replays, record.origin) == (body, 2, "worker")
    assert record.reason == {"condition": UNREASONED}


@pytest.mark.parametrize(
    ("message", "event", "how"),
    [
        ('{"event_id": "e1"}', {"event_id": "e1"}, "record"),
        ('"' + "x" * 65_450 + '"', None, "as-it-came"),
        ('{"event_id": "e1"' + " " * 70_000 + "}", {"event_id": "e1"}, "compacted"),
        ('"' + "x" * 70_000 + '"', None, "truncated"),
    ],
    ids=["small", "near-limit", "whitespace-bloated", "over-limit-junk"],
)
def test_dead_letter_body_always_fits_mns_and_says_how_it_was_kept(message: str, event: object, how: str) -> None:
    body, kept = dead_letter_that_fits(message, event, {"status": "rejected"}, 1, "c1", "worker")
    assert kept == how
    assert len(body.encode("utf-8")) <= MAX_MESSAGE_BYTES
    record = read_dead_letter(body)
    if how == "truncated":
        assert record.reason["truncated"] is True
        assert record.reason["original_bytes"] == len(message)

"""Queue-trigger batches, in the shapes of events/fc/ (the fixtures the local runtime's builders are held to)."""

from __future__ import annotations

import json

from shared.triggers.eventbridge_mns import QueueMessage, trigger_messages
from tests.support.fc_events import FC_EVENTS, load

BASE64_BODY = '{"schema_version": 1}'


def test_a_cloudevents_batch_is_one_message_per_event_with_base64_bodies_decoded() -> None:
    messages = trigger_messages((FC_EVENTS / "eventbridge-mns-cloudevents.json").read_bytes())
    assert messages == [
        QueueMessage("TEST", "C6DB60D1574661357FA227277445****"),
        QueueMessage(BASE64_BODY, "C6DB60D1574661357FA227277446****"),
    ]


def test_a_rawdata_batch_gives_the_same_messages_as_its_cloudevents_form() -> None:
    raw = trigger_messages((FC_EVENTS / "eventbridge-mns-rawdata.json").read_bytes())
    cloud = trigger_messages((FC_EVENTS / "eventbridge-mns-cloudevents.json").read_bytes())
    assert raw == cloud


def test_one_cloudevent_alone_is_a_batch_of_one() -> None:
    (first, _) = load("eventbridge-mns-cloudevents.json")
    assert trigger_messages(json.dumps(first)) == [QueueMessage("TEST", "C6DB60D1574661357FA227277445****")]


def test_what_is_no_trigger_shape_still_becomes_a_message_so_it_gets_an_outcome() -> None:
    assert trigger_messages(b'{"event_id": "bare"}') == [QueueMessage('{"event_id": "bare"}')]
    assert trigger_messages(b"not json") == [QueueMessage("not json")]
    assert trigger_messages(b"[1, null]") == [QueueMessage("1"), QueueMessage("null")]

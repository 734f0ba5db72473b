"""The local FC runtime builds its trigger events in the shapes of events/fc/, so the two cannot drift apart.

Each builder's output must have the fixture's keys at every level and the same value types; the fixtures follow
the FC3 docs (see tests/fc_events.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import quote

from localcloud.fc.triggers.http import http_event
from localcloud.fc.triggers.mns import CloudEvent, batch_payload, cloud_event, dead_letter_body
from localcloud.fc.triggers.timer import timer_event
from tests.support.fc_events import load, shape

HTTP_MAPS = frozenset({"headers", "queryParameters"})


@dataclass(frozen=True)
class Received:
    message_id: str
    message_body: str
    receipt_handle: str = "1-handle"


def two_events() -> list[CloudEvent]:
    messages = [Received("C6DB60D1574661357FA2272774450001", "TEST"), Received("C6DB60D1574661357FA22", "e30=")]
    return [
        cloud_event(
            m,
            function_name="dms-onboarding-worker",
            queue="hr-input",
            region="cn-hangzhou",
            account_id="1",
            decode=True,
        )
        for m in messages
    ]


def test_http_event_has_the_shape_of_the_fc3_http_trigger_event() -> None:
    fixture = load("http.json")
    query = "&".join(
        f"{quote(name)}={quote(value)}"
        for name, joined in fixture["queryParameters"].items()
        for value in joined.split(",")
    )
    headers = {name.lower(): value for name, value in fixture["headers"].items()}
    headers["user-agent"] = fixture["requestContext"]["http"]["userAgent"]
    event = http_event(
        fixture["requestContext"]["http"]["method"],
        f"{fixture['rawPath']}?{query}",
        headers,
        fixture["body"].encode(),
        "127.0.0.1",
    )
    assert shape(event, HTTP_MAPS) == shape(fixture, HTTP_MAPS)
    assert event["queryParameters"] == fixture["queryParameters"]
    assert {k: v for k, v in event["headers"].items() if k != "User-Agent"} == fixture["headers"]
    assert (event["rawPath"], event["body"], event["isBase64Encoded"]) == ("/example", "Hello FC!", False)


def test_queue_batch_has_the_shape_of_an_eventbridge_cloudevents_batch() -> None:
    payload = batch_payload(two_events(), "CloudEvents")
    assert shape(json.loads(json.dumps(payload))) == shape(load("eventbridge-mns-cloudevents.json"))
    assert list(payload[0]) == list(load("eventbridge-mns-cloudevents.json")[0])


def test_raw_data_batch_has_the_shape_of_an_eventbridge_rawdata_batch() -> None:
    payload = batch_payload(two_events(), "RawData")
    assert shape(json.loads(json.dumps(payload))) == shape(load("eventbridge-mns-rawdata.json"))


def test_dead_letter_record_is_the_event_as_delivered_in_the_eventbridge_shape() -> None:
    event = two_events()[0]
    record = json.loads(dead_letter_body(event))
    assert shape(record) == shape(load("eventbridge-dead-letter.json"))
    assert record == event


def test_raw_data_dead_letter_record_is_the_item_as_delivered() -> None:
    item = batch_payload(two_events(), "RawData")[0]
    record = json.loads(dead_letter_body(item))
    assert shape(record) == shape(load("eventbridge-mns-rawdata.json")[0])


def test_timer_event_has_the_shape_of_the_fc_timer_event() -> None:
    assert shape(timer_event("every-10-minutes", '{"limit": 1000}')) == shape(load("timer.json"))


def test_async_failure_fixture_has_the_documented_destination_record_fields() -> None:
    """No builder makes this one locally; the fixture itself is held to the FC3 doc's record (section 3.2)."""
    assert shape(load("fc-async-failure.json")) == {
        "timestamp": "int",
        "requestContext": {
            "requestId": "str",
            "functionArn": "str",
            "condition": "str",
            "approximateInvokeCount": "int",
        },
        "requestPayload": "str",
        "responseContext": {"statusCode": "int", "functionError": "str"},
        "responsePayload": "str",
    }


def test_base64_bodies_are_decoded_when_the_trigger_says_so() -> None:
    decoded, raw = (
        cloud_event(Received("m", "e30="), function_name="f", queue="q", region="r", account_id="a", decode=decode)
        for decode in (True, False)
    )
    assert (decoded["data"]["messageBody"], raw["data"]["messageBody"]) == ("{}", "e30=")

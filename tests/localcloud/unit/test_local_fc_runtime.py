"""Pure parts of the local FC runtime: timer schedules, the HTTP trigger event, which function is the worker."""

from __future__ import annotations

import calendar
import time
from pathlib import Path

import pytest

from localcloud.fc.cron import Schedule
from localcloud.fc.dev import queue_worker
from localcloud.fc.spec import FunctionSpec, load
from localcloud.fc.triggers.http import http_event

ROOT = Path(__file__).resolve().parents[3]


def at(text: str) -> float:
    return float(calendar.timegm(time.strptime(text, "%Y-%m-%d %H:%M:%S")))


def test_cron_with_seconds_fires_on_the_next_matching_second() -> None:
    schedule = Schedule.parse("0 */10 * * * *")
    assert schedule.next_after(at("2026-11-22 10:03:07")) == at("2026-11-22 10:10:00")
    assert schedule.next_after(at("2026-11-22 10:10:00")) == at("2026-11-22 10:20:00")


def test_every_schedule_counts_from_now() -> None:
    assert Schedule.parse("@every 4m").next_after(100.0) == 340.0


@pytest.mark.parametrize("expression", ["* * * * *", "0 61 * * * *", "@every 3d"])
def test_bad_schedules_are_refused(expression: str) -> None:
    with pytest.raises(ValueError, match=r"cron|field|six"):
        Schedule.parse(expression)


def test_http_event_has_the_fc3_shape() -> None:
    event = http_event(
        "POST",
        "/events/a%20b?x=1&x=2&y=h%C3%A9",
        {"content-type": "application/json", "x-timestamp": "1", "user-agent": "curl"},
        b'{"a": 1}',
        "127.0.0.1",
    )
    assert event["rawPath"] == "/events/a%20b"
    assert event["requestContext"]["http"]["path"] == "/events/a b"
    assert event["queryParameters"] == {"x": "1,2", "y": "hé"}
    assert event["headers"] == {"Content-Type": "application/json", "X-Timestamp": "1", "User-Agent": "curl"}
    assert (event["body"], event["isBase64Encoded"]) == ('{"a": 1}', False)
    assert isinstance(event["requestContext"]["timeEpoch"], str)


def test_binary_body_is_base64_encoded() -> None:
    event = http_event("POST", "/", {}, b"\xff\xfe", "127.0.0.1")
    assert (event["body"], event["isBase64Encoded"]) == ("//4=", True)


def queue_function(resource: str, reads: str, input_queue: str) -> FunctionSpec:
    trigger = {
        "triggerType": "eventbridge",
        "triggerConfig": {
            "eventSourceConfig": {
                "eventSourceType": "MNS",
                "eventSourceParameters": {"sourceMNSParameters": {"QueueName": reads}},
            }
        },
    }
    props = {"functionName": resource, "environmentVariables": {"INPUT_QUEUE": input_queue}, "triggers": [trigger]}
    return FunctionSpec(resource, props)


def test_dev_prints_the_queue_names_of_the_function_the_input_queue_triggers() -> None:
    functions = load(ROOT / "s.yaml", environ={"WEBHOOK_SECRET": "x"})
    assert functions[0].resource == "webhook"
    worker = queue_worker(functions)
    assert worker is not None
    assert worker.resource == "worker"
    auditor = queue_function("auditor", reads="hr-dead-letter", input_queue="hr-input")
    reader = queue_function("worker", reads="hr-input", input_queue="hr-input")
    assert queue_worker([auditor, reader]) is reader
    assert queue_worker([auditor]) is auditor
    assert queue_worker(functions[:1]) is None

"""FC3 HTTP trigger events in (events/fc/http.json) and answers out, problem details included."""

from __future__ import annotations

import base64
import json

import pytest

from shared.triggers.http import PROBLEM_TYPE_BASE, BadHttpEvent, HttpRequest, problem, response
from tests.support.fc_events import load


def test_the_documented_http_event_becomes_a_request_with_lower_cased_headers() -> None:
    request = HttpRequest.from_fc(json.dumps(load("http.json")))
    assert (request.method, request.path, request.body) == ("GET", "/example", b"Hello FC!")
    assert request.headers == {"header1": "value1", "header2": "value1,value2"}
    assert request.header("Header2") == "value1,value2"
    assert request.query == {"parameter1": "value1", "parameter2": "value1,value2"}
    assert request.request_id == "1-64f6cd87-*************"


def test_a_base64_body_is_decoded_and_a_broken_one_refused() -> None:
    event = {**load("http.json"), "body": base64.b64encode(b"\x00\xff").decode(), "isBase64Encoded": True}
    assert HttpRequest.from_fc(event).body == b"\x00\xff"
    with pytest.raises(BadHttpEvent):
        HttpRequest.from_fc({**event, "body": "not base64!"})


def test_what_is_not_an_http_event_is_refused() -> None:
    with pytest.raises(BadHttpEvent):
        HttpRequest.from_fc(json.dumps(load("timer.json")))


def test_answers_and_problems_have_the_shape_fc_expects() -> None:
    assert response(202, {"status": "accepted"}) == {
        "statusCode": 202,
        "headers": {"Content-Type": "application/json"},
        "isBase64Encoded": False,
        "body": '{"status":"accepted"}',
    }
    refused = problem(404, "Not Found", "no route /x", slug="not-found")
    assert refused["headers"]["Content-Type"] == "application/problem+json"
    assert json.loads(refused["body"]) == {
        "type": PROBLEM_TYPE_BASE + "not-found",
        "title": "Not Found",
        "status": 404,
        "detail": "no route /x",
    }
    assert PROBLEM_TYPE_BASE.startswith("tag:")

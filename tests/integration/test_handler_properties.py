"""Properties of the webhook and worker handlers, called in-process with generated FC events, on the local cloud.

The webhook: whatever a client sends, the handler answers (it never raises), with exactly the status the
routing rules give (route, method, size, encoding, content type, signature, contract; in that order), never a
5xx for the client's mistake, refusals as problem details, and the input queue holds exactly the event of a 202
and nothing for anything else. The worker: whatever a batch holds, every message gets exactly one outcome, an
invalid event a `rejected` one listing the contract's problems plus a dead-letter record, and the invocation
fails only as BatchIncompleteError (here never, as nothing is failing).
"""

from __future__ import annotations

import base64
import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from functions.replay.index import handler as replay_handler
from functions.webhook.index import handler as webhook_handler
from functions.worker.index import handler as worker_handler
from localcloud.faults import FaultRule
from shared import wiring
from shared.contract.event import ContractError, HrEvent, parse_event
from shared.contract.strictjson import load_json
from shared.messaging.formats import EVENT_KIND, wrap
from shared.replay import read_dead_letter
from shared.triggers.http import PROBLEM_TYPE_BASE
from shared.webhook.auth import sign
from shared.webhook.routes import MAX_BODY_BYTES, ROUTES
from shared.worker import BatchIncompleteError
from tests.integration.deployment import AUDIT, QUEUES, SECRET, Deployment, batch, http_event, sample, signed
from tests.support.strategies import SAMPLES, events, examples, mobile_digits, names_a_field, raw_events

WEBHOOK_EXAMPLES = 300
WORKER_EXAMPLES = 150

INPUT = QUEUES["INPUT_QUEUE"]
DEAD_LETTER = QUEUES["DEAD_LETTER_QUEUE"]


@pytest.fixture
def unthrottled(deployment: Deployment, monkeypatch: pytest.MonkeyPatch) -> Deployment:
    """Generated valid events are provisioned for real; the client-side DMS rate limit would only slow that down."""
    monkeypatch.setenv("DMS_QPS", "1000")
    wiring.reset()
    return deployment


def drain_all(deployment: Deployment) -> None:
    """Each example starts from empty queues, even after one that failed half-way (as when shrinking)."""
    for queue in (*QUEUES.values(), AUDIT):
        deployment.drain(queue)


def verdict(raw: Any) -> HrEvent | ContractError:
    try:
        return parse_event(raw)
    except ContractError as error:
        return error


# --- the webhook ---------------------------------------------------------------------------------------------

SIGNED_ROUTES = [("POST", "/events")] * 4 + [("POST", "/provision"), ("POST", "/events/")]
OTHER_ROUTES = [
    ("GET", "/healthz"),
    ("HEAD", "/healthz"),
    ("GET", "/events"),
    ("PUT", "/events"),
    ("DELETE", "/provision"),
    ("POST", "/healthz"),
    ("POST", "/nowhere"),
    ("POST", "//events"),
    ("GET", "/"),
]
GOOD_CONTENT_TYPES = ["application/json", "application/json; charset=utf-8", "Application/JSON"]
BAD_CONTENT_TYPES = [
    "text/plain",
    "application/json-seq",
    "application/x-www-form-urlencoded",
    "application/problem+json",
    None,
]
BAD_ENCODINGS = ["gzip", "deflate", "br", "GZIP"]
BAD_SIGNINGS = [
    "missing",
    "no-timestamp",
    "wrong-secret",
    "stale",
    "future",
    "other-body",
    "malformed",
    "unicode-digits",
]
ASPECTS = ["route", "size", "encoding", "content-type", "signing"]
VALID_BODIES = [json.dumps(event).encode() for event in SAMPLES if not isinstance(verdict(event), ContractError)]


@dataclass
class Sent:
    method: str
    path: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    signing: str = "valid"


def _signature_headers(signing: str, body: bytes) -> dict[str, str]:
    now = int(time.time())
    stamp = str({"stale": now - 301, "future": now + 301}.get(signing, now))
    secret = "not-the-secret" if signing == "wrong-secret" else SECRET
    signed = body + b" " if signing == "other-body" else body
    headers = {"X-Timestamp": stamp, "X-Signature": sign(secret, stamp, signed)}
    if signing == "missing":
        return {}
    if signing == "no-timestamp":
        del headers["X-Timestamp"]
    if signing == "malformed":
        headers["X-Signature"] = headers["X-Signature"].removeprefix("sha256=")
    if signing == "unicode-digits":
        headers["X-Timestamp"] = stamp.translate(
            str.maketrans("0123456789", "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669")
        )
    return headers


@st.composite
def webhook_requests(draw: Callable[[st.SearchStrategy[Any]], Any]) -> Sent:
    # Most requests break at most one thing, so each rule is reached; some break two, to pin down their order.
    broken: set[str] = set(draw(st.lists(st.sampled_from(ASPECTS), max_size=2))) if draw(st.booleans()) else set()
    method, path = draw(st.sampled_from(OTHER_ROUTES if "route" in broken else SIGNED_ROUTES))
    body = draw(st.one_of(st.sampled_from(VALID_BODIES), raw_events()))
    if "size" in broken:
        body = draw(st.sampled_from([b"x" * (MAX_BODY_BYTES + 1), body + b" " * (MAX_BODY_BYTES + 1 - len(body))]))
    signing = draw(st.sampled_from(BAD_SIGNINGS)) if "signing" in broken else "valid"
    headers = _signature_headers(signing, body)
    content_type = draw(st.sampled_from(BAD_CONTENT_TYPES if "content-type" in broken else GOOD_CONTENT_TYPES))
    if content_type is not None:
        headers["Content-Type"] = content_type
    if "encoding" in broken:
        headers["Content-Encoding"] = draw(st.sampled_from(BAD_ENCODINGS))
    elif draw(st.booleans()):
        headers["Content-Encoding"] = "identity"
    if draw(st.booleans()):
        headers["X-Correlation-Id"] = draw(st.text(alphabet="abcdef0123456789-", min_size=1, max_size=20))
    # /provision plans only: provisioning for real is the worker property's business, and far slower.
    query = {"dry_run": "true"} if path.startswith("/provision") else {}
    return Sent(method, path, body, headers, query, signing)


def expected_status(sent: Sent) -> int:
    """The routing rules, in their order, as the README and the OpenAPI description state them."""
    route = sent.path.rstrip("/") or "/"
    if route not in ROUTES:
        return 404
    if sent.method not in ROUTES[route]:
        return 405
    if route == "/healthz":
        return 200
    if len(sent.body) > MAX_BODY_BYTES:
        return 413
    if (sent.headers.get("Content-Encoding") or "identity").lower() != "identity":
        return 415
    if (sent.headers.get("Content-Type") or "").split(";")[0].strip().lower() != "application/json":
        return 415
    if sent.signing != "valid":
        return 401
    if isinstance(verdict(sent.body), ContractError):
        return 400
    return 202 if route == "/events" else 200


def assert_problem(answer: dict[str, Any], body: bytes) -> None:
    assert answer["headers"]["Content-Type"] == "application/problem+json"
    document = json.loads(answer["body"])
    assert document["status"] == answer["statusCode"]
    assert document["type"].startswith(PROBLEM_TYPE_BASE)
    assert document["title"]
    assert document["detail"]
    assert SECRET not in answer["body"]
    if answer["statusCode"] != 400:
        return
    try:
        decoded = load_json(body)
    except ValueError:
        decoded = None
    hidden = mobile_digits(decoded)
    assert document["errors"]
    for error in document["errors"]:
        assert error["reason"]
        if isinstance(decoded, dict):
            assert names_a_field(decoded, error["field"]), error
        else:
            assert error["field"] == ""
        if hidden is not None:
            assert hidden not in error["reason"]


@examples(WEBHOOK_EXAMPLES)
@given(sent=webhook_requests())
def test_webhook_answers_every_request_by_the_rules_and_queues_exactly_the_accepted_events(
    deployment: Deployment, sent: Sent
) -> None:
    drain_all(deployment)
    answer = webhook_handler(http_event(sent.method, sent.path, sent.body, sent.headers, sent.query), None)
    queued = deployment.drain(INPUT)
    outcomes = deployment.outcomes()
    status = answer["statusCode"]
    assert status == expected_status(sent)
    assert status < 500
    if status >= 400:
        assert_problem(answer, sent.body)
    if status == 202:
        (message,) = queued
        envelope = json.loads(message)
        accepted = json.loads(answer["body"])
        assert envelope["kind"] == EVENT_KIND
        assert envelope["event"] == load_json(sent.body)  # the event as sent: nothing dropped or rewritten
        assert envelope["correlation_id"] == accepted["correlation_id"]
    else:
        assert queued == []
    if status == 200 and sent.method == "POST":
        (outcome,) = outcomes
        assert outcome == json.loads(answer["body"])
        assert outcome["data"]["status"] == "dry_run"
    else:
        assert outcomes == []


# --- the worker ----------------------------------------------------------------------------------------------


@dataclass
class Message:
    body: str
    document: Any
    """What the worker should judge: the decoded event, or the text itself when the body is not JSON."""
    correlation_id: str | None = None
    """Set when the message is our envelope, whose correlation id a rejected outcome must carry."""


VALID_EVENTS = [event for event in SAMPLES if not isinstance(verdict(event), ContractError)]
MESSAGE_TEXT = 5_000
"""Longest generated string: MNS carries at most 64 KiB, and a dead-letter record holds the message and more."""


@st.composite
def messages(draw: Callable[[st.SearchStrategy[Any]], Any], index: int) -> Message:
    document = draw(st.one_of(st.sampled_from(VALID_EVENTS), events(max_mutations=2, max_text=MESSAGE_TEXT)))
    shape = draw(st.sampled_from(["envelope", "envelope", "bare", "base64", "raw"]))
    if shape == "raw":
        text = draw(raw_events(max_text=MESSAGE_TEXT)).decode("utf-8", "replace")
        return Message(text, text)
    if shape == "envelope":
        correlation = f"fuzz-{index}"
        return Message(wrap(document, correlation, draw(st.integers(0, 2))), document, correlation)
    try:
        text = json.dumps(document, ensure_ascii=False, allow_nan=False)
        text.encode("utf-8")
    except (ValueError, UnicodeEncodeError):
        text = json.dumps(document)  # NaN and lone surrogates as JSON writes them, and the worker reads them back
    if shape == "base64":
        return Message(base64.b64encode(text.encode("utf-8")).decode("ascii"), document)
    return Message(text, document)


@st.composite
def batches(draw: Callable[[st.SearchStrategy[Any]], Any]) -> tuple[bytes, list[Message]]:
    items = [draw(messages(i)) for i in range(draw(st.integers(1, 6)))]
    cloudevents = batch([(m.body, f"m{i}") for i, m in enumerate(items)])
    shape = draw(st.sampled_from(["cloudevents", "cloudevents", "rawdata", "single"]))
    if shape == "rawdata":
        return json.dumps([item["data"] for item in json.loads(cloudevents)]).encode(), items
    if shape == "single" and len(items) == 1:
        return json.dumps(json.loads(cloudevents)[0]).encode(), items
    return cloudevents, items


@examples(WORKER_EXAMPLES)
@given(delivered=batches())
def test_worker_gives_every_message_one_outcome_and_rejects_exactly_the_invalid_events(
    unthrottled: Deployment, delivered: tuple[bytes, list[Message]]
) -> None:
    deployment = unthrottled
    event, items = delivered
    drain_all(deployment)
    report = json.loads(worker_handler(event, None))
    outcomes = deployment.outcomes()
    dead_letters = [read_dead_letter(record) for record in deployment.drain(DEAD_LETTER)]
    verdicts = [verdict(m.document) for m in items]
    invalid = [v for v in verdicts if isinstance(v, ContractError)]
    statuses = [o["data"]["status"] for o in outcomes]

    assert report["messages"] == len(items) == len(outcomes)
    assert statuses.count("rejected") == len(invalid)
    assert not {"dry_run", "quarantined"} & set(statuses)
    kept = Counter(s for s in statuses if s in ("rejected", "failed"))
    assert len(dead_letters) == report["dead_lettered"] == kept.total()
    # A message too large to travel with its reason is kept without it (the log has the reason).
    assert Counter(r.reason["status"] for r in dead_letters if "status" in r.reason) <= kept
    by_correlation = {o["correlationid"]: o for o in outcomes}
    for message, judged in zip(items, verdicts, strict=True):
        if isinstance(judged, ContractError) and message.correlation_id is not None:
            outcome = by_correlation[message.correlation_id]
            assert outcome["data"]["status"] == "rejected"
            assert outcome["data"]["problems"] == judged.to_dict()["problems"]


def test_batch_whose_outcome_cannot_be_published_fails_whole_and_its_redelivery_loses_nothing(
    deployment: Deployment, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The one documented way the worker fails: the trigger then redelivers the batch, and every message ends
    with an outcome; the ones already published are published again, under the same outcome id."""
    bodies = [sample(name).decode("utf-8") for name in ("updated.json", "invalid-role.json", "hired-mapping-only.json")]
    delivered = batch([(body, f"m{i}") for i, body in enumerate(bodies)])
    monkeypatch.setenv("WORKER_CONCURRENCY", "1")  # one message at a time, so the first publish gets every fault
    attempts = 3  # shared.messaging.client tries a publish three times before giving up
    deployment.cloud.faults.add(FaultRule(kind="error", service="mns", action="PublishMessage", count=attempts))
    with pytest.raises(BatchIncompleteError):
        worker_handler(delivered, None)
    first = deployment.outcomes()
    assert len(first) == len(bodies) - 1
    deployment.drain(DEAD_LETTER)

    report = json.loads(worker_handler(delivered, None))
    again = deployment.outcomes()
    assert report["messages"] == len(again) == len(bodies)
    assert {o["id"] for o in first} <= {o["id"] for o in again}


# --- what the properties found, kept as examples -------------------------------------------------------------

EVENT_TEXT = sample("hired-explicit-roles.json").decode("utf-8")
DEEP = '{"employee": ' + "[" * 5_000 + "]" * 5_000 + "}"
SURROGATES = '{"schema_version": 1, "event_id": "\\ud800", "source": "\\udfff", "\\ud800": 1}'
KEY_TWICE = '{"schema_version": 1, "schema_version": 1}'


def unwrapped_event(body: str) -> Any:
    """What the contract should judge: an envelope's event, or a bare message's text as sent."""
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return body
    return document["event"] if isinstance(document, dict) and document.get("kind") == EVENT_KIND else body


@pytest.mark.parametrize(
    "body",
    [
        "[1, 2]",
        "42",
        "null",
        wrap([1, 2], "c1"),
        wrap(None, "c1"),
        DEEP,
        wrap(DEEP, "c1"),
        SURROGATES,
        KEY_TWICE,
    ],
    ids=[
        "json-array",
        "json-number",
        "json-null",
        "envelope-of-an-array",
        "envelope-of-null",
        "nested-too-deeply",
        "envelope-of-text-nested-too-deeply",
        "lone-surrogates-from-escapes",
        "key-twice",
    ],
)
def test_unreadable_queue_message_gets_a_rejected_outcome_and_a_dead_letter_not_a_failed_batch(
    deployment: Deployment, body: str
) -> None:
    report = json.loads(worker_handler(batch([(body, "m1")]), None))
    assert report == {"messages": 1, "statuses": {"rejected": 1}, "dead_lettered": 1}
    (outcome,) = deployment.outcomes()
    assert outcome["data"]["status"] == "rejected"
    expected = verdict(unwrapped_event(body))
    assert isinstance(expected, ContractError)
    assert outcome["data"]["problems"] == expected.to_dict()["problems"]
    (record,) = deployment.drain(DEAD_LETTER)
    assert json.loads(record)["message"] == body


def test_key_written_twice_is_refused_on_the_queue_as_at_the_webhook(deployment: Deployment) -> None:
    """With json.loads the last "roles" would win unseen; the contract's JSON reading refuses the document."""
    worker_handler(batch([(KEY_TWICE, "m1")]), None)
    (outcome,) = deployment.outcomes()
    assert outcome["data"]["problems"] == [
        {"field": "", "reason": 'is not valid JSON: the key "schema_version" appears twice in one object'}
    ]


def test_body_with_a_lone_surrogate_escape_is_refused_as_no_json_text(deployment: Deployment) -> None:
    """A key written as the escape \\ud800 decodes to no character; pydantic would refuse it without a place."""
    body = json.dumps({**json.loads(EVENT_TEXT), "\ud800": 1}).encode("ascii")
    answer = webhook_handler(http_event("POST", "/events", body, signed(body)), None)
    assert answer["statusCode"] == 400
    answer["body"].encode("utf-8")  # FC, and the local runtime, send it as UTF-8
    (problem,) = json.loads(answer["body"])["errors"]
    assert problem == {
        "field": "",
        "reason": "is not valid JSON: a \\u escape is half of a surrogate pair, which is no character",
    }
    assert deployment.drain(INPUT) == []


def test_rejected_message_near_the_mns_size_limit_is_still_dead_lettered(deployment: Deployment) -> None:
    document = {**json.loads(EVENT_TEXT), "legacy_notes": 'said "yes" ' * 4_000}
    body = wrap(document, "near-limit")
    assert len(body.encode("utf-8")) < 64 * 1024  # MNS carries it
    report = json.loads(worker_handler(batch([(body, "m1")]), None))
    assert report["dead_lettered"] == 1
    for _ in range(4):  # replayed as long as it fits and MAX_REPLAYS allows, then parked: never stuck
        json.loads(replay_handler(b"{}", None))
        for message in deployment.drain(INPUT):
            worker_handler(batch([(message, "again")]), None)
    assert deployment.drain(QUEUES["DEAD_LETTER_QUEUE"]) == []
    (parked,) = deployment.drain(QUEUES["PARKING_QUEUE"])
    assert "legacy_notes" in parked
    statuses = [o["data"]["status"] for o in deployment.outcomes()]
    assert statuses[-1] == "quarantined"
    assert set(statuses[:-1]) == {"rejected"}

"""Schemathesis against the webhook served by the local FC runtime: the OpenAPI description is what it does.

Every generated request is signed over the bytes actually sent, so generated bodies get past the 401 and reach
the HR event contract; signatures themselves are the security matrix's business (tests/integration), which is
why schemathesis generates no security headers here and `negative_data_rejection` is not run: a request
missing its signature headers is signed on the way out and rightly accepted. `positive_data_acceptance` is not
run either: the contract is stricter than JSON Schema can say (mobiles, duplicate keys, control characters).

Besides schemathesis' checks (no 5xx, documented status codes, content types, headers and bodies, 405 for
undeclared methods), each request is accounted for in the local cloud's call log: a 202 means exactly one
message went to the input queue and the body sent was a valid event; any other answer means none went.
Afterwards every event the webhook took must end with exactly one outcome, and none of them `rejected`.
"""

from __future__ import annotations

import gzip
import json
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
import schemathesis
from mns.account import Account
from requests.auth import AuthBase
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from localcloud.faults import FaultRule
from localcloud.fc.dev import DevEnvironment
from shared.contract.event import ContractError, parse_event
from shared.webhook.auth import WINDOW_SECONDS, sign
from shared.webhook.routes import MAX_BODY_BYTES
from tests.support.mns_clients import drain

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "openapi" / "webhook.v1.yaml"
SECRET = "schemathesis-webhook-secret"
INPUT_QUEUE = "hr-input"
OUTCOMES_QUEUE = "hr-outcomes"
FUZZ_EXAMPLES = 50
"""Fuzzing examples per operation and generation mode, after the examples and coverage phases' cases."""

CONFIG = schemathesis.Config.from_dict(
    {
        "generation": {
            "mode": "all",
            "max-examples": FUZZ_EXAMPLES,
            "deterministic": True,
            "database": "none",
            "with-security-parameters": False,
        },
        "phases": {
            "examples": {"enabled": True},
            # The methods FC's HTTP trigger can carry at all; anything else never reaches a function.
            "coverage": {"enabled": True, "unexpected-methods": ["PUT", "DELETE", "PATCH", "OPTIONS"]},
            "fuzzing": {"enabled": True},
            "stateful": {"enabled": False},
        },
        "checks": {
            "enabled": False,
            "not_a_server_error": {"enabled": True},
            "status_code_conformance": {"enabled": True},
            "content_type_conformance": {"enabled": True},
            "response_headers_conformance": {"enabled": True},
            "response_schema_conformance": {"enabled": True},
            "unsupported_method": {"enabled": True},
        },
    }
)
schema = schemathesis.openapi.from_path(SPEC, config=CONFIG)


class Signer(AuthBase):
    """Signs what `requests` is about to send, body bytes exactly, with a timestamp `age` seconds old."""

    def __init__(self, secret: str, age: int = 0) -> None:
        self.secret = secret
        self.age = age

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        stamp = str(int(time.time()) - self.age)
        request.headers["X-Timestamp"] = stamp
        request.headers["X-Signature"] = sign(self.secret, stamp, sent_body(request))
        return request


def sent_body(request: requests.PreparedRequest) -> bytes:
    body = request.body
    if body is None or isinstance(body, bytes):
        return body or b""
    if isinstance(body, str):
        return body.encode("utf-8")
    raise TypeError("a streamed body cannot be signed before it is sent")


@dataclass
class Ledger:
    """What the webhook said yes to during the run, to be matched against outcomes afterwards."""

    seq: int = 0
    requests: int = 0
    queued: int = 0
    provisioned: int = 0


@pytest.fixture(scope="module")
def dev() -> Iterator[DevEnvironment]:
    # The worker provisions what the run queues; no need to hold it to 10 DMS calls a second. One worker instance:
    # the run sends many events for one person, and a second instance would defer some back onto the input queue,
    # which the ledger would count as the webhook's.
    extra = {"DMS_QPS": "1000"}
    tasks = {"worker": 1}
    with DevEnvironment(
        ROOT, timers=False, webhook_secret=SECRET, log=lambda line: None, extra_env=extra, tasks=tasks
    ) as env:
        yield env


@pytest.fixture(scope="module")
def ledger() -> Ledger:
    return Ledger()


def sends_to_input_queue(dev: DevEnvironment, ledger: Ledger) -> int:
    """Successful SendMessage calls to the input queue since the last look (only the webhook sends there)."""
    records = dev.cloud.calls.query(service="mns", action="SendMessage", since=ledger.seq)
    ledger.seq = max([ledger.seq, *(int(str(r["seq"])) for r in records)])
    return sum(
        1
        for r in records
        if isinstance(r["params"], dict) and r["params"].get("queue") == INPUT_QUEUE and int(str(r["status"])) < 300
    )


@schema.parametrize()
def test_webhook_answers_as_its_openapi_description_says_and_queues_only_valid_events(
    case: Any, dev: DevEnvironment, ledger: Ledger
) -> None:
    sends_to_input_queue(dev, ledger)
    response = case.call_and_validate(base_url=dev.env()["WEBHOOK_URL"], auth=Signer(SECRET), timeout=30)
    queued = sends_to_input_queue(dev, ledger)
    ledger.requests += 1
    assert queued == (1 if response.status_code == 202 else 0)
    ledger.queued += queued
    if case.method != "POST":
        return
    body = sent_body(response.request)
    if response.status_code in (200, 202):
        parse_event(body)  # what the webhook took is a valid event, or this raises
        ledger.provisioned += response.status_code == 200
    elif response.status_code == 400:
        with pytest.raises(ContractError):
            parse_event(body)


def wait_for(condition: Callable[[], bool], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.2)


def test_every_event_the_run_got_accepted_ends_with_exactly_one_outcome_none_rejected(
    dev: DevEnvironment, ledger: Ledger
) -> None:
    assert ledger.requests, "checks what the schemathesis test sent: run the module, not this test alone"
    cfg = dev.cloud.config
    account = Account(dev.env()["MNS_ENDPOINT"], cfg.access_key_id, cfg.access_key_secret, cfg.security_token)
    outcomes: list[dict[str, Any]] = []

    def all_outcomes_arrived() -> bool:
        outcomes.extend(json.loads(body) for body in drain(account, OUTCOMES_QUEUE))
        return len(outcomes) >= ledger.queued + ledger.provisioned

    wait_for(all_outcomes_arrived)
    time.sleep(0.5)
    outcomes.extend(json.loads(body) for body in drain(account, OUTCOMES_QUEUE))
    statuses = [o["data"]["status"] for o in outcomes]
    assert len(statuses) == ledger.queued + ledger.provisioned
    assert "rejected" not in statuses
    assert ledger.queued > 0
    assert ledger.provisioned > 0


EVENT = (ROOT / "events" / "hr" / "hired-explicit-roles.json").read_bytes()
CONFORMANCE = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@dataclass(frozen=True)
class Refusal:
    path: str
    status: int
    body: bytes = EVENT
    headers: tuple[tuple[str, str], ...] = (("Content-Type", "application/json"),)
    secret: str | None = SECRET
    """What the request is signed with; None sends it unsigned."""
    age: int = 0
    """How old the signature's timestamp is."""
    fault: tuple[str, str] | None = None
    """An MNS action and error code to inject: what makes the queue or the topic refuse, a documented 5xx."""


REFUSALS = {
    "unsigned": Refusal("/events", 401, secret=None),
    "signed-with-the-wrong-secret": Refusal("/events", 401, secret="not-the-secret"),
    "replayed-after-the-window": Refusal("/provision", 401, age=WINDOW_SECONDS + 1),
    "over-64-kib": Refusal("/events", 413, body=EVENT + b" " * MAX_BODY_BYTES),
    "gzip": Refusal(
        "/provision",
        415,
        body=gzip.compress(EVENT),
        headers=(("Content-Type", "application/json"), ("Content-Encoding", "gzip")),
    ),
    "text-plain": Refusal("/events", 415, headers=(("Content-Type", "text/plain"),)),
    "queue-throttled": Refusal("/events", 429, fault=("SendMessage", "QpsLimitExceeded")),
    "queue-unavailable": Refusal("/events", 503, fault=("SendMessage", "ServiceUnavailable")),
    "outcome-unpublished": Refusal("/provision", 503, fault=("PublishMessage", "ServiceUnavailable")),
}


@pytest.mark.parametrize("refusal", REFUSALS.values(), ids=REFUSALS.keys())
def test_refusal_is_answered_as_documented_and_queues_nothing(
    dev: DevEnvironment, ledger: Ledger, refusal: Refusal
) -> None:
    if refusal.fault is not None:
        action, code = refusal.fault
        dev.cloud.faults.add(FaultRule(kind="error", service="mns", action=action, status=503, code=code))
    try:
        sends_to_input_queue(dev, ledger)
        query = {"dry_run": "true"} if refusal.path == "/provision" else None
        case = schema[refusal.path]["POST"].Case(media_type="application/json", query=query)
        signer = None if refusal.secret is None else Signer(refusal.secret, refusal.age)
        url = dev.env()["WEBHOOK_URL"]
        response = case.call(base_url=url, headers=dict(refusal.headers), data=refusal.body, auth=signer)
        # With a fault, the 503 is the documented answer, not a server error.
        checks = [c for c in CONFORMANCE if refusal.fault is None or c is not not_a_server_error]
        case.validate_response(response, checks=checks)
        assert response.status_code == refusal.status
        assert sends_to_input_queue(dev, ledger) == 0
    finally:
        dev.cloud.faults.clear()


def test_head_is_answered_without_a_body_so_a_kept_alive_connection_stays_usable(dev: DevEnvironment) -> None:
    """RFC 9110 9.3.2: a HEAD answer has no content; bytes sent anyway would be read as the next answer."""
    url = urlsplit(dev.env()["WEBHOOK_URL"])
    with socket.create_connection((url.hostname or "127.0.0.1", url.port or 80), timeout=10) as connection:
        connection.sendall(
            b"HEAD /healthz HTTP/1.1\r\nHost: webhook\r\n\r\nGET /healthz HTTP/1.1\r\nHost: webhook\r\n\r\n"
        )
        received = b""
        while received.count(b"HTTP/1.1 200") < 2 or not received.endswith(b'{"status":"ok"}'):
            chunk = connection.recv(65536)
            assert chunk, f"connection closed early: {received!r}"
            received += chunk
    head, _, rest = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert rest.startswith(b"HTTP/1.1 200"), f"HEAD answer carried a body: {rest[:40]!r}"

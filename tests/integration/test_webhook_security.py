"""The webhook's security matrix: every way a request can be unauthenticated, too big or of the wrong kind.

Each attempt is refused with its status (401, 413 or 415), as problem details, and has no effect at all: nothing
on the input queue, no outcome published, no DMS call. Every attempt runs against both signed routes, since
`POST /provision` provisions at once and is the more dangerous one to get wrong. A valid event is used
throughout, so only the one thing each scenario breaks can be the reason for the refusal.
"""

from __future__ import annotations

import functools
import gzip
import json
import time
import tracemalloc
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from functions.webhook.index import handler as webhook_handler
from shared.triggers.http import PROBLEM_TYPE_BASE
from shared.webhook.auth import WINDOW_SECONDS, sign
from shared.webhook.routes import MAX_BODY_BYTES
from tests.integration.deployment import AUDIT, QUEUES, SECRET, Deployment, http_event, sample

EVENT = sample("hired-explicit-roles.json")
ROUTES = ["/events", "/provision"]


@dataclass(frozen=True)
class Attempt:
    body: bytes
    headers: dict[str, str]


def signed(
    body: bytes, *, at: int | None = None, secret: str = SECRET, over: bytes | None = None, **headers: str
) -> Attempt:
    """A request signed at `at` (now), with `secret`, over `over` (the body itself), plus extra headers."""
    stamp = str(int(time.time()) if at is None else at)
    signature = sign(secret, stamp, body if over is None else over)
    base = {"Content-Type": "application/json", "X-Timestamp": stamp, "X-Signature": signature}
    return Attempt(body, {**base, **{name.replace("_", "-"): value for name, value in headers.items()}})


def without(attempt: Attempt, *names: str) -> Attempt:
    return Attempt(attempt.body, {k: v for k, v in attempt.headers.items() if k not in names})


def with_headers(attempt: Attempt, **headers: str) -> Attempt:
    return Attempt(attempt.body, {**attempt.headers, **{k.replace("_", "-"): v for k, v in headers.items()}})


def now() -> int:
    return int(time.time())


ARABIC_INDIC = str.maketrans("0123456789", "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669")


@functools.cache
def gzip_bomb() -> bytes:
    """60 MiB of zeros in under 64 KiB: refused unread, or it would cost the function its memory."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(1 << 20)
    return b"".join(compressor.compress(zeros) for _ in range(60)) + compressor.flush()


def signature_hex(attempt: Attempt) -> str:
    return attempt.headers["X-Signature"].removeprefix("sha256=")


Scenario = Callable[[], Attempt]
UNAUTHENTICATED: dict[str, Scenario] = {
    "no-signature-headers": lambda: without(signed(EVENT), "X-Timestamp", "X-Signature"),
    "no-signature": lambda: without(signed(EVENT), "X-Signature"),
    "no-timestamp": lambda: without(signed(EVENT), "X-Timestamp"),
    "empty-signature": lambda: with_headers(signed(EVENT), X_Signature=""),
    "signature-without-sha256-prefix": lambda: with_headers(signed(EVENT), X_Signature=signature_hex(signed(EVENT))),
    "signature-named-another-algorithm": lambda: with_headers(
        signed(EVENT), X_Signature="sha1=" + signature_hex(signed(EVENT))
    ),
    "signature-one-digit-short": lambda: with_headers(
        signed(EVENT), X_Signature=signed(EVENT).headers["X-Signature"][:-1]
    ),
    "signature-in-upper-case": lambda: with_headers(
        signed(EVENT), X_Signature="sha256=" + signature_hex(signed(EVENT)).upper()
    ),
    "signature-not-hex": lambda: with_headers(signed(EVENT), X_Signature="sha256=" + "z" * 64),
    "signature-with-non-ascii": lambda: with_headers(signed(EVENT), X_Signature="sha256=" + "é" * 64),
    "signed-with-the-wrong-secret": lambda: signed(EVENT, secret="not-the-secret"),
    "valid-signature-moved-to-another-body": lambda: signed(sample("hired-mapping-only.json"), over=EVENT),
    "body-changed-after-signing": lambda: signed(EVENT.replace(b"USER", b"ADMIN", 1), over=EVENT),
    "replayed-after-the-window": lambda: signed(EVENT, at=now() - WINDOW_SECONDS - 1),
    "replayed-with-a-fresh-timestamp": lambda: with_headers(
        signed(EVENT, at=now() - WINDOW_SECONDS - 60), X_Timestamp=str(now())
    ),
    "timestamp-from-the-future": lambda: signed(EVENT, at=now() + WINDOW_SECONDS + 1),
    "timestamp-of-the-epoch": lambda: signed(EVENT, at=0),
    "timestamp-in-milliseconds": lambda: signed(EVENT, at=now() * 1000),
    "timestamp-with-fraction": lambda: with_headers(signed(EVENT), X_Timestamp=f"{now()}.0"),
    "timestamp-negative": lambda: with_headers(signed(EVENT), X_Timestamp="-1"),
    "timestamp-as-a-date": lambda: with_headers(signed(EVENT), X_Timestamp="2026-11-22T00:00:00Z"),
    # str.isdigit() is true of these, and int() reads the first as the current time: they must not get that far.
    "timestamp-now-in-arabic-indic-digits": lambda: with_headers(
        signed(EVENT), X_Timestamp=str(now()).translate(ARABIC_INDIC)
    ),
    "timestamp-in-superscript-digits": lambda: with_headers(signed(EVENT), X_Timestamp="\u00b9\u00b2\u00b3"),
}
TOO_LARGE: dict[str, Scenario] = {
    "body-one-byte-over-64-kib": lambda: signed(EVENT + b" " * (MAX_BODY_BYTES + 1 - len(EVENT))),
    "body-of-1-mib": lambda: signed(EVENT + b" " * (1 << 20)),
    "body-over-64-kib-and-unsigned": lambda: Attempt(b"{" * (MAX_BODY_BYTES + 1), {"Content-Type": "text/plain"}),
}
UNSUPPORTED: dict[str, Scenario] = {
    "gzip": lambda: signed(gzip.compress(EVENT), Content_Encoding="gzip"),
    "deflate": lambda: signed(zlib.compress(EVENT), Content_Encoding="deflate"),
    "brotli": lambda: signed(b"\x1b\x1f\x00\xf8\x8f\x94\x8c\x1a" + EVENT, Content_Encoding="br"),
    "gzip-in-capitals": lambda: signed(gzip.compress(EVENT), Content_Encoding="GZIP"),
    "gzip-then-identity": lambda: signed(gzip.compress(EVENT), Content_Encoding="gzip, identity"),
    "gzip-bomb": lambda: signed(gzip_bomb(), Content_Encoding="gzip"),
    "text-plain": lambda: signed(EVENT, Content_Type="text/plain"),
    "form-urlencoded": lambda: signed(EVENT, Content_Type="application/x-www-form-urlencoded"),
    "multipart-form": lambda: signed(EVENT, Content_Type="multipart/form-data; boundary=x"),
    "no-content-type": lambda: without(signed(EVENT), "Content-Type"),
    "json-seq": lambda: signed(b"\x1e" + EVENT, Content_Type="application/json-seq"),
    "json-with-suffix": lambda: signed(EVENT, Content_Type="application/jsonx"),
    "problem-json": lambda: signed(EVENT, Content_Type="application/problem+json"),
    "two-content-types": lambda: signed(EVENT, Content_Type="application/json, text/plain"),
    "unsigned-and-text-plain": lambda: Attempt(EVENT, {"Content-Type": "text/plain"}),
}
MATRIX = [
    pytest.param(route, scenario, status, slug, id=f"{route.strip('/')}-{name}")
    for route in ROUTES
    for scenarios, status, slug in (
        (UNAUTHENTICATED, 401, "unauthenticated"),
        (TOO_LARGE, 413, "too-large"),
        (UNSUPPORTED, 415, "unsupported-media-type"),
    )
    for name, scenario in scenarios.items()
]


def call(route: str, attempt: Attempt, query: dict[str, str] | None = None) -> dict[str, Any]:
    return webhook_handler(http_event("POST", route, attempt.body, attempt.headers, query), None)


def assert_no_effect(deployment: Deployment, since: float) -> None:
    assert deployment.drain(QUEUES["INPUT_QUEUE"]) == []
    assert deployment.drain(AUDIT) == []
    # By when they arrived: a call an earlier test left hanging in the shared local cloud may be logged only now.
    calls = deployment.cloud.calls.query()
    assert [c for c in calls if str(c["service"]).startswith("dms") and float(str(c["time"])) >= since] == []


@pytest.mark.parametrize(("route", "scenario", "status", "slug"), MATRIX)
def test_refused_request_gets_its_status_as_problem_details_and_has_no_effect(
    deployment: Deployment, route: str, scenario: Scenario, status: int, slug: str
) -> None:
    since = time.time()
    attempt = scenario()
    tracemalloc.start()
    try:
        answer = call(route, attempt)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert answer["statusCode"] == status
    assert answer["headers"]["Content-Type"] == "application/problem+json"
    problem = json.loads(answer["body"])
    assert problem["type"] == PROBLEM_TYPE_BASE + slug
    assert problem["status"] == status
    assert problem["title"]
    assert problem["detail"]
    assert SECRET not in answer["body"]
    if status == 401:
        assert answer["headers"]["WWW-Authenticate"] == "HMAC-SHA256"
    assert peak < 8 * len(attempt.body) + (4 << 20), "the body was expanded or copied over and over"
    assert_no_effect(deployment, since)


def test_webhook_without_a_secret_configured_accepts_nothing(
    deployment: Deployment, monkeypatch: pytest.MonkeyPatch
) -> None:
    since = time.time()
    monkeypatch.setenv("WEBHOOK_SECRET", "")
    for route in ROUTES:
        answer = call(route, signed(EVENT, secret=""))
        assert answer["statusCode"] == 401
        assert "no WEBHOOK_SECRET" in json.loads(answer["body"])["detail"]
    assert_no_effect(deployment, since)


ACCEPTED: dict[str, Scenario] = {
    "signed-just-inside-the-window-in-the-past": lambda: signed(EVENT, at=now() - WINDOW_SECONDS + 10),
    "signed-just-inside-the-window-in-the-future": lambda: signed(EVENT, at=now() + WINDOW_SECONDS - 10),
    "body-of-exactly-64-kib": lambda: signed(EVENT + b" " * (MAX_BODY_BYTES - len(EVENT))),
    "json-with-charset": lambda: signed(EVENT, Content_Type="application/json; charset=utf-8"),
    "json-in-capitals": lambda: signed(EVENT, Content_Type="Application/JSON"),
    "identity-encoding": lambda: signed(EVENT, Content_Encoding="identity"),
}


@pytest.mark.parametrize("scenario", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_request_just_inside_each_limit_is_accepted_and_queued_once(deployment: Deployment, scenario: Scenario) -> None:
    answer = call("/events", scenario())
    assert answer["statusCode"] == 202
    (queued,) = deployment.drain(QUEUES["INPUT_QUEUE"])
    assert json.loads(queued)["event"] == json.loads(EVENT)


def test_valid_event_of_the_largest_accepted_size_is_queued_or_refused_for_good(deployment: Deployment) -> None:
    event = json.loads(EVENT)
    compact = json.dumps(event, separators=(",", ":")).encode()
    # Control characters are removed before the nickname's length is checked, so they pad a valid event.
    event["employee"]["nickname"] += "\u0001" * ((MAX_BODY_BYTES - len(compact)) // len(b"\\u0001"))
    body = json.dumps(event, separators=(",", ":")).encode()
    answer = call("/events", signed(body))
    assert answer["statusCode"] in (202, 413)

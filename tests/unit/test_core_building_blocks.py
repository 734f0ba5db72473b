"""Pure logic of the shared core: rate limit, backoff, classification, outcome ids, logs, credentials."""

from __future__ import annotations

import io
import json
import random
from pathlib import Path
from types import SimpleNamespace

import pytest
from alibabacloud_tea_openapi.exceptions import ClientException, ServerException, ThrottlingException
from darabonba.exceptions import RetryError

from shared import credentials
from shared.dms_errors import classify_body, classify_exception
from shared.jsonlog import REDACTED, JsonLogger
from shared.outcome import Outcome, outcome_id, status_from_steps
from shared.ratelimit import RateLimiter, RateLimitTimeoutError
from shared.retry import RetryPolicy


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_rate_limiter_never_starts_more_than_qps_calls_in_a_second() -> None:
    fake = FakeTime()
    limiter = RateLimiter(20, clock=fake.clock, sleep=fake.sleep)
    starts = []
    for _ in range(200):
        limiter.acquire()
        starts.append(fake.now)
    assert max(sum(1 for t in starts if s <= t < s + 1.0) for s in starts) <= 20
    assert 9.5 <= starts[-1] - starts[0] <= 11.0


def test_rate_limiter_refuses_a_slot_past_the_deadline() -> None:
    fake = FakeTime()
    limiter = RateLimiter(1, clock=fake.clock, sleep=fake.sleep)
    limiter.acquire()
    with pytest.raises(RateLimitTimeoutError):
        limiter.acquire(deadline=fake.now + 0.5)


def test_backoff_is_full_jitter_under_an_exponential_cap() -> None:
    policy = RetryPolicy(max_attempts=6, base_delay=0.2, max_delay=1.0)
    rng = random.Random(3)
    for attempt, cap in [(1, 0.2), (2, 0.4), (3, 0.8), (4, 1.0), (5, 1.0)]:
        delays = [policy.delay(attempt, rng=rng) for _ in range(200)]
        assert all(0 <= d <= cap for d in delays)
        assert max(delays) > cap * 0.8


def test_retry_after_is_a_floor_on_the_wait() -> None:
    assert RetryPolicy().delay(1, retry_after=2.5, rng=random.Random(1)) >= 2.5


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        ({"RequestId": "R", "Success": True}, "ok"),
        ({"RequestId": "R", "Success": False, "ErrorCode": "UserExisted", "ErrorMessage": "x"}, "already"),
        ({"Success": False, "ErrorCode": "403", "ErrorMessage": "The specified user already exists."}, "already"),
        ({"Success": True, "ErrorCode": "403", "ErrorMessage": "The specified user already exists."}, "already"),
        ({"Success": False, "ErrorCode": "DMS-DA-40901", "ErrorMessage": "member"}, "already"),
        ({"Success": False, "ErrorCode": "TenantNotExist", "ErrorMessage": "no tenant"}, "permanent"),
        ({"Success": False, "ErrorCode": "DMS-DA-40411", "ErrorMessage": "no workspace"}, "permanent"),
        ({"Success": False, "ErrorCode": "Throttling.User", "ErrorMessage": "slow down"}, "transient"),
        ({"Success": False, "ErrorCode": "InternalError", "ErrorMessage": "oops"}, "transient"),
    ],
)
def test_business_answers_are_classified(body: dict[str, object], kind: str) -> None:
    assert classify_body(body, environ={}).kind == kind


def test_extra_already_codes_come_from_the_environment() -> None:
    body = {"Success": False, "ErrorCode": "UserDuplicated", "ErrorMessage": "dup"}
    assert classify_body(body, environ={}).kind == "permanent"
    assert classify_body(body, environ={"DMS_ALREADY_CODES": "UserDuplicated"}).kind == "already"


@pytest.mark.parametrize(
    ("error", "kind", "retry_after"),
    [
        (ThrottlingException(status_code=400, code="Throttling.User", message="m", retry_after=300), "transient", 0.3),
        (ClientException(status_code=400, code="Throttling.User", message="m"), "transient", None),
        (ServerException(status_code=503, code="ServiceUnavailable", message="m"), "transient", None),
        (ClientException(status_code=403, code="Forbidden.RAM", message="m", request_id="R"), "permanent", None),
        (ClientException(status_code=403, code="UserExisted", message="m"), "already", None),
        (ClientException(status_code=400, code="InvalidParameter", message="m"), "permanent", None),
        (RetryError("Read timed out"), "transient", None),
        (ConnectionError("refused"), "transient", None),
        (ValueError("a bug"), "permanent", None),
    ],
)
def test_sdk_exceptions_are_classified(error: Exception, kind: str, retry_after: float | None) -> None:
    verdict = classify_exception(error, environ={})
    assert (verdict.kind, verdict.retry_after) == (kind, retry_after)


def test_outcome_id_is_stable_per_input_and_differs_between_inputs() -> None:
    assert outcome_id("workday", "evt-1") == outcome_id("workday", "evt-1")
    assert outcome_id("workday", "evt-1") != outcome_id("workday", "evt-2")
    assert outcome_id("workday", "evt-1") != outcome_id("feishu", "evt-1")


def test_outcome_is_a_cloudevent_with_status_steps_and_attempts() -> None:
    steps = [
        {"step": "register_user", "result": "already", "attempts": 2},
        {"step": "add", "result": "done", "attempts": 1},
    ]
    outcome = Outcome(status_from_steps(steps), "evt-1", "workday", "corr-1", uid="2000000000001", steps=steps)
    event = outcome.to_cloudevent()
    assert event["specversion"] == "1.0"
    assert event["id"] == outcome_id("workday", "evt-1")
    assert event["correlationid"] == "corr-1"
    assert event["data"]["status"] == "provisioned"
    assert event["data"]["attempts"] == 3


def test_status_is_failed_if_any_step_failed_and_already_if_nothing_changed() -> None:
    assert status_from_steps([{"result": "done"}, {"result": "failed"}]) == "failed"
    assert status_from_steps([{"result": "already"}, {"result": "already"}]) == "already_provisioned"


def test_log_lines_are_json_with_correlation_id_and_no_secrets() -> None:
    stream = io.StringIO()
    log = JsonLogger("test", stream).bind(correlation_id="corr-9")
    log.info("built client", config={"access_key_secret": "s3cr3t", "security_token": "t0k3n", "region": "cn"})
    (line,) = stream.getvalue().splitlines()
    record = json.loads(line)
    assert record["correlation_id"] == "corr-9"
    assert record["config"] == {"access_key_secret": REDACTED, "security_token": REDACTED, "region": "cn"}
    assert "s3cr3t" not in line
    assert "t0k3n" not in line


def test_context_credentials_win_over_the_environment() -> None:
    context = SimpleNamespace(
        credentials=SimpleNamespace(access_key_id="ctx", access_key_secret="ctx-s", security_token="ctx-t")
    )
    env = {"ALIBABA_CLOUD_ACCESS_KEY_ID": "env", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "env-s"}
    assert credentials.resolve(context, env).access_key_id == "ctx"
    assert credentials.resolve(SimpleNamespace(), env).access_key_id == "env"
    assert "ctx-s" not in repr(credentials.resolve(context, env))
    with pytest.raises(credentials.CredentialsMissingError):
        credentials.resolve(None, {})


def test_a_message_dead_lettered_as_it_came_is_replayed_with_its_count() -> None:
    from shared.envelope import UNREASONED, read_dead_letter, wrap

    body = wrap({"event_id": "e1"}, "c1", replays=2)
    record = read_dead_letter(body)
    assert (record.message, record.replays, record.origin) == (body, 2, "worker")
    assert record.reason == {"condition": UNREASONED}


def test_outcome_id_is_the_uuid5_of_source_and_event_id() -> None:
    import uuid

    from shared.outcome import OUTCOME_NAMESPACE, outcome_id

    for source, event_id in [("dingtalk", "e1"), ("soak", "s:1:2"), ("飞书", "事件-9"), ("", "")]:
        expected = uuid.uuid5(uuid.UUID(OUTCOME_NAMESPACE), f"{source}\n{event_id}")
        assert outcome_id(source, event_id) == str(expected)


def test_plan_view_is_the_plans_json_dump() -> None:
    from shared.contract import parse_event
    from shared.mapping import load_mapping, resolve_plan
    from shared.pipeline import plan_view

    for name in ("hired-explicit-roles.json", "hired-mapping-only.json", "updated.json"):
        raw = (Path(__file__).resolve().parents[2] / "events" / "hr" / name).read_bytes()
        plan = resolve_plan(parse_event(raw), load_mapping())
        assert json.loads(json.dumps(plan_view(plan))) == plan.model_dump(mode="json")


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
    from shared.envelope import MAX_MESSAGE_BYTES, dead_letter_that_fits, read_dead_letter

    body, kept = dead_letter_that_fits(message, event, {"status": "rejected"}, 1, "c1", "worker")
    assert kept == how
    assert len(body.encode("utf-8")) <= MAX_MESSAGE_BYTES
    record = read_dead_letter(body)
    if how == "truncated":
        assert record.reason["truncated"] is True
        assert record.reason["original_bytes"] == len(message)
    elif how == "record":
        assert (record.message, record.replays) == (message, 1)

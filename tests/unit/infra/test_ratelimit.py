"""The client-side rate limit: never more than qps calls in any second, never a slot past the deadline."""

from __future__ import annotations

import heapq
from collections import deque

import pytest

from shared.infra.ratelimit import DECREASE, FLOOR, RateLimiter, RateLimitTimeoutError


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


def test_a_throttling_answer_slows_the_pace_once_per_overshoot() -> None:
    fake = FakeTime()
    limiter = RateLimiter(40, clock=fake.clock, sleep=fake.sleep)
    limiter.throttled()
    limiter.throttled()
    assert limiter.qps == pytest.approx(40 * DECREASE)
    fake.now += 1.1
    limiter.throttled()
    assert limiter.qps == pytest.approx(40 * DECREASE * DECREASE)


def test_retry_after_holds_every_call_back_until_it_has_passed() -> None:
    fake = FakeTime()
    limiter = RateLimiter(40, clock=fake.clock, sleep=fake.sleep)
    limiter.throttled(retry_after=0.8)
    assert limiter.acquire() == pytest.approx(0.8)


def test_successes_bring_the_pace_back_to_its_ceiling_and_no_further() -> None:
    fake = FakeTime()
    limiter = RateLimiter(10, clock=fake.clock, sleep=fake.sleep)
    limiter.throttled()
    for _ in range(2000):
        limiter.succeeded()
    assert limiter.qps == 10


def test_the_pace_never_falls_below_the_floor() -> None:
    fake = FakeTime()
    limiter = RateLimiter(10, clock=fake.clock, sleep=fake.sleep)
    for _ in range(100):
        fake.now += 2
        limiter.throttled()
    assert limiter.qps == pytest.approx(FLOOR)


@pytest.mark.parametrize(("quota", "ceiling"), [(15, 10), (25, 10), (40, 100), (100, 100)])
def test_four_instances_settle_just_under_a_shared_quota(quota: int, ceiling: int) -> None:
    """A simulated two minutes of four clients, each allowed `ceiling` calls/s, against an account quota counted in
    a sliding second, as the DMS emulator counts it: at least 80 % of the quota used, at most 2 % throttled."""
    seconds = 120.0
    fake = FakeTime()
    start = fake.now
    limiters = [RateLimiter(ceiling, clock=fake.clock, sleep=fake.sleep) for _ in range(4)]
    pending = [(limiter.reserve(), index) for index, limiter in enumerate(limiters)]
    heapq.heapify(pending)
    admitted: deque[float] = deque()
    outcomes: list[tuple[float, bool]] = []
    while pending[0][0] < start + seconds:
        at, index = heapq.heappop(pending)
        fake.now = at
        while admitted and admitted[0] <= at - 1.0:
            admitted.popleft()
        if len(admitted) < quota:
            admitted.append(at)
            limiters[index].succeeded()
            outcomes.append((at, True))
        else:
            limiters[index].throttled(retry_after=admitted[0] + 1.0 - at)
            outcomes.append((at, False))
        heapq.heappush(pending, (limiters[index].reserve(), index))
    settled = [ok for at, ok in outcomes if at >= start + 10]
    throughput = sum(settled) / (seconds - 10)
    assert throughput >= 0.8 * quota
    assert settled.count(False) / len(settled) <= 0.02

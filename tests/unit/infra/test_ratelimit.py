"""The client-side rate limit: never more than qps calls in any second, never a slot past the deadline."""

from __future__ import annotations

import pytest

from shared.infra.ratelimit import RateLimiter, RateLimitTimeoutError


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

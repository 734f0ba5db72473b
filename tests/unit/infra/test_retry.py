"""Backoff: full jitter under an exponential cap, with the server's retry-after as a floor."""

from __future__ import annotations

import random

from shared.infra.retry import RetryPolicy


def test_backoff_is_full_jitter_under_an_exponential_cap() -> None:
    policy = RetryPolicy(max_attempts=6, base_delay=0.2, max_delay=1.0)
    rng = random.Random(3)
    for attempt, cap in [(1, 0.2), (2, 0.4), (3, 0.8), (4, 1.0), (5, 1.0)]:
        delays = [policy.delay(attempt, rng=rng) for _ in range(200)]
        assert all(0 <= d <= cap for d in delays)
        assert max(delays) > cap * 0.8


def test_retry_after_is_a_floor_on_the_wait() -> None:
    assert RetryPolicy().delay(1, retry_after=2.5, rng=random.Random(1)) >= 2.5

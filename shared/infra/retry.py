"""Exponential backoff with full jitter, bounded by the time left in the invocation.

Full jitter (a uniform delay between zero and the exponential cap) spreads retries from many instances so a
throttled API is not hit again in lockstep. A server's `x-acs-retry-after` is a floor on the wait, never
ignored. Nothing here sleeps past the deadline: a retry that cannot finish in time is not started.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 4
    base_delay: float = 0.2
    max_delay: float = 5.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts: must be at least 1")
        if self.base_delay < 0 or self.max_delay < self.base_delay:
            raise ValueError("base_delay and max_delay: need 0 <= base_delay <= max_delay")

    def delay(self, attempt: int, retry_after: float | None = None, rng: random.Random | None = None) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        cap = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        jittered = (rng or random).uniform(0, cap)
        return max(jittered, retry_after or 0.0)


@dataclass(frozen=True)
class Deadline:
    """A point on the monotonic clock by which the invocation must be done with DMS."""

    at: float
    clock: Callable[[], float] = time.monotonic

    @classmethod
    def after(cls, seconds: float, clock: Callable[[], float] = time.monotonic) -> Deadline:
        return cls(clock() + seconds, clock)

    def remaining(self) -> float:
        return self.at - self.clock()

    def allows(self, seconds: float) -> bool:
        return self.remaining() > seconds

"""Client-side rate limit, so a large batch stays under the DMS API quota instead of earning throttling.

Calls are spaced evenly (1/qps apart) and, on top, never more than `qps` start in any one-second window: even
spacing alone lets qps+1 calls touch a closed one-second window, and a quota is counted per window. The
window is kept 50 ms longer than a second because threads wake late by a few milliseconds, and the server
counts arrivals, not our bookings.

The limit is per function instance, and FC runs as many instances as the load asks for, so `qps` is a ceiling,
not a promise: the pace adapts to what DMS says, as TCP's congestion control does. Each throttling answer cuts the
pace by a factor (`DECREASE`, once per second however many throttled answers that second brings, since they are
one overshoot) and waits out `x-acs-retry-after`; each second of successes adds back a fixed step.
Several instances each doing so settle just under the account's quota instead of storming it.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable


class RateLimitTimeoutError(Exception):
    """No slot before the deadline: the caller should give up rather than overrun its invocation."""


DECREASE = 0.7
"""The pace kept after a throttling answer: 0.5 (TCP's) would leave a quarter of the quota unused on average, and
0.8 overshoots twice as often (tests/unit/infra/test_ratelimit.py simulates four instances against a quota)."""
INCREASE = 0.01
"""What a second of successful calls adds back to the pace, as a fraction of the pace when the current episode of
cuts began: a step sized to the quota's neighbourhood, so that a small quota is not overshot by a fixed step. An
episode lasts until the pace is back where its last cut found it, so several cuts in a row (four instances
starting at once, say) are climbed back at the first one's step, not crawled back from the bottom."""
FLOOR = 0.2
"""The slowest pace, in calls per second: one every five seconds still finds out when the quota frees up."""


class RateLimiter:
    def __init__(
        self,
        qps: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        window: float = 1.05,
    ) -> None:
        if qps <= 0:
            raise ValueError("qps: must be positive")
        self.ceiling = qps
        self._window_seconds = window
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_free = 0.0
        self._recent: deque[float] = deque()
        self._calm_after = 0.0
        self._recovering_to: float | None = None
        self._step = INCREASE * qps
        self._pace(qps)

    def _pace(self, qps: float) -> None:
        """At the ceiling, the window holds at most int(qps) calls; below it, an adapted pace is DMS's own verdict
        and even spacing alone keeps it (flooring 6.4 calls/s to 6 would waste a tenth of a small quota)."""
        self.qps = qps
        self._interval = 1.0 / qps
        self._per_window = max(1, int(qps)) if qps >= self.ceiling else math.ceil(qps)

    def throttled(self, retry_after: float | None = None) -> None:
        """DMS refused a call for flow control: slow down, and send nothing before `retry_after` seconds."""
        with self._lock:
            now = self._clock()
            if retry_after:
                self._next_free = max(self._next_free, now + retry_after)
            if now < self._calm_after:
                return
            if self._recovering_to is None:
                self._step = INCREASE * self.qps
            self._recovering_to = self.qps
            self._pace(max(min(FLOOR, self.ceiling), self.qps * DECREASE))
            self._calm_after = now + max(self._window_seconds, retry_after or 0.0)

    def succeeded(self) -> None:
        """A call went through: a second's worth of them adds one step to the pace, up to the ceiling."""
        with self._lock:
            if self.qps < self.ceiling:
                self._pace(min(self.ceiling, self.qps + self._step / self.qps))
            if self._recovering_to is not None and self.qps >= self._recovering_to:
                self._recovering_to = None

    def reserve(self) -> float:
        """Book the earliest slot and return when it starts; booking under the lock, waiting outside it."""
        with self._lock:
            now = self._clock()
            start = max(now, self._next_free)
            if len(self._recent) >= self._per_window:
                start = max(start, self._recent[0] + self._window_seconds)
            self._next_free = start + self._interval
            self._recent.append(start)
            while len(self._recent) > self._per_window:
                self._recent.popleft()
            return start

    def acquire(self, deadline: float | None = None) -> float:
        """Wait for a slot; returns the seconds waited. Raises RateLimitTimeoutError if the slot is past `deadline`."""
        start = self.reserve()
        now = self._clock()
        if deadline is not None and start > deadline:
            raise RateLimitTimeoutError(f"next DMS call slot is {start - now:.2f}s away, past the invocation deadline")
        wait = start - now
        if wait > 0:
            self._sleep(wait)
        return max(0.0, wait)

"""Client-side rate limit, so a large batch stays under the DMS API quota instead of earning throttling.

Calls are spaced evenly (1/qps apart) and, on top, never more than `qps` start in any one-second window: even
spacing alone lets qps+1 calls touch a closed one-second window, and a quota is counted per window. The
window is kept 50 ms longer than a second because threads wake late by a few milliseconds, and the server
counts arrivals, not our bookings. The limit
is per function instance; N instances together may reach N x qps, so set DMS_QPS with the instance cap in mind.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class RateLimitTimeoutError(Exception):
    """No slot before the deadline: the caller should give up rather than overrun its invocation."""


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
        self.qps = qps
        self._interval = 1.0 / qps
        self._per_window = max(1, int(qps))
        self._window_seconds = window
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_free = 0.0
        self._recent: deque[float] = deque()

    def _reserve(self) -> float:
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
        start = self._reserve()
        now = self._clock()
        if deadline is not None and start > deadline:
            raise RateLimitTimeoutError(f"next DMS call slot is {start - now:.2f}s away, past the invocation deadline")
        wait = start - now
        if wait > 0:
            self._sleep(wait)
        return max(0.0, wait)

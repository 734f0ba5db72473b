"""Service time that tests can move forward, so retention and visibility need no real sleeping."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class Clock:
    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()
        self._listeners: list[Callable[[], None]] = []

    def now(self) -> float:
        """Seconds since the epoch, service time."""
        return time.time() + self._offset

    def now_ms(self) -> int:
        return int(self.now() * 1000)

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._offset += seconds
            listeners = list(self._listeners)
        for notify in listeners:
            notify()

    def reset(self) -> None:
        with self._lock:
            self._offset = 0.0

    @property
    def offset(self) -> float:
        return self._offset

    def on_advance(self, listener: Callable[[], None]) -> None:
        """Long polls wait on real time; they are woken when service time jumps."""
        with self._lock:
            self._listeners.append(listener)

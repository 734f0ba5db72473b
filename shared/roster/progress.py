"""A one-line progress bar on stderr while a roster converges, for a person watching a terminal.

Only a terminal gets it: in a pipe, a CI log or a file, carriage returns make a mess and nobody watches, so the
bar is silent there and the summary on stdout says it all. It is redrawn at most ten times a second (an initial
load of thousands of people would otherwise spend its time writing the terminal) and cleared at the end, so the
summary that follows starts on a clean line. Hand-written: a dependency for one line of text is not worth it.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import TextIO

_INTERVAL = 0.1


class Progress:
    def __init__(
        self,
        total: int,
        stream: TextIO,
        *,
        enabled: bool | None = None,
        width: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        label: str = "roster",
    ) -> None:
        self.total = total
        self.stream = stream
        self.enabled = _is_terminal(stream) if enabled is None else enabled
        self.width = width
        self.clock = clock
        self.label = label
        self.done = 0
        self.counts: Counter[str] = Counter()
        self._drawn = 0
        self._last = float("-inf")
        self._lock = threading.Lock()

    def add(self, more: int) -> None:
        """Leavers are known only once the roster's rows are done: the total grows then."""
        with self._lock:
            self.total += more

    def advance(self, status: str) -> None:
        with self._lock:
            self.done += 1
            self.counts[status] += 1
            if self.enabled and (self.done >= self.total or self.clock() - self._last >= _INTERVAL):
                self._draw()

    def close(self) -> None:
        with self._lock:
            if self.enabled and self._drawn:
                self.stream.write("\r" + " " * self._drawn + "\r")
                self.stream.flush()
                self._drawn = 0

    def line(self) -> str:
        """The bar as text, fitted to the terminal's width."""
        columns = self.width or shutil.get_terminal_size((80, 24)).columns
        total = max(self.total, 1)
        share = min(self.done / total, 1.0)
        counts = "  ".join(f"{status} {count}" for status, count in sorted(self.counts.items()))
        head = f"{self.label} {self.done}/{self.total} "
        tail = f" {share:4.0%}  {counts}".rstrip()
        room = columns - 1 - len(head) - len(tail) - 2
        if room < 10:
            return (head + tail.strip())[: columns - 1]
        filled = int(room * share)
        return f"{head}[{'#' * filled}{'.' * (room - filled)}]{tail}"

    def _draw(self) -> None:
        text = self.line()
        padding = " " * max(0, self._drawn - len(text))
        self.stream.write("\r" + text + padding)
        self.stream.flush()
        self._drawn = len(text)
        self._last = self.clock()


def _is_terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty()) if callable(isatty) else False
    except ValueError:  # a closed stream
        return False

"""What the Feishu side of the local cloud remembers: the events it pushed, so a push naming an event id again
repeats exactly that event (Feishu re-pushes the same `header.event_id`; receivers dedupe on it)."""

from __future__ import annotations

import copy
import threading
from typing import Any


class FeishuBackend:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: dict[str, dict[str, Any]] = {}

    def remember_event(self, event_id: str, document: dict[str, Any]) -> dict[str, Any]:
        """The event pushed before under this id, else this one (now remembered)."""
        with self._lock:
            return copy.deepcopy(self._events.setdefault(event_id, copy.deepcopy(document)))

    def reset(self) -> None:
        with self._lock:
            self._events.clear()

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"events_pushed": len(self._events)}

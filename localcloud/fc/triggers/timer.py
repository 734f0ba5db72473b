"""The timer trigger: the FC timer event (`events/fc/timer.json`), and a thread that fires it on the cron schedule."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypedDict

from localcloud.fc.api import InvocationError
from localcloud.fc.cron import Schedule


class TimerEvent(TypedDict):
    triggerTime: str
    triggerName: str
    payload: str


def timer_event(name: str, payload: str) -> TimerEvent:
    """The event FC gives a function when its timer trigger `name` fires now; `payload` as s.yaml states it."""
    return {
        "triggerTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "triggerName": name,
        "payload": payload,
    }


@dataclass
class TimerTrigger:
    """Fires `fire` at every time of `schedule` (UTC) until `stopping` is set; a failed invocation is logged."""

    resource: str
    schedule: Schedule
    fire: Callable[[], object]
    stopping: threading.Event
    log: Callable[[str], None]

    def run(self) -> None:
        while not self.stopping.is_set():
            due = self.schedule.next_after(time.time())
            if self.stopping.wait(max(0.0, due - time.time())):
                return
            try:
                self.fire()
            except InvocationError as error:
                self.log(f"[{self.resource}] timer invocation failed: {error}")

"""DMS's account-wide flow control: at most so many calls per second to each API, however many clients send them.

A per-instance rate limit cannot see the other instances; only a quota kept where every call arrives shows what
several FC instances together do to DMS. The real per-API limits are not published (wire-protocol notes,
"not confirmed"), so the quota is off unless set: `localcloud serve --dms-quota QPS`, `LOCALCLOUD_DMS_QUOTA`, or
`PUT /dms/quota` on the control plane. A call beyond it is answered as the gateway answers flow control:
`Throttling.User`, HTTP 400, and `x-acs-retry-after` with the milliseconds until the window has room (the header
is an assumption: the unit is not confirmed; `retry_after: false` leaves it out).

Calls are counted in a sliding one-second window per action, the strictest reading of "per second".
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field


@dataclass
class QuotaSettings:
    qps: float | None = None
    """Calls per second each API admits; None: no quota."""
    actions: dict[str, float] = field(default_factory=dict)
    """Per-action limits that replace `qps` for that action."""
    retry_after: bool = True

    def limit(self, action: str) -> float | None:
        return self.actions.get(action, self.qps)

    def public(self) -> dict[str, object]:
        return {"qps": self.qps, "actions": dict(self.actions), "retry_after": self.retry_after}


class ApiQuota:
    def __init__(self, qps: float | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self._default = qps
        self._clock = clock
        self._lock = threading.Lock()
        self.settings = QuotaSettings(qps)
        self._arrivals: dict[str, deque[float]] = {}
        self._admitted: dict[str, int] = {}
        self._throttled: dict[str, int] = {}

    def reset(self) -> None:
        """Back to the quota the local cloud was started with, counters cleared."""
        self.configure(QuotaSettings(self._default))

    def configure(self, settings: QuotaSettings) -> None:
        for name, value in {"qps": settings.qps, **settings.actions}.items():
            if value is not None and not (isinstance(value, (int, float)) and value > 0 and math.isfinite(value)):
                raise ValueError(f"{name}: must be a positive number of calls per second")
        with self._lock:
            self.settings = settings
            self._arrivals.clear()
            self._admitted.clear()
            self._throttled.clear()

    def admit(self, action: str) -> int | None:
        """None when the call is within the quota; otherwise the milliseconds until it would be (at least 1)."""
        with self._lock:
            limit = self.settings.limit(action)
            if limit is None:
                return None
            now = self._clock()
            window = self._arrivals.setdefault(action, deque())
            while window and window[0] <= now - 1.0:
                window.popleft()
            if len(window) < max(1, math.floor(limit)):
                window.append(now)
                self._admitted[action] = self._admitted.get(action, 0) + 1
                return None
            self._throttled[action] = self._throttled.get(action, 0) + 1
            return max(1, math.ceil((window[0] + 1.0 - now) * 1000))

    def snapshot(self) -> dict[str, object]:
        with self._lock:
            return {
                **self.settings.public(),
                "admitted": dict(self._admitted),
                "throttled": dict(self._throttled),
            }


def settings_from(document: Mapping[str, object]) -> QuotaSettings:
    """A control-plane body: {"qps": 20, "actions": {"RegisterUser": 5}, "retry_after": true}; qps null: no quota."""
    qps = document.get("qps")
    actions = document.get("actions") or {}
    retry_after = document.get("retry_after", True)
    if qps is not None and (isinstance(qps, bool) or not isinstance(qps, (int, float))):
        raise ValueError("qps: must be a number or null")
    if not isinstance(actions, Mapping) or not all(
        isinstance(k, str) and isinstance(v, (int, float)) and not isinstance(v, bool) for k, v in actions.items()
    ):
        raise ValueError("actions: must map action names to numbers")
    if not isinstance(retry_after, bool):
        raise ValueError("retry_after: must be true or false")
    return QuotaSettings(
        float(qps) if qps is not None else None, {k: float(v) for k, v in actions.items()}, retry_after
    )

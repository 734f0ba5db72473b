"""Timer-trigger schedules: FC's six-field cron (seconds first) and `@every 30s|5m|1h`, evaluated in UTC.

Only what schedules need is supported: `*`, `*/n`, `a-b`, `a-b/n`, numbers and comma lists. FC's own time zone
for cron is not confirmed (historically UTC); this runtime uses UTC.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

_RANGES = ((0, 59), (0, 59), (0, 23), (1, 31), (1, 12), (0, 6))
_EVERY = re.compile(r"^@every\s+(\d+)([smh])$")


def _field(text: str, low: int, high: int) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        base, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if base in ("*", "?"):
            start, end = low, high
        elif "-" in base:
            start, end = (int(x) for x in base.split("-", 1))
        else:
            start = int(base)
            end = high if step_text else start
        if not (low <= start <= end <= high) or step < 1:
            raise ValueError(f"cron field {text!r} is outside {low}-{high}")
        values.update(range(start, end + 1, step))
    return frozenset(values)


@dataclass(frozen=True)
class Schedule:
    every: int = 0
    fields: tuple[frozenset[int], ...] = ()

    @classmethod
    def parse(cls, expression: str) -> Schedule:
        match = _EVERY.match(expression.strip())
        if match:
            return cls(every=int(match.group(1)) * {"s": 1, "m": 60, "h": 3600}[match.group(2)])
        parts = expression.split()
        if len(parts) != 6:
            raise ValueError(f"cron expression {expression!r} needs six fields (seconds first) or @every")
        return cls(fields=tuple(_field(p, lo, hi) for p, (lo, hi) in zip(parts, _RANGES, strict=True)))

    def next_after(self, now: float) -> float:
        if self.every:
            return now + self.every
        candidate = int(now) + 1
        for second in range(candidate, candidate + 8 * 24 * 3600):
            t = time.gmtime(second)
            values = (t.tm_sec, t.tm_min, t.tm_hour, t.tm_mday, t.tm_mon, (t.tm_wday + 1) % 7)
            if all(v in f for v, f in zip(values, self.fields, strict=True)):
                return float(second)
        raise ValueError("the schedule does not fire within a week; the local runtime looks no further")

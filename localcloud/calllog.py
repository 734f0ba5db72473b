"""A bounded record of every API call the emulators received, for tests and for people debugging."""

from __future__ import annotations

import itertools
import threading
from collections import deque
from dataclasses import asdict, dataclass, field


@dataclass
class CallRecord:
    seq: int
    time: float
    service: str
    action: str
    status: int
    code: str = ""
    request_id: str = ""
    access_key_id: str = ""
    fault: str = ""
    params: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)


class CallLog:
    def __init__(self, limit: int = 10_000) -> None:
        self._lock = threading.Lock()
        self._records: deque[CallRecord] = deque(maxlen=limit)
        self._seq = itertools.count(1)

    def append(self, record: CallRecord) -> CallRecord:
        with self._lock:
            record.seq = next(self._seq)
            self._records.append(record)
        return record

    def clear(self) -> None:
        with self._lock:
            self._records.clear()

    def query(self, service: str | None = None, action: str | None = None, since: int = 0) -> list[dict[str, object]]:
        with self._lock:
            records = list(self._records)
        return [
            asdict(r)
            for r in records
            if r.seq > since and (service is None or r.service == service) and (action is None or r.action == action)
        ]

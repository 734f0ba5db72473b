"""Watching a run from outside: the outcomes the result topic delivers and every API call the local cloud saw.

Both are read continuously while the run goes on: outcomes because the subscription queue is the only copy,
calls because the call log keeps only its latest records. A gap in the call log's sequence numbers means
records were lost before they were read, and the run cannot then prove its DMS invariants; that is reported.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from typing import Any

from localcloud.control.client import ControlClient


class Observer:
    def __init__(self, control: ControlClient, account: Any, outcome_queue: str) -> None:
        self.control = control
        self.queue = account.get_queue(outcome_queue)
        self.queue.set_encoding(False)
        self.outcomes: list[dict[str, Any]] = []
        self.calls: list[dict[str, Any]] = []
        self.lost_calls = 0
        self._last_seq = max((c["seq"] for c in control.calls()), default=0)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._drain_outcomes, name="soak-outcomes", daemon=True),
            threading.Thread(target=self._read_calls, name="soak-calls", daemon=True),
        ]

    def start(self) -> Observer:
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=10)
        self._poll_calls()

    def outcome_count(self) -> int:
        with self._lock:
            return len(self.outcomes)

    def _drain_outcomes(self) -> None:
        from mns.mns_exception import MNSExceptionBase

        while not self._stop.is_set():
            try:
                messages = self.queue.batch_receive_message(16, 1)
            except (MNSExceptionBase, OSError):
                continue
            parsed = [json.loads(m.message_body) for m in messages]
            with self._lock:
                self.outcomes.extend(parsed)
            try:
                self.queue.batch_delete_message([m.receipt_handle for m in messages])
            except MNSExceptionBase:
                continue

    def _read_calls(self) -> None:
        from localcloud.control.client import ControlPlaneError

        while not self._stop.wait(0.25):
            try:
                self._poll_calls()
            except (ControlPlaneError, OSError):
                continue

    def _poll_calls(self) -> None:
        with self._lock:
            fresh = self.control.calls(since=self._last_seq)
            if fresh and fresh[0]["seq"] > self._last_seq + 1:
                self.lost_calls += fresh[0]["seq"] - self._last_seq - 1
            if fresh:
                self._last_seq = fresh[-1]["seq"]
            self.calls.extend(fresh)

    def faults_by_kind(self) -> Counter[str]:
        """Injected faults as the call log recorded them: `dms:hang`, `mns:drop_after`, ..."""
        found: Counter[str] = Counter()
        for call in self.calls:
            for fault in filter(None, str(call.get("fault") or "").split(",")):
                kind = fault.split(":", 1)[0]
                found[f"{'dms' if call['service'].startswith('dms') else call['service']}:{kind}"] += 1
        return found

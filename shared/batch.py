"""The queue worker's core: every message of a batch ends with its outcome published, or the batch fails.

FC reports no per-message failures back to the EventBridge trigger, so the worker owns them. A rejected or
failed message gets its outcome and a dead-letter record with the reason; the invocation fails only when an
outcome or a dead-letter record could not be written, and then a redelivery is harmless because provisioning
is idempotent. Messages run concurrently (WORKER_CONCURRENCY, default 8) under the shared DMS rate limit.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from shared.envelope import QueueMessage, dead_letter_that_fits, unwrap
from shared.mns import MnsUnavailableError
from shared.outcome import Outcome
from shared.retry import Deadline
from shared.runtime import Instance


class BatchIncompleteError(Exception):
    """Some message's outcome or dead-letter record could not be written: fail so the trigger redelivers."""


@dataclass(frozen=True)
class MessageResult:
    message_id: str
    status: str
    dead_lettered: bool
    saved: bool
    error: str = ""


def concurrency(environ: dict[str, str] | None = None) -> int:
    raw = (os.environ if environ is None else environ).get("WORKER_CONCURRENCY", "8")
    try:
        return max(1, min(64, int(raw)))
    except ValueError:
        raise ValueError(f"WORKER_CONCURRENCY: {raw!r} is not an integer") from None


def _reason(outcome: Outcome) -> dict[str, Any]:
    if outcome.status == "rejected":
        return {"status": "rejected", "problems": list(outcome.problems)}
    failed = [s for s in outcome.steps if s.get("result") == "failed"]
    step = failed[0] if failed else {}
    return {
        "status": outcome.status,
        "step": step.get("step"),
        "code": step.get("code"),
        "retryable": step.get("retryable"),
        "request_id": step.get("request_id"),
    }


def _one(message: QueueMessage, instance: Instance, deadline: Deadline) -> MessageResult:
    unwrapped = unwrap(message.body)
    settings = instance.settings
    try:
        outcome = instance.provisioner.provision(
            unwrapped.event, deadline, dry_run=settings.dry_run, correlation_id=unwrapped.correlation_id
        )
    except MnsUnavailableError as error:
        return MessageResult(message.message_id, "unpublished", False, False, str(error))
    if outcome.status not in ("rejected", "failed"):
        return MessageResult(message.message_id, outcome.status, False, True)
    reason = _reason(outcome)
    record, how = dead_letter_that_fits(
        message.body, unwrapped.event, reason, unwrapped.replays, outcome.correlation_id, instance.function_name
    )
    if how != "record":
        instance.log.warning(
            "dead-letter record over the MNS size limit",
            correlation_id=outcome.correlation_id,
            event_id=outcome.event_id,
            reason=reason,
            kept=how,
        )
    try:
        instance.mns.send(settings.dead_letter_queue, record)
    except MnsUnavailableError as error:
        return MessageResult(message.message_id, outcome.status, False, False, str(error))
    return MessageResult(message.message_id, outcome.status, True, True)


_pools: dict[int, ThreadPoolExecutor] = {}
_pools_lock = threading.Lock()


def _pool(workers: int) -> ThreadPoolExecutor:
    """One pool per instance, kept across invocations: its threads keep their MNS connections alive."""
    with _pools_lock:
        pool = _pools.get(workers)
        if pool is None:
            pool = _pools[workers] = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="worker")
        return pool


def process_batch(messages: Sequence[QueueMessage], instance: Instance, deadline: Deadline) -> dict[str, Any]:
    workers = concurrency()
    if workers == 1 or len(messages) == 1:
        results = [_one(message, instance, deadline) for message in messages]
    else:
        results = list(_pool(workers).map(lambda m: _one(m, instance, deadline), messages))
    report = {
        "messages": len(results),
        "statuses": dict(Counter(r.status for r in results)),
        "dead_lettered": sum(r.dead_lettered for r in results),
    }
    unsaved = [r for r in results if not r.saved]
    if unsaved:
        instance.log.error(
            "batch incomplete", unsaved=[r.message_id for r in unsaved], errors=[r.error for r in unsaved]
        )
        raise BatchIncompleteError(f"{len(unsaved)} of {len(results)} messages could not be recorded; redeliver")
    instance.log.info("batch done", **report)
    return report

"""The queue worker's core: every message of a batch ends with its outcome published, or the batch fails.

FC reports no per-message failures back to the EventBridge trigger, so the worker owns them. A rejected or
failed message gets its outcome and a dead-letter record with the reason; the invocation fails only when an
outcome or a dead-letter record could not be written, and then a redelivery is harmless because provisioning
is idempotent. Messages run concurrently (WORKER_CONCURRENCY, default 8) under the shared DMS rate limit.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from shared.infra.retry import Deadline
from shared.lifecycle.outcome import Outcome
from shared.messaging.client import MnsUnavailableError
from shared.messaging.formats import dead_letter_that_fits, unwrap
from shared.triggers.eventbridge_mns import QueueMessage
from shared.wiring import Wiring


class BatchIncompleteError(Exception):
    """Some message's outcome or dead-letter record could not be written: fail so the trigger redelivers."""


@dataclass(frozen=True, kw_only=True)
class MessageResult:
    message_id: str
    status: str
    dead_lettered: bool
    saved: bool
    error: str = ""


def _reason(outcome: Outcome) -> dict[str, Any]:
    """Why a message is dead-lettered, as its record keeps it."""
    if outcome.status == "rejected":
        return {"status": "rejected", "problems": [problem.to_dict() for problem in outcome.problems]}
    step = next((s for s in outcome.steps if s.result == "failed"), None)
    return {
        "status": outcome.status,
        "step": step.step if step else None,
        "code": (step.code or None) if step else None,
        "retryable": step.retryable if step else None,
        "request_id": (step.request_id or None) if step else None,
    }


def _process_message(message: QueueMessage, wiring: Wiring, deadline: Deadline) -> MessageResult:
    unwrapped = unwrap(message.body)
    settings = wiring.settings
    try:
        outcome = wiring.provisioner.provision(
            unwrapped.event, deadline, dry_run=settings.dry_run, correlation_id=unwrapped.correlation_id
        )
    except MnsUnavailableError as error:
        return MessageResult(
            message_id=message.message_id, status="unpublished", dead_lettered=False, saved=False, error=str(error)
        )
    if outcome.status not in ("rejected", "failed"):
        return MessageResult(message_id=message.message_id, status=outcome.status, dead_lettered=False, saved=True)
    reason = _reason(outcome)
    record, how = dead_letter_that_fits(
        message.body, unwrapped.event, reason, unwrapped.replays, outcome.correlation_id, wiring.function_name
    )
    if how != "record":
        wiring.log.warning(
            "dead-letter record over the MNS size limit",
            correlation_id=outcome.correlation_id,
            event_id=outcome.event_id,
            reason=reason,
            kept=how,
        )
    try:
        wiring.mns.send(settings.dead_letter_queue, record)
    except MnsUnavailableError as error:
        return MessageResult(
            message_id=message.message_id, status=outcome.status, dead_lettered=False, saved=False, error=str(error)
        )
    return MessageResult(message_id=message.message_id, status=outcome.status, dead_lettered=True, saved=True)


_pools: dict[int, ThreadPoolExecutor] = {}
_pools_lock = threading.Lock()


def _pool(workers: int) -> ThreadPoolExecutor:
    """One pool per instance, kept across invocations: its threads keep their MNS connections alive."""
    with _pools_lock:
        pool = _pools.get(workers)
        if pool is None:
            pool = _pools[workers] = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="worker")
        return pool


def process_batch(messages: Sequence[QueueMessage], wiring: Wiring, deadline: Deadline) -> dict[str, Any]:
    workers = wiring.settings.worker_concurrency
    if workers == 1 or len(messages) == 1:
        results = [_process_message(message, wiring, deadline) for message in messages]
    else:
        results = list(_pool(workers).map(lambda m: _process_message(m, wiring, deadline), messages))
    report = {
        "messages": len(results),
        "statuses": dict(Counter(r.status for r in results)),
        "dead_lettered": sum(r.dead_lettered for r in results),
    }
    unsaved = [r for r in results if not r.saved]
    if unsaved:
        wiring.log.error("batch incomplete", unsaved=[r.message_id for r in unsaved], errors=[r.error for r in unsaved])
        raise BatchIncompleteError(f"{len(unsaved)} of {len(results)} messages could not be recorded; redeliver")
    wiring.log.info("batch done", **report)
    return report

"""The queue worker's core: every message of a batch ends with its outcome published, deferred, or the batch fails.

FC reports no per-message failures back to the EventBridge trigger, so the worker owns them. A rejected or
failed message gets its outcome and a dead-letter record with the reason; the invocation fails only when an
outcome or a dead-letter record could not be written, and then a redelivery is harmless because convergence
is idempotent.

Messages about one person run one after another, newest first, so the older ones of a batch are superseded
without a DMS call instead of contending for the person's lease; different people run concurrently
(WORKER_CONCURRENCY, default 8) under the shared DMS rate limit. A message whose person is being converged by
another instance is put back on the input queue with a delay (`deferred`): it is retried later, not failed.
"""

from __future__ import annotations

import threading
from collections import Counter, defaultdict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from shared.contract.problems import Problem
from shared.hr.notice import NoticeError, identity_fields, notice_from
from shared.infra.retry import Deadline
from shared.lifecycle.convergence import PersonBusyError
from shared.lifecycle.outcome import Outcome, identify
from shared.messaging.client import MnsUnavailableError
from shared.messaging.formats import Unwrapped, dead_letter_that_fits, unwrap, wrap, wrap_notice
from shared.triggers.eventbridge_mns import QueueMessage
from shared.wiring import Wiring

MAX_DEFER_SECONDS = 60
"""The longest an event waits on the queue for a busy person (MNS allows delays up to 604800 s)."""


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
        "operation": (step.operation or None) if step else None,
        "code": (step.code or None) if step else None,
        "retryable": step.retryable if step else None,
        "request_id": (step.request_id or None) if step else None,
    }


@dataclass(frozen=True)
class _Item:
    message: QueueMessage
    unwrapped: Unwrapped

    @property
    def person(self) -> str | None:
        event = self.unwrapped.event
        employee = event.get("employee") if isinstance(event, dict) else None
        uid = employee.get("uid") if isinstance(employee, dict) else None
        return uid if isinstance(uid, str) else None

    def order(self) -> tuple[datetime, str]:
        """(occurred_at, event_id) read loosely: the contract judges the event, this only orders a batch."""
        event = self.unwrapped.event
        when = event.get("occurred_at") if isinstance(event, dict) else None
        event_id = event.get("event_id") if isinstance(event, dict) else None
        try:
            moment = datetime.fromisoformat(str(when).replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            moment = datetime.min.replace(tzinfo=timezone.utc)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        return moment, str(event_id or "")


def _process_message(item: _Item, wiring: Wiring, deadline: Deadline) -> MessageResult:
    message, unwrapped = item.message, item.unwrapped
    settings = wiring.settings
    try:
        outcome = wiring.provisioner.provision(
            unwrapped.event,
            deadline,
            dry_run=settings.dry_run,
            correlation_id=unwrapped.correlation_id,
            released=unwrapped.released,
        )
    except PersonBusyError as busy:
        return _defer(item, wiring, busy)
    except MnsUnavailableError as error:
        return MessageResult(
            message_id=message.message_id, status="unpublished", dead_lettered=False, saved=False, error=str(error)
        )
    if outcome.status not in ("rejected", "failed"):
        return MessageResult(message_id=message.message_id, status=outcome.status, dead_lettered=False, saved=True)
    return _dead_letter(message.message_id, message.body, unwrapped, outcome, _reason(outcome), wiring)


def _dead_letter(
    message_id: str, body: str, unwrapped: Unwrapped, outcome: Outcome, reason: dict[str, Any], wiring: Wiring
) -> MessageResult:
    """The message kept on the dead-letter queue with its reason, for replay (or a person) to take up."""
    record, how = dead_letter_that_fits(
        body, unwrapped.event, reason, unwrapped.replays, outcome.correlation_id, wiring.function_name
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
        wiring.mns.send(wiring.settings.dead_letter_queue, record)
    except MnsUnavailableError as error:
        return MessageResult(
            message_id=message_id, status=outcome.status, dead_lettered=False, saved=False, error=str(error)
        )
    return MessageResult(message_id=message_id, status=outcome.status, dead_lettered=True, saved=True)


def expand_notice(
    message: QueueMessage, unwrapped: Unwrapped, wiring: Wiring, deadline: Deadline
) -> tuple[list[_Item], list[MessageResult]]:
    """An HR platform's notice as one event per person; a person who cannot become one is answered here: their
    outcome published, and the notice, narrowed to them, dead-lettered with the reason (so replay retries them)."""
    data = unwrapped.notice or {}
    correlation = unwrapped.correlation_id or message.message_id or None
    try:
        notice = notice_from(data)
    except NoticeError as error:
        outcome = identify(identity_fields(data), correlation).outcome(
            "rejected", problems=[Problem("notice", str(error))]
        )
        reason: dict[str, Any] = {"status": "rejected", "problems": [{"field": "notice", "reason": str(error)}]}
        return [], [_published_and_kept(message.message_id, message.body, unwrapped, outcome, reason, wiring)]
    items: list[_Item] = []
    results: list[MessageResult] = []
    for expanded in wiring.expander.expand(notice, deadline):
        message_id = f"{message.message_id}/{expanded.hr_id}"
        fields = {"correlation_id": correlation, "event_id": expanded.event_id, "platform": notice.source}
        if expanded.event is not None:
            for note in expanded.notes:
                wiring.log.warning("hr person noted", **fields, note=note)
            body = wrap(expanded.event, correlation, unwrapped.replays)
            items.append(
                _Item(QueueMessage(body, message_id), Unwrapped(expanded.event, correlation, unwrapped.replays))
            )
            continue
        refusal = expanded.refusal
        assert refusal is not None
        outcome = Outcome(
            status=refusal.status,
            event_id=expanded.event_id,
            event_source=notice.source,
            correlation_id=correlation or expanded.event_id,
            event_type=notice.type,
            problems=[Problem(refusal.field, refusal.reason)] if refusal.status == "rejected" else [],
            detail=refusal.reason if refusal.status == "failed" else "",
            extra={"hr_id": expanded.hr_id, "platform_type": notice.platform_type},
        )
        reason = {
            "status": refusal.status,
            "field": refusal.field,
            "reason": refusal.reason,
            "retryable": refusal.retryable,
        }
        narrowed = wrap_notice(notice.only(expanded.hr_id).to_json_data(), correlation, unwrapped.replays)
        results.append(_published_and_kept(message_id, narrowed, unwrapped, outcome, reason, wiring))
    return items, results


def _published_and_kept(
    message_id: str, body: str, unwrapped: Unwrapped, outcome: Outcome, reason: dict[str, Any], wiring: Wiring
) -> MessageResult:
    try:
        wiring.provisioner.publish(outcome)
    except MnsUnavailableError as error:
        return MessageResult(
            message_id=message_id, status="unpublished", dead_lettered=False, saved=False, error=str(error)
        )
    return _dead_letter(message_id, body, unwrapped, outcome, reason, wiring)


def _defer(item: _Item, wiring: Wiring, busy: PersonBusyError) -> MessageResult:
    """Back on the input queue, delayed until the other convergence should be done; nothing was done to DMS."""
    unwrapped = item.unwrapped
    delay = max(1, min(MAX_DEFER_SECONDS, round(busy.retry_after)))
    body = wrap(unwrapped.event, unwrapped.correlation_id, unwrapped.replays, released=unwrapped.released)
    try:
        wiring.mns.send(wiring.settings.input_queue, body, delay_seconds=delay)
    except MnsUnavailableError as error:
        return MessageResult(
            message_id=item.message.message_id, status="deferred", dead_lettered=False, saved=False, error=str(error)
        )
    wiring.log.info(
        "deferred", correlation_id=unwrapped.correlation_id, uid=busy.uid, delay_seconds=delay, reason=str(busy)
    )
    return MessageResult(message_id=item.message.message_id, status="deferred", dead_lettered=False, saved=True)


def _process_person(items: Sequence[_Item], wiring: Wiring, deadline: Deadline) -> list[MessageResult]:
    return [_process_message(item, wiring, deadline) for item in items]


def by_person(messages: Sequence[QueueMessage | _Item]) -> list[list[_Item]]:
    """The batch as one list per person, newest event first; messages naming no person stand alone."""
    groups: dict[str, list[_Item]] = defaultdict(list)
    alone: list[list[_Item]] = []
    for message in messages:
        item = message if isinstance(message, _Item) else _Item(message, unwrap(message.body))
        person = item.person
        if person is None:
            alone.append([item])
        else:
            groups[person].append(item)
    ordered = [sorted(items, key=_Item.order, reverse=True) for items in groups.values()]
    return ordered + alone


_pools: dict[int, ThreadPoolExecutor] = {}
_pools_lock = threading.Lock()


def _pool(workers: int) -> ThreadPoolExecutor:
    """One pool per instance, kept across invocations: its threads keep their MNS connections alive."""
    with _pools_lock:
        pool = _pools.get(workers)
        if pool is None:
            pool = _pools[workers] = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="worker")
        return pool


def _expanded(
    messages: Sequence[QueueMessage], wiring: Wiring, deadline: Deadline, workers: int
) -> tuple[list[_Item], list[MessageResult]]:
    """Every message as the events it holds: itself, or one event per person of an HR platform's notice (whose
    people it could not make events of are answered here, each with its outcome and dead-letter record)."""
    items: list[_Item] = []
    notices: list[tuple[QueueMessage, Unwrapped]] = []
    for message in messages:
        unwrapped = unwrap(message.body)
        if unwrapped.notice is None:
            items.append(_Item(message, unwrapped))
        else:
            notices.append((message, unwrapped))
    if not notices:
        return items, []

    def expand(pair: tuple[QueueMessage, Unwrapped]) -> tuple[list[_Item], list[MessageResult]]:
        return expand_notice(pair[0], pair[1], wiring, deadline)

    answered: list[MessageResult] = []
    done = map(expand, notices) if workers == 1 or len(notices) == 1 else _pool(workers).map(expand, notices)
    for events, results in done:
        items.extend(events)
        answered.extend(results)
    return items, answered


def process_batch(messages: Sequence[QueueMessage], wiring: Wiring, deadline: Deadline) -> dict[str, Any]:
    workers = wiring.settings.worker_concurrency
    items, results = _expanded(messages, wiring, deadline, workers)
    people = by_person(items)
    if workers == 1 or len(people) <= 1:
        results += [result for group in people for result in _process_person(group, wiring, deadline)]
    else:
        grouped = _pool(workers).map(lambda group: _process_person(group, wiring, deadline), people)
        results += [result for group in grouped for result in group]
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

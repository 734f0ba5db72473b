"""Dead-letter replay: move each record back to the input queue, or to the parking queue after N replays.

A record leaves the dead-letter queue only after its next home holds it (send first, delete second), so a crash
in between yields a duplicate, never a loss; duplicates are harmless because provisioning is idempotent.
A record replayed MAX_REPLAYS times (default 3) is parked with its reason and a `quarantined` outcome, so a
poison message stops circling and a person can look at it.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections import Counter
from collections.abc import Mapping
from typing import Any

from shared.hr.notice import identity_fields as notice_identity
from shared.infra.retry import Deadline
from shared.lifecycle.outcome import Outcome, identify
from shared.messaging.client import MnsUnavailableError
from shared.messaging.formats import DeadLetter, fits, parked, read_own_dead_letter, rewrap, unwrap
from shared.triggers.eventbridge_mns import decode_body, json_or_none
from shared.triggers.fc_records import from_eventbridge_dead_letter, from_fc_async_failure
from shared.wiring import Wiring


def read_dead_letter(body: str) -> DeadLetter:
    """A dead-letter queue message, whoever wrote it: our worker, FC's async failure destination, EventBridge."""
    data = json_or_none(decode_body(body))
    own = read_own_dead_letter(data, body)
    if own is not None:
        return own
    if isinstance(data, Mapping):
        for read in (from_fc_async_failure, from_eventbridge_dead_letter):
            found = read(data)
            if found is not None:
                return DeadLetter(found.message, unwrap(found.message).replays, found.reason, found.origin)
    return DeadLetter(body, unwrap(body).replays, {"condition": "unrecognised dead-letter record"}, "unknown")


def _quarantined(message: str, replays: int, reason: Mapping[str, Any]) -> Outcome:
    unwrapped = unwrap(message)
    if unwrapped.notice is not None:
        raw: dict[str, Any] | str = notice_identity(unwrapped.notice)
    else:
        raw = unwrapped.event if isinstance(unwrapped.event, (dict, str)) else json.dumps(unwrapped.event)
    return identify(raw, unwrapped.correlation_id).outcome(
        "quarantined", detail=f"parked after {replays} replays", extra={"last_reason": dict(reason)}
    )


def replay(wiring: Wiring, deadline: Deadline, dry_run: bool = False, limit: int | None = None) -> dict[str, Any]:
    """Drain the dead-letter queue until it is empty, `limit` records are handled, or the deadline nears."""
    settings = wiring.settings
    cap = settings.max_replays
    actions: Counter[str] = Counter()
    planned: list[dict[str, Any]] = []
    handled = 0
    if dry_run:
        for item in wiring.mns.peek(settings.dead_letter_queue, 16):
            record = read_dead_letter(item.body)
            action = "park" if record.replays >= cap else "replay"
            planned.append(
                {"message_id": item.message_id, "action": action, "replays": record.replays, "origin": record.origin}
            )
            actions[f"would_{action}"] += 1
        return {"dry_run": True, "actions": dict(actions), "records": planned}
    started_ms = int(time.time() * 1000)
    while deadline.allows(3.0) and (limit is None or handled < limit):
        batch = wiring.mns.receive(settings.dead_letter_queue, 16, 1)
        # A record dead-lettered since this run began is most likely one of its own replays failing again; replaying
        # it now would spend its MAX_REPLAYS in seconds. It is put back for the next run, and this run ends with the
        # batch: what the queue holds behind it arrived later still.
        fresh = [item for item in batch if item.enqueue_time_ms > started_ms]
        for item in fresh:
            with contextlib.suppress(MnsUnavailableError):  # unreleased, it comes back when its visibility ends
                wiring.mns.release(settings.dead_letter_queue, item.receipt_handle)
            actions["left_for_next_run"] += 1
        batch = [item for item in batch if item.enqueue_time_ms <= started_ms]
        if not batch:
            break
        for item in batch:
            record = read_dead_letter(item.body)
            unwrapped = unwrap(record.message)
            requeued = rewrap(unwrapped, record.replays + 1)
            # An event whose envelope no longer fits an MNS message can never be replayed: it is parked at once.
            if record.replays >= cap or not fits(requeued):
                text = parked(record)
                # A message too large to park inside its record is parked as it came; its reason is in the log.
                wiring.mns.send(settings.parking_queue, text if fits(text) else record.message)
                outcome = _quarantined(record.message, record.replays, record.reason)
                wiring.mns.publish(settings.result_topic, outcome.to_json(), outcome.tag)
                wiring.log.warning(
                    "parked",
                    correlation_id=outcome.correlation_id,
                    event_id=outcome.event_id,
                    replays=record.replays,
                    reason=dict(record.reason),
                )
                actions["parked"] += 1
            else:
                wiring.mns.send(settings.input_queue, requeued)
                actions["replayed"] += 1
            wiring.mns.delete(settings.dead_letter_queue, item.receipt_handle)
            handled += 1
        if fresh:
            break
    report = {"dry_run": False, "actions": dict(actions), "handled": handled}
    wiring.log.info("replay done", **report)
    return report

"""Dead-letter replay: move each record back to the input queue, or to the parking queue after N replays.

A record leaves the dead-letter queue only after its next home holds it (send first, delete second), so a crash
in between yields a duplicate, never a loss; duplicates are harmless because provisioning is idempotent.
A record replayed MAX_REPLAYS times (default 3) is parked with its reason and a `quarantined` outcome, so a
poison message stops circling and a person can look at it.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Mapping
from typing import Any

from shared.envelope import fits, read_dead_letter, unwrap, wrap
from shared.outcome import Outcome
from shared.pipeline import identify
from shared.retry import Deadline
from shared.runtime import Instance

PARKED_KIND = "dms-onboarding.parked/v1"


def max_replays(environ: Mapping[str, str] | None = None) -> int:
    raw = (os.environ if environ is None else environ).get("MAX_REPLAYS", "3")
    try:
        return max(0, int(raw))
    except ValueError:
        raise ValueError(f"MAX_REPLAYS: {raw!r} is not an integer") from None


def _quarantined(message: str, replays: int, reason: Mapping[str, Any]) -> Outcome:
    unwrapped = unwrap(message)
    raw = unwrapped.event if isinstance(unwrapped.event, (dict, str)) else json.dumps(unwrapped.event)
    return identify(raw, unwrapped.correlation_id).outcome(
        "quarantined", detail=f"parked after {replays} replays", extra={"last_reason": dict(reason)}
    )


def replay(instance: Instance, deadline: Deadline, dry_run: bool = False, limit: int | None = None) -> dict[str, Any]:
    """Drain the dead-letter queue until it is empty, `limit` records are handled, or the deadline nears."""
    settings = instance.settings
    cap = max_replays()
    actions: Counter[str] = Counter()
    planned: list[dict[str, Any]] = []
    handled = 0
    if dry_run:
        for item in instance.mns.peek(settings.dead_letter_queue, 16):
            record = read_dead_letter(item.body)
            action = "park" if record.replays >= cap else "replay"
            planned.append(
                {"message_id": item.message_id, "action": action, "replays": record.replays, "origin": record.origin}
            )
            actions[f"would_{action}"] += 1
        return {"dry_run": True, "actions": dict(actions), "records": planned}
    while deadline.allows(3.0) and (limit is None or handled < limit):
        batch = instance.mns.receive(settings.dead_letter_queue, 16, 1)
        if not batch:
            break
        for item in batch:
            record = read_dead_letter(item.body)
            unwrapped = unwrap(record.message)
            requeued = wrap(unwrapped.event, unwrapped.correlation_id, record.replays + 1)
            # An event whose envelope no longer fits an MNS message can never be replayed: it is parked at once.
            if record.replays >= cap or not fits(requeued):
                parked = {
                    "kind": PARKED_KIND,
                    "message": record.message,
                    "replays": record.replays,
                    "reason": dict(record.reason),
                    "origin": record.origin,
                }
                text = json.dumps(parked, ensure_ascii=False)
                # A message too large to park inside its record is parked as it came; its reason is in the log.
                instance.mns.send(settings.parking_queue, text if fits(text) else record.message)
                outcome = _quarantined(record.message, record.replays, record.reason)
                instance.mns.publish(settings.result_topic, outcome.to_json(), outcome.tag)
                instance.log.warning(
                    "parked",
                    correlation_id=outcome.correlation_id,
                    event_id=outcome.event_id,
                    replays=record.replays,
                    reason=dict(record.reason),
                )
                actions["parked"] += 1
            else:
                instance.mns.send(settings.input_queue, requeued)
                actions["replayed"] += 1
            instance.mns.delete(settings.dead_letter_queue, item.receipt_handle)
            handled += 1
    report = {"dry_run": False, "actions": dict(actions), "handled": handled}
    instance.log.info("replay done", **report)
    return report

"""The operator's side of the mass-leaver breaker: list, release or discard the leaves it held.

Released leaves go back to the input queue marked `released`, so the breaker lets them through and they converge
like any event (a newer event for the person, applied meanwhile, supersedes them as usual). Discarded leaves are
parked with the reason and a `quarantined` outcome: nothing is lost either way. Both close the breaker, because
the operator has now decided about the burst that tripped it. A record leaves the hold queue only after its next
queue holds it (send first, delete second), as in replay.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from shared.infra.retry import Deadline
from shared.lifecycle.outcome import identify
from shared.messaging.formats import DeadLetter, fits, parked, read_held, unwrap, wrap
from shared.triggers.timer import HeldAction
from shared.wiring import Wiring


def handle_held(wiring: Wiring, deadline: Deadline, action: HeldAction, limit: int | None = None) -> dict[str, Any]:
    settings = wiring.settings
    if not settings.hold_queue:
        return {"held": action, "error": "HOLD_QUEUE is not set: this deployment holds no leaves"}
    if action == "list":
        records = []
        for item in wiring.mns.peek(settings.hold_queue, 16):
            record = read_held(item.body)
            unwrapped = unwrap(record["message"]) if record is not None else None
            event = unwrapped.event if unwrapped is not None and isinstance(unwrapped.event, dict) else {}
            employee = event.get("employee") if isinstance(event.get("employee"), dict) else {}
            records.append(
                {
                    "message_id": item.message_id,
                    "event_id": event.get("event_id"),
                    "uid": employee.get("uid") if isinstance(employee, dict) else None,
                    "held_at": record["held_at"] if record is not None else None,
                    "reason": record["reason"] if record is not None else "unrecognised record",
                }
            )
        return {"held": "list", "records": records, "breaker": wiring.breaker.state(deadline)}
    actions: Counter[str] = Counter()
    handled = 0
    while deadline.allows(3.0) and (limit is None or handled < limit):
        batch = wiring.mns.receive(settings.hold_queue, 16, 1)
        if not batch:
            break
        for item in batch:
            record = read_held(item.body)
            message = record["message"] if record is not None else item.body
            reason = record["reason"] if record is not None else "unrecognised hold-queue record"
            unwrapped = unwrap(message)
            if action == "release" and record is not None:
                wiring.mns.send(
                    settings.input_queue,
                    wrap(unwrapped.event, unwrapped.correlation_id, unwrapped.replays, released=True),
                )
                actions["released"] += 1
            else:
                text = parked(DeadLetter(message, unwrapped.replays, {"held": reason, "discarded": True}, "hold"))
                wiring.mns.send(settings.parking_queue, text if fits(text) else message)
                raw = unwrapped.event if isinstance(unwrapped.event, (dict, str)) else message
                outcome = identify(raw, unwrapped.correlation_id).outcome(
                    "quarantined",
                    detail="a held leave discarded by an operator",
                    extra={"last_reason": {"held": reason}},
                )
                wiring.mns.publish(settings.result_topic, outcome.to_json(), outcome.tag)
                actions["discarded"] += 1
            wiring.mns.delete(settings.hold_queue, item.receipt_handle)
            handled += 1
    drained = not wiring.mns.peek(settings.hold_queue, 1)
    if drained:
        wiring.breaker.reset(deadline)
    report = {"held": action, "actions": dict(actions), "handled": handled, "breaker_reset": drained}
    wiring.log.info("held leaves handled", **report)
    return report

"""The formats the product puts on its queues, with their kinds in one place.

- Input queue: a bare HR event (what an HR system puts on the queue itself) or our envelope
  `{"kind": "dms-onboarding.event/v1", "event": {...}, "correlation_id": ..., "replays": n}`, which the webhook
  and the replayer write so the correlation id and the replay count travel with the event.
- Dead-letter queue: `{"kind": "dms-onboarding.dead-letter/v1", "message": <original body>, "reason": {...},
  "replays": n, ...}`; a message too large to travel inside one is dead-lettered as it came (its reason goes to
  the log). FC's and EventBridge's own records land there too (shared.triggers.fc_records).
- Parking queue: `{"kind": "dms-onboarding.parked/v1", "message", "replays", "reason", "origin"}`.
- Hold queue: `{"kind": "dms-onboarding.held/v1", "message": <envelope>, "reason", "held_at"}`: leaves the
  mass-leaver breaker kept back, whole, until an operator releases them (back to the input queue, with
  `"released": true` in their envelope so the breaker lets them through) or discards them (parked).

Outcomes go to the result topic as CloudEvents (shared.lifecycle.outcome).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, TypedDict

from shared.contract.strictjson import load_json

EVENT_KIND: Final = "dms-onboarding.event/v1"
NOTICE_KIND: Final = "dms-onboarding.hr-notice/v1"
DEAD_LETTER_KIND: Final = "dms-onboarding.dead-letter/v1"
PARKED_KIND: Final = "dms-onboarding.parked/v1"
HELD_KIND: Final = "dms-onboarding.held/v1"
MAX_MESSAGE_BYTES: Final = 65536
"""MNS's largest message body (UTF-8 bytes). Bodies are measured before they are sent, so one that cannot fit is
handled here once, rather than failing on every redelivery."""
UNREASONED: Final = "dead-lettered without its reason, which would have taken it over the MNS size limit; see the log"


class _EnvelopeFields(TypedDict):
    kind: str
    event: Any
    correlation_id: str | None
    replays: int


class EventEnvelope(_EnvelopeFields, total=False):
    released: bool


class HeldRecord(TypedDict):
    kind: str
    message: str
    reason: str
    held_at: int


class DeadLetterRecord(TypedDict):
    kind: str
    message: str
    reason: dict[str, Any]
    replays: int
    correlation_id: str | None
    function: str
    failed_at: int


class ParkedRecord(TypedDict):
    kind: str
    message: str
    replays: int
    reason: dict[str, Any]
    origin: str


def fits(body: str) -> bool:
    return len(body.encode("utf-8", "backslashreplace")) <= MAX_MESSAGE_BYTES


def _compact(document: Mapping[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


def _lenient(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):  # nested too deeply is as unreadable as not JSON
        return None


@dataclass(frozen=True)
class Unwrapped:
    event: Any
    """The HR event: a dict when the body was JSON, else the raw text (which the contract will reject)."""
    correlation_id: str | None
    replays: int
    released: bool = False
    """An operator released this leave from the hold queue: the breaker lets it through."""
    notice: Mapping[str, Any] | None = None
    """An HR platform's notice (NOTICE_KIND) instead of an event; `event` is then None."""


def wrap(event: Any, correlation_id: str | None, replays: int = 0, *, released: bool = False) -> str:
    envelope: EventEnvelope = {"kind": EVENT_KIND, "event": event, "correlation_id": correlation_id, "replays": replays}
    if released:
        envelope["released"] = True
    return _compact(envelope)


def wrap_notice(notice: Mapping[str, Any], correlation_id: str | None, replays: int = 0) -> str:
    return _compact({"kind": NOTICE_KIND, "notice": dict(notice), "correlation_id": correlation_id, "replays": replays})


def rewrap(unwrapped: Unwrapped, replays: int) -> str:
    """The message again, event or notice, with another replay count (what replay sends back to the input queue)."""
    if unwrapped.notice is not None:
        return wrap_notice(unwrapped.notice, unwrapped.correlation_id, replays)
    return wrap(unwrapped.event, unwrapped.correlation_id, replays, released=unwrapped.released)


def unwrap(body: str) -> Unwrapped:
    try:
        data = load_json(body)
    except ValueError:
        # Bare events are judged as text, so the contract refuses what its JSON reading refuses (a key twice in one
        # object) rather than the last duplicate winning unseen; our own envelopes are read leniently.
        data = _lenient(body)
        if not (isinstance(data, Mapping) and data.get("kind") in (EVENT_KIND, NOTICE_KIND)):
            return Unwrapped(body, None, 0)
    if isinstance(data, Mapping) and data.get("kind") == NOTICE_KIND:
        replays = data.get("replays")
        correlation = data.get("correlation_id")
        notice = data.get("notice")
        return Unwrapped(
            None,
            correlation if isinstance(correlation, str) else None,
            replays if isinstance(replays, int) and replays >= 0 else 0,
            notice=notice if isinstance(notice, Mapping) else {},
        )
    if isinstance(data, Mapping) and data.get("kind") == EVENT_KIND:
        replays = data.get("replays")
        correlation = data.get("correlation_id")
        return Unwrapped(
            data.get("event"),
            correlation if isinstance(correlation, str) else None,
            replays if isinstance(replays, int) and replays >= 0 else 0,
            data.get("released") is True,
        )
    return Unwrapped(body if data is None else data, None, 0)


def dead_letter(
    message: str, reason: Mapping[str, Any], replays: int, correlation_id: str | None, function: str
) -> str:
    record: DeadLetterRecord = {
        "kind": DEAD_LETTER_KIND,
        "message": message,
        "reason": dict(reason),
        "replays": replays,
        "correlation_id": correlation_id,
        "function": function,
        "failed_at": int(time.time() * 1000),
    }
    return _compact(record)


def dead_letter_that_fits(
    message: str,
    event: Any,
    reason: Mapping[str, Any],
    replays: int,
    correlation_id: str | None,
    function: str,
) -> tuple[str, str]:
    """A dead-letter body MNS will take, and how it was made; the first that fits wins:

    `record` (the message with its reason), `as-it-came` (the message alone), `compacted` (the parsed event in
    our envelope, without the sender's whitespace), `truncated` (the reason, the message's first bytes, its size
    and SHA-256). Only a message that was over the MNS limit to begin with (a direct invocation) gets so far.
    """
    record = dead_letter(message, reason, replays, correlation_id, function)
    if fits(record):
        return record, "record"
    if fits(message):
        return message, "as-it-came"
    if isinstance(event, dict):
        compact = wrap(event, correlation_id, replays)
        if fits(compact):
            return compact, "compacted"
    raw = message.encode("utf-8", "backslashreplace")
    kept = {**reason, "truncated": True, "original_bytes": len(raw), "sha256": hashlib.sha256(raw).hexdigest()}
    prefix = raw[: MAX_MESSAGE_BYTES // 2].decode("utf-8", "ignore")
    return dead_letter(prefix, kept, replays, correlation_id, function), "truncated"


@dataclass(frozen=True)
class DeadLetter:
    """A dead-letter queue message, whichever producer wrote it, reduced to what replay needs."""

    message: str
    replays: int
    reason: Mapping[str, Any]
    origin: str


def read_own_dead_letter(data: Any, body: str) -> DeadLetter | None:
    """Our dead-letter record, or an envelope dead-lettered as it came; None for anything else."""
    if not isinstance(data, Mapping):
        return None
    if data.get("kind") == DEAD_LETTER_KIND and isinstance(data.get("message"), str):
        replays = data.get("replays")
        reason = data.get("reason")
        return DeadLetter(
            data["message"],
            replays if isinstance(replays, int) and replays >= 0 else 0,
            reason if isinstance(reason, Mapping) else {},
            "worker",
        )
    if data.get("kind") in (EVENT_KIND, NOTICE_KIND):
        return DeadLetter(body, unwrap(body).replays, {"condition": UNREASONED}, "worker")
    return None


def parked(record: DeadLetter) -> str:
    document: ParkedRecord = {
        "kind": PARKED_KIND,
        "message": record.message,
        "replays": record.replays,
        "reason": dict(record.reason),
        "origin": record.origin,
    }
    return json.dumps(document, ensure_ascii=False)


def held(message: str, reason: str) -> str:
    record: HeldRecord = {"kind": HELD_KIND, "message": message, "reason": reason, "held_at": int(time.time() * 1000)}
    return _compact(record)


def read_held(body: str) -> HeldRecord | None:
    """A hold-queue record, or None for anything else (which an operator must look at by hand)."""
    data = _lenient(body)
    if isinstance(data, Mapping) and data.get("kind") == HELD_KIND and isinstance(data.get("message"), str):
        return {
            "kind": HELD_KIND,
            "message": data["message"],
            "reason": str(data.get("reason") or ""),
            "held_at": data["held_at"] if isinstance(data.get("held_at"), int) else 0,
        }
    return None

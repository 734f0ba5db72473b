"""What travels on the product's queues, and how any FC trigger event is unpacked to it.

Input-queue messages are either a bare HR event (what an HR system puts on the queue itself) or our envelope
`{"kind": "dms-onboarding.event/v1", "event": {...}, "correlation_id": ..., "replays": n}`, which the webhook
and the replayer write so the correlation id and the replay count travel with the event.

Dead-letter records are `{"kind": "dms-onboarding.dead-letter/v1", "message": <original body>, "reason": {...},
"replays": n, ...}`; a message too large to travel inside one is dead-lettered as it came (its reason goes to the
log). The replayer also reads FC's async failure-destination records (`requestPayload`) and raw EventBridge
records (a CloudEvent whose `data.messageBody` is the message).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shared.problems import load_json

EVENT_KIND = "dms-onboarding.event/v1"
DEAD_LETTER_KIND = "dms-onboarding.dead-letter/v1"
MAX_MESSAGE_BYTES = 65536
"""MNS's largest message body (UTF-8 bytes). Bodies are measured before they are sent, so one that cannot fit is
handled here once, rather than failing on every redelivery."""
UNREASONED = "dead-lettered without its reason, which would have taken it over the MNS size limit; see the log"


def fits(body: str) -> bool:
    return len(body.encode("utf-8", "backslashreplace")) <= MAX_MESSAGE_BYTES


@dataclass(frozen=True)
class QueueMessage:
    """One message as the worker sees it, whatever shape the trigger delivered."""

    body: str
    message_id: str = ""


@dataclass(frozen=True)
class Unwrapped:
    event: Any
    """The HR event: a dict when the body was JSON, else the raw text (which the contract will reject)."""
    correlation_id: str | None
    replays: int


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):  # nested too deeply is as unreadable as not JSON
        return None


def decode_body(body: str) -> str:
    """Bodies may arrive base64-encoded (the MNS SDK encodes by default); JSON is what we expect inside."""
    stripped = body.strip()
    if stripped[:1] in ("{", "["):
        return body
    try:
        decoded = base64.b64decode(stripped, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return body
    return decoded if decoded.strip()[:1] in ("{", "[") else body


def _from_item(item: Any) -> QueueMessage | None:
    if not isinstance(item, Mapping):
        return None
    inner = item.get("data")
    data: Mapping[str, Any] = inner if isinstance(inner, Mapping) else item
    body = data.get("messageBody")
    if isinstance(body, str):
        return QueueMessage(decode_body(body), str(data.get("messageId") or item.get("id") or ""))
    return None


def trigger_messages(event: bytes | str) -> list[QueueMessage]:
    """CloudEvents array, RawData array, one CloudEvent, or one bare message: always a list of messages."""
    text = event.decode("utf-8", "replace") if isinstance(event, bytes) else event
    parsed = _json(text)
    items = parsed if isinstance(parsed, list) else [parsed]
    messages: list[QueueMessage] = []
    for item in items:
        found = _from_item(item)
        if found is not None:
            messages.append(found)
        elif isinstance(item, Mapping):
            messages.append(QueueMessage(json.dumps(item, ensure_ascii=False)))
        else:
            messages.append(QueueMessage(json.dumps(item) if parsed is not None else text))
    return messages


def unwrap(body: str) -> Unwrapped:
    try:
        data = load_json(body)
    except ValueError:
        # Bare events are judged as text, so the contract refuses what its JSON reading refuses (a key twice in one
        # object) rather than the last duplicate winning unseen; our own envelopes are read leniently.
        data = _json(body)
        if not (isinstance(data, Mapping) and data.get("kind") == EVENT_KIND):
            return Unwrapped(body, None, 0)
    if isinstance(data, Mapping) and data.get("kind") == EVENT_KIND:
        replays = data.get("replays")
        correlation = data.get("correlation_id")
        return Unwrapped(
            data.get("event"),
            correlation if isinstance(correlation, str) else None,
            replays if isinstance(replays, int) and replays >= 0 else 0,
        )
    return Unwrapped(body if data is None else data, None, 0)


def wrap(event: Any, correlation_id: str | None, replays: int = 0) -> str:
    document = {"kind": EVENT_KIND, "event": event, "correlation_id": correlation_id, "replays": replays}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


def dead_letter(
    message: str, reason: Mapping[str, Any], replays: int, correlation_id: str | None, function: str
) -> str:
    document = {
        "kind": DEAD_LETTER_KIND,
        "message": message,
        "reason": dict(reason),
        "replays": replays,
        "correlation_id": correlation_id,
        "function": function,
        "failed_at": int(time.time() * 1000),
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


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


def read_dead_letter(body: str) -> DeadLetter:
    data = _json(decode_body(body))
    if isinstance(data, Mapping) and data.get("kind") == DEAD_LETTER_KIND and isinstance(data.get("message"), str):
        replays = data.get("replays")
        reason = data.get("reason")
        return DeadLetter(
            data["message"],
            replays if isinstance(replays, int) and replays >= 0 else 0,
            reason if isinstance(reason, Mapping) else {},
            "worker",
        )
    if isinstance(data, Mapping) and data.get("kind") == EVENT_KIND:
        return DeadLetter(body, unwrap(body).replays, {"condition": UNREASONED}, "worker")
    if isinstance(data, Mapping) and isinstance(data.get("requestContext"), Mapping) and "requestPayload" in data:
        payload = data["requestPayload"]
        text = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
        context = data["requestContext"]
        reason = {
            "condition": context.get("condition"),
            "error": (data.get("responseContext") or {}).get("functionError"),
        }
        inner = trigger_messages(decode_body(text))
        message = inner[0].body if len(inner) == 1 else decode_body(text)
        return DeadLetter(message, unwrap(message).replays, reason, "fc-async-failure")
    if isinstance(data, Mapping) and _from_item(data) is not None:
        found = _from_item(data)
        assert found is not None
        return DeadLetter(
            found.body, unwrap(found.body).replays, {"condition": "eventbridge-dead-letter"}, "eventbridge"
        )
    return DeadLetter(body, unwrap(body).replays, {"condition": "unrecognised dead-letter record"}, "unknown")

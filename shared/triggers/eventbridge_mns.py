"""What an FC queue trigger (EventBridge, MNS source) hands the worker, unpacked to one list of messages.

EventBridge delivers a batch as a CloudEvents array (each `data` holds `messageId` and `messageBody`) or, with the
RawData schema, as an array of those `data` objects; a direct invocation may pass one CloudEvent or one bare
message. Bodies may arrive base64-encoded (the MNS SDK encodes by default). Whatever the shape, every item
becomes a `QueueMessage`, so nothing the trigger delivered goes unanswered.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class QueueMessage:
    """One message as the worker sees it, whatever shape the trigger delivered."""

    body: str
    message_id: str = ""


def json_or_none(text: str) -> Any:
    """Lenient JSON for shapes we did not write: None for what is not JSON, or is nested too deeply."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def decode_body(body: str) -> str:
    """Bodies may arrive base64-encoded (the MNS SDK encodes by default); JSON is what we expect inside: an object,
    an array, or a string (an event its sender encoded twice, which the contract reads as JSON text)."""
    stripped = body.strip()
    if stripped[:1] in ("{", "["):
        return body
    try:
        decoded = base64.b64decode(stripped, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return body
    return decoded if decoded.strip()[:1] in ("{", "[", '"') else body


def message_of(item: Any) -> QueueMessage | None:
    """The message inside one CloudEvent or RawData item, or None when the item is neither."""
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
    parsed = json_or_none(text)
    items = parsed if isinstance(parsed, list) else [parsed]
    messages: list[QueueMessage] = []
    for item in items:
        found = message_of(item)
        if found is not None:
            messages.append(found)
        elif isinstance(item, Mapping):
            messages.append(QueueMessage(json.dumps(item, ensure_ascii=False)))
        else:
            messages.append(QueueMessage(json.dumps(item) if parsed is not None else text))
    return messages

"""Failure records FC and EventBridge write to a dead-letter queue, reduced to the message they carry.

FC's async invocation failure destination writes `{requestContext: {condition, ...}, requestPayload,
responseContext: {functionError}}`, whose payload is the whole trigger event; an EventBridge trigger's
dead-letter queue receives the CloudEvent it could not deliver. Replay reads both beside our own records.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shared.triggers.eventbridge_mns import decode_body, message_of, trigger_messages


@dataclass(frozen=True)
class FailedMessage:
    message: str
    reason: Mapping[str, Any]
    origin: str


def from_fc_async_failure(data: Mapping[str, Any]) -> FailedMessage | None:
    if not (isinstance(data.get("requestContext"), Mapping) and "requestPayload" in data):
        return None
    payload = data["requestPayload"]
    text = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
    context = data["requestContext"]
    reason = {"condition": context.get("condition"), "error": (data.get("responseContext") or {}).get("functionError")}
    inner = trigger_messages(decode_body(text))
    message = inner[0].body if len(inner) == 1 else decode_body(text)
    return FailedMessage(message, reason, "fc-async-failure")


def from_eventbridge_dead_letter(data: Mapping[str, Any]) -> FailedMessage | None:
    found = message_of(data)
    if found is None:
        return None
    return FailedMessage(found.body, {"condition": "eventbridge-dead-letter"}, "eventbridge")

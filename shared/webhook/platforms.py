"""`POST /hr/dingtalk` and `POST /hr/feishu`: an HR platform's push, authenticated in its own scheme, acknowledged
only once its notice is on the input queue.

The platform's answer deadline (DingTalk 1.5 s) leaves room for the signature, the decryption and one MNS send;
user details, UIDs and DMS wait for the worker. A platform that repeats a push (retries, or a duplicate) gets the
same answer: within one instance the repeat is recognised by the platform's event id and not queued again, and
across instances the repeat becomes the same canonical event, which the register recognises (shared.hr.notice).
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from typing import Any

from shared.hr.source import HrSource, Received, Refused
from shared.messaging.client import MnsUnavailableError
from shared.messaging.formats import dead_letter, fits, wrap_notice
from shared.triggers.http import HttpRequest, problem, response
from shared.webhook.deps import QueueDeps

RECENT_LIMIT = 4096


class RecentPushes:
    """The platform event ids this instance queued lately, so a retry arriving here is answered, not queued twice."""

    def __init__(self, limit: int = RECENT_LIMIT) -> None:
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._limit = limit
        self._lock = threading.Lock()

    def seen(self, key: str) -> bool:
        with self._lock:
            return key in self._seen

    def remember(self, key: str) -> None:
        with self._lock:
            self._seen[key] = None
            self._seen.move_to_end(key)
            while len(self._seen) > self._limit:
                self._seen.popitem(last=False)


RECENT = RecentPushes()


def not_configured(platform: str, variables: str) -> dict[str, Any]:
    return problem(
        503,
        "Service Unavailable",
        f"{platform} pushes are not accepted here: set {variables}",
        slug="source-not-configured",
    )


def receive_push(
    source: HrSource, request: HttpRequest, wiring: QueueDeps, correlation_id: str, now_ms: int
) -> dict[str, Any]:
    try:
        received = source.receive(request, now_ms)
    except Refused as refused:
        wiring.log.warning(
            "hr push refused",
            correlation_id=correlation_id,
            platform=source.name,
            status=refused.status,
            reason=refused.detail,
        )
        headers = {"WWW-Authenticate": source.name} if refused.status == 401 else None
        title = "Unauthorized" if refused.status == 401 else "Bad Request"
        return problem(
            refused.status, title, refused.detail, slug=refused.slug, headers=headers, correlation_id=correlation_id
        )
    fields = {
        "correlation_id": correlation_id,
        "platform": source.name,
        "what": received.what,
        "platform_type": received.platform_type,
        "platform_event_id": received.platform_event_id,
    }
    if received.what == "unusable":
        return _keep(received, wiring, fields)
    notice = received.notice
    if notice is None:
        wiring.log.info("hr push answered", **fields)
        return response(200, received.reply)
    key = f"{source.name}:{notice.platform_event_id}"
    if RECENT.seen(key):
        wiring.log.info("hr push repeated", **fields, people=len(notice.hr_ids))
        return response(200, received.reply)
    body = wrap_notice(notice.to_json_data(), correlation_id)
    if not fits(body):
        wiring.log.error("hr push too large for a queue message", **fields, people=len(notice.hr_ids))
        return problem(413, "Payload Too Large", "the push does not fit an MNS message", slug="too-large")
    try:
        sent = wiring.mns.send(wiring.settings.input_queue, body)
    except MnsUnavailableError as error:
        wiring.log.error("hr push not queued", **fields, error=str(error))
        return problem(
            503,
            "Service Unavailable",
            "the push was not queued; the platform will send it again",
            slug="not-queued",
            headers={"Retry-After": "5"},
            correlation_id=correlation_id,
        )
    RECENT.remember(key)
    wiring.log.info("hr push queued", **fields, people=len(notice.hr_ids), message_id=sent.message_id)
    return response(200, received.reply)


def _keep(received: Received, wiring: QueueDeps, fields: dict[str, Any]) -> dict[str, Any]:
    """An authenticated push of an event type we take that names nobody: not dropped, but dead-lettered with its
    reason (replay then ends it `rejected` and, after MAX_REPLAYS, parked with a `quarantined` outcome), and the
    platform told it was delivered, since sending it again would not mend it."""
    field, reason = received.problem
    record = dead_letter(
        json.dumps(received.document, ensure_ascii=False),
        {"status": "rejected", "problems": [{"field": field, "reason": reason}], "platform": fields["platform"]},
        0,
        fields["correlation_id"],
        wiring.settings.function_name,
    )
    try:
        wiring.mns.send(wiring.settings.dead_letter_queue, record)
    except MnsUnavailableError as error:
        wiring.log.error("hr push not kept", **fields, error=str(error))
        return problem(
            503,
            "Service Unavailable",
            "the push could not be kept; the platform will send it again",
            slug="not-queued",
            headers={"Retry-After": "5"},
            correlation_id=fields["correlation_id"],
        )
    wiring.log.warning("hr push kept", **fields, field=field, reason=reason)
    return response(200, received.reply)

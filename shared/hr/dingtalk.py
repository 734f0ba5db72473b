"""DingTalk's HTTP event subscription (internal app): the check_url handshake and the address-book events.

`user_add_org`, `user_modify_org` and `user_leave_org` name user ids only, so a push becomes a notice the worker
completes from DingTalk's API (shared.hr.dingtalk_api). Both spellings seen in the wild are read: the query's
`signature`/`msg_signature` and `timestamp`/`timeStamp`, and the payload's `userId`/`UserId`,
`timeStamp`/`TimeStamp`, `eventId`. Every answer DingTalk counts as delivered is the encrypted `success`; anything
else (401 for a push that fails its checks) makes DingTalk treat the push as failed.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import string

from shared.config import DingTalkConfig
from shared.hr.dingtalk_crypto import DingTalkCrypto, DingTalkCryptoError
from shared.hr.notice import CanonicalType, Notice, unique
from shared.hr.source import Received, Refused, first, json_body
from shared.hr.timestamps import fresh, milliseconds
from shared.triggers.http import HttpRequest

EVENT_TYPES: dict[str, CanonicalType] = {
    "user_add_org": "employee.hired",
    "user_modify_org": "employee.updated",
    "user_leave_org": "employee.left",
}
_NONCE = string.ascii_letters + string.digits


class DingTalkSource:
    name = "dingtalk"

    def __init__(self, config: DingTalkConfig, window_seconds: int) -> None:
        self.crypto = DingTalkCrypto(config.token, config.aes_key, config.app_key)
        self.window_seconds = window_seconds

    def receive(self, request: HttpRequest, now_ms: int) -> Received:
        query = request.query
        received = first(query, "msg_signature", "signature")
        timestamp = first(query, "timestamp", "timeStamp")
        nonce = query.get("nonce")
        if not received or not timestamp or not nonce:
            raise Refused(
                401, "unauthenticated", "query: signature (or msg_signature), timestamp and nonce are required"
            )
        body = json_body(request, '{"encrypt": "..."}')
        encrypt = body.get("encrypt")
        if not isinstance(encrypt, str) or not encrypt:
            raise Refused(400, "invalid-push", "encrypt: required, the encrypted message")
        try:
            self.crypto.verify(timestamp, nonce, encrypt, received)
            if not fresh(timestamp, now_ms, self.window_seconds):
                raise DingTalkCryptoError(f"timestamp: outside the {self.window_seconds}-second window")
            plaintext = self.crypto.decrypt(encrypt)
        except DingTalkCryptoError as error:
            raise Refused(401, "unauthenticated", error.reason) from None
        try:
            message = json.loads(plaintext)
        except ValueError:
            message = None
        if not isinstance(message, dict):
            raise Refused(400, "invalid-push", "encrypt: the message inside is not a JSON object")
        platform_type = str(first(message, "EventType", "eventType") or "")
        reply = self.crypto.reply("success", str(now_ms), "".join(secrets.choice(_NONCE) for _ in range(8)))
        if platform_type == "check_url":
            return Received("handshake", reply, platform_type=platform_type)
        canonical = EVENT_TYPES.get(platform_type)
        ids = first(message, "userId", "UserId", "userid")
        hr_ids = unique([str(i) for i in ids if isinstance(i, (str, int)) and str(i)] if isinstance(ids, list) else [])
        # BizId is documented as the idempotency key, eventId as the event's id; a payload of the older shape has
        # neither, and a repeat of it is the same plaintext.
        event_id = first(message, "eventId", "EventId", "BizId", "bizId")
        platform_event_id = (
            str(event_id) if event_id else "sha256-" + hashlib.sha256(plaintext.encode()).hexdigest()[:32]
        )
        if canonical is None:
            return Received("ignored", reply, platform_type=platform_type, platform_event_id=platform_event_id)
        if not hr_ids:
            problem = ("userId", "names no user, so the event is about nobody this product can find")
            return Received("unusable", reply, None, platform_type, platform_event_id, problem, message)
        occurred = milliseconds(first(message, "EventTime", "eventTime", "TimeStamp", "timeStamp"))
        notice = Notice(
            source=self.name,
            platform_event_id=platform_event_id,
            type=canonical,
            platform_type=platform_type,
            occurred_at_ms=occurred or milliseconds(timestamp) or now_ms,
            hr_ids=hr_ids,
        )
        return Received("event", reply, notice, platform_type, platform_event_id)

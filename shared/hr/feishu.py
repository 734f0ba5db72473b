"""Feishu/Lark's event subscription v2: the url_verification challenge and the contact user events.

`contact.user.created_v3`, `updated_v3` and `deleted_v3` carry the whole user, so a notice holds them as sent; an
update that marks the user resigned (`status.is_resigned`) is a leave. With an Encrypt Key, every push is
encrypted and signed (X-Lark-Signature), and a plain one is refused; the Verification Token is checked on every push,
the challenge included (Feishu does not sign the challenge). Feishu counts any 200 as delivered.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping
from typing import Any

from shared.config import FeishuConfig
from shared.hr.feishu_crypto import FeishuCrypto, FeishuCryptoError
from shared.hr.notice import CanonicalType, Notice
from shared.hr.source import Received, Refused, json_body
from shared.hr.timestamps import fresh, milliseconds
from shared.triggers.http import HttpRequest

EVENT_TYPES: dict[str, CanonicalType] = {
    "contact.user.created_v3": "employee.hired",
    "contact.user.updated_v3": "employee.updated",
    "contact.user.deleted_v3": "employee.left",
}
ACKNOWLEDGED: Mapping[str, Any] = {"msg": "success"}


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate from a JSON escape cannot be sent back
        return False
    return True


class FeishuSource:
    name = "feishu"

    def __init__(self, config: FeishuConfig, window_seconds: int) -> None:
        self.crypto = FeishuCrypto(config.encrypt_key) if config.encrypt_key else None
        self.token = config.verification_token
        self.window_seconds = window_seconds

    def receive(self, request: HttpRequest, now_ms: int) -> Received:
        body = json_body(request, "a Feishu event")
        event = self._open(body)
        if event.get("type") == "url_verification":
            self._check_token(event.get("token"))
            challenge = event.get("challenge")
            if not isinstance(challenge, str) or not _utf8(challenge):
                raise Refused(400, "invalid-push", "challenge: required in a url_verification, as text")
            return Received("handshake", {"challenge": challenge}, platform_type="url_verification")
        if self.crypto is not None:
            self._check_signature(request, now_ms)
        header = event.get("header")
        if event.get("schema") != "2.0" or not isinstance(header, Mapping):
            self._check_token(event.get("token"))
            return Received("ignored", ACKNOWLEDGED, platform_type=str(event.get("type") or ""))
        self._check_token(header.get("token"))
        platform_type = str(header.get("event_type") or "")
        platform_event_id = str(header.get("event_id") or "")
        canonical = EVENT_TYPES.get(platform_type)
        payload = event.get("event")
        user = payload.get("object") if isinstance(payload, Mapping) else None
        open_id = user.get("open_id") if isinstance(user, Mapping) else None
        if canonical is None:
            return Received("ignored", ACKNOWLEDGED, platform_type=platform_type, platform_event_id=platform_event_id)
        if not platform_event_id or not isinstance(open_id, str) or not open_id or not isinstance(user, Mapping):
            field = "header.event_id" if not platform_event_id else "event.object.open_id"
            problem = (field, "required: the event cannot be told apart from others, or names nobody")
            return Received("unusable", ACKNOWLEDGED, None, platform_type, platform_event_id, problem, event)
        status = user.get("status")
        if canonical == "employee.updated" and isinstance(status, Mapping) and status.get("is_resigned") is True:
            canonical = "employee.left"
        notice = Notice(
            source=self.name,
            platform_event_id=platform_event_id,
            type=canonical,
            platform_type=platform_type,
            occurred_at_ms=milliseconds(header.get("create_time")) or now_ms,
            hr_ids=(open_id,),
            people=(dict(user),),
        )
        return Received("event", ACKNOWLEDGED, notice, platform_type, platform_event_id)

    def _open(self, body: Mapping[str, Any]) -> Mapping[str, Any]:
        sealed = body.get("encrypt")
        if self.crypto is None:
            if sealed is not None:
                raise Refused(400, "invalid-push", "encrypt: the push is encrypted, but FEISHU_ENCRYPT_KEY is not set")
            return body
        if not isinstance(sealed, str):
            raise Refused(401, "unauthenticated", "encrypt: required, as FEISHU_ENCRYPT_KEY is set")
        try:
            plaintext = self.crypto.decrypt(sealed)
        except FeishuCryptoError as error:
            raise Refused(401, "unauthenticated", error.reason) from None
        try:
            event = json.loads(plaintext)
        except ValueError:
            event = None
        if not isinstance(event, dict):
            raise Refused(400, "invalid-push", "encrypt: the event inside is not a JSON object")
        return event

    def _check_token(self, token: object) -> None:
        if not isinstance(token, str) or not hmac.compare_digest(token.encode("utf-8", "replace"), self.token.encode()):
            raise Refused(401, "unauthenticated", "the token is not this app's Verification Token")

    def _check_signature(self, request: HttpRequest, now_ms: int) -> None:
        assert self.crypto is not None
        timestamp = request.header("x-lark-request-timestamp")
        nonce = request.header("x-lark-request-nonce")
        received = request.header("x-lark-signature")
        if not timestamp or nonce is None or not received:
            raise Refused(
                401,
                "unauthenticated",
                "X-Lark-Request-Timestamp, X-Lark-Request-Nonce and X-Lark-Signature are required",
            )
        try:
            self.crypto.verify(timestamp, nonce, request.body, received)
        except FeishuCryptoError as error:
            raise Refused(401, "unauthenticated", error.reason) from None
        if not fresh(timestamp, now_ms, self.window_seconds):
            raise Refused(
                401, "unauthenticated", f"X-Lark-Request-Timestamp: outside the {self.window_seconds}-second window"
            )

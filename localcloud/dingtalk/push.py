"""DingTalk pushing an address-book event to an app's HTTP event subscription, as hr-sources.md §1.1 and §1.3 say.

Each attempt is `POST <url>?signature=…&timestamp=<ms>&nonce=…` (or `msg_signature`/`timeStamp`, the other spelling
the official sample reads) with `{"encrypt": …}`; it counts as delivered only if, within 1500 ms, the answer is
HTTP 200 with JSON `{msg_signature, timeStamp, nonce, encrypt}` whose signature verifies and which decrypts, for
this app's key, to `success`.

The plaintext is the current docs' shape (`EventType`, `EventTime`, `CorpId`, `BizId`, `eventId`, `timeStamp`,
`userId`) or, with `casing: "pascal"`, the shape developers logged in 2018-2019 (`EventType`, `TimeStamp`, `UserId`,
`CorpId`); which one today's pushes use is not confirmed. `check_url` is exactly `{"EventType":"check_url"}`, as in
DingTalk's published vector.

Not confirmed, chosen: DingTalk's retry schedule for failed HTTP pushes is unpublished, so a failed event push is
retried after 1, 2 and 4 seconds; a `check_url` handshake (made once when the URL is saved) is not retried.
`BizId` is a fresh digit string per event. Retries re-sign and re-encrypt the same plaintext with a new timestamp.
"""

from __future__ import annotations

import hmac
import json
import secrets
import string
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlencode

from localcloud.dingtalk import crypto
from localcloud.hrpush.delivery import Answer, Outgoing, Push

DEADLINE_MS = 1500
DEFAULT_RETRY_DELAYS: tuple[float, ...] = (1.0, 2.0, 4.0)
EVENT_TYPES = ("user_add_org", "user_modify_org", "user_leave_org", "check_url")
TAMPERS = ("signature", "owner_key", "stale_timestamp", "aes_key")
STALE_SECONDS = 24 * 3600
"""How old a `stale_timestamp` push claims to be: past any sensible freshness window (the product's is 8 hours)."""
OTHER_AES_KEY = "NotTheAppsEncodingAESKeyNotTheAppsKey000000"
_NONCE_ALPHABET = string.ascii_letters + string.digits

Casing = Literal["camel", "pascal"]
QueryNames = Literal["signature", "msg_signature"]


@dataclass(frozen=True)
class DingTalkApp:
    """What DingTalk and the app share: the subscription's Token and EncodingAESKey, the AppKey, the corp."""

    token: str
    aes_key: str
    app_key: str
    corp_id: str


def plaintext(
    event_type: str,
    user_ids: list[str],
    event_id: str,
    casing: Casing,
    now_ms: int,
    corp_id: str,
    diff_info: Mapping[str, object] | None = None,
) -> bytes:
    if event_type == "check_url":
        data: dict[str, object] = {"EventType": "check_url"}
    elif casing == "pascal":
        data = {"EventType": event_type, "TimeStamp": str(now_ms), "UserId": list(user_ids), "CorpId": corp_id}
    else:
        data = {
            "EventType": event_type,
            "EventTime": now_ms,
            "CorpId": corp_id,
            "BizId": f"{now_ms}{secrets.randbelow(1000):03d}",
            "eventId": event_id,
            "timeStamp": str(now_ms),
            "userId": list(user_ids),
        }
        if diff_info is not None and event_type == "user_modify_org":
            data["diffInfo"] = dict(diff_info)
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def new_event_id() -> str:
    return uuid.uuid4().hex


def build_push(
    app: DingTalkApp,
    url: str,
    event_type: str,
    event_id: str | None,
    message: bytes,
    *,
    query_names: QueryNames = "signature",
    tamper: str | None = None,
    retry_delays: list[float],
    summary: dict[str, object],
) -> Push:
    names = ("msg_signature", "timeStamp") if query_names == "msg_signature" else ("signature", "timestamp")

    def build() -> Outgoing:
        now_ms = int(time.time() * 1000)
        timestamp = str(now_ms - STALE_SECONDS * 1000 if tamper == "stale_timestamp" else now_ms)
        nonce = "".join(secrets.choice(_NONCE_ALPHABET) for _ in range(8))
        owner = app.corp_id if tamper == "owner_key" else app.app_key
        key = OTHER_AES_KEY if tamper == "aes_key" else app.aes_key
        encrypted = crypto.encrypt(key, message, owner)
        sign = crypto.signature(app.token, timestamp, nonce, encrypted)
        if tamper == "signature":
            sign = _flip(sign)
        query = urlencode({names[0]: sign, names[1]: timestamp, "nonce": nonce})
        body = json.dumps({"encrypt": encrypted}).encode("utf-8")
        return Outgoing(query, {"Content-Type": "application/json; charset=utf-8"}, body)

    return Push(
        platform="dingtalk",
        event_type=event_type,
        event_id=event_id,
        url=url,
        deadline_ms=DEADLINE_MS,
        build=build,
        judge=lambda answer: judge_reply(app, answer),
        retry_delays=retry_delays,
        summary=summary,
        plaintext=message.decode("utf-8"),
    )


def judge_reply(app: DingTalkApp, answer: Answer) -> str:
    """'' for DingTalk's idea of a good answer: HTTP 200, a signed map whose `encrypt` is this app's `success`."""
    if answer.status != 200:
        return f"HTTP {answer.status}"
    try:
        reply = json.loads(answer.body)
    except ValueError:
        return "reply is not JSON"
    if not isinstance(reply, dict):
        return "reply is not a JSON object"
    missing = [name for name in ("msg_signature", "timeStamp", "nonce", "encrypt") if name not in reply]
    if missing:
        return f"reply lacks {', '.join(missing)}"
    timestamp, nonce, encrypted = (str(reply[name]) for name in ("timeStamp", "nonce", "encrypt"))
    expected = crypto.signature(app.token, timestamp, nonce, encrypted)
    if not hmac.compare_digest(expected.encode("ascii"), str(reply["msg_signature"]).encode("utf-8")):
        return "reply signature does not verify"
    try:
        message, owner = crypto.decrypt(app.aes_key, encrypted)
    except crypto.DingTalkCipherError as error:
        return f"reply does not decrypt ({error})"
    if owner != app.app_key:
        return f"reply is encrypted for owner key {owner!r}, not the app key"
    if message != b"success":
        return f"reply decrypts to {message[:40]!r}, not success"
    return ""


def _flip(hex_digest: str) -> str:
    last = hex_digest[-1]
    return hex_digest[:-1] + ("0" if last != "0" else "1")

"""Feishu pushing a contact event (schema 2.0) or its URL handshake to an app's request URL (hr-sources.md §2).

An event is `{"schema": "2.0", "header": {event_id, event_type, create_time (ms, a string), token, app_id,
tenant_key}, "event": {"object": …, "old_object": …}}`, encrypted with the Encrypt Key into `{"encrypt": …}` and
signed in `X-Lark-Request-Timestamp`, `X-Lark-Request-Nonce` and `X-Lark-Signature`. It counts as delivered on an
HTTP 200 within 3 s; a failure is retried after 15 s, 5 min, 1 h and 6 h (Feishu's documented schedule, seen only
in a copy of its event overview). The URL handshake `{"challenge", "token", "type": "url_verification"}` succeeds
only if the challenge comes back as `{"challenge": …}` within 1 s; it is made once, when the URL is saved.

Not confirmed, chosen: the timestamp header is in seconds; a push with `encrypt: false` plays an app with no
Encrypt Key, so it is plaintext and unsigned (the signature needs the key); a retry is the same event JSON with a
fresh IV, timestamp and nonce.
"""

from __future__ import annotations

import copy
import json
import secrets
import string
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from localcloud.feishu import crypto
from localcloud.hrpush.delivery import Answer, Outgoing, Push

DEADLINE_MS = 3000
CHALLENGE_DEADLINE_MS = 1000
DEFAULT_RETRY_DELAYS: tuple[float, ...] = (15.0, 300.0, 3600.0, 21600.0)
EVENT_TYPES = ("contact.user.created_v3", "contact.user.updated_v3", "contact.user.deleted_v3")
TAMPERS = ("signature", "token", "encrypt_key")
TENANT_KEY = "1d0c5e8a7f3b2c4d"
OTHER_ENCRYPT_KEY = "not the app's encrypt key"
OTHER_TOKEN = "not-the-verification-token"  # noqa: S105 - a deliberately wrong value
_NONCE_ALPHABET = string.ascii_letters + string.digits


@dataclass(frozen=True)
class FeishuApp:
    encrypt_key: str
    verification_token: str
    app_id: str


def event(
    app: FeishuApp,
    event_type: str,
    event_id: str,
    create_ms: int,
    user: Mapping[str, Any],
    old_user: Mapping[str, Any] | None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"object": copy.deepcopy(dict(user))}
    if old_user is not None:
        body["old_object"] = copy.deepcopy(dict(old_user))
    return {
        "schema": "2.0",
        "header": {
            "event_id": event_id,
            "event_type": event_type,
            "create_time": str(create_ms),
            "token": app.verification_token,
            "app_id": app.app_id,
            "tenant_key": TENANT_KEY,
        },
        "event": body,
    }


def new_event_id() -> str:
    return uuid.uuid4().hex


def _outgoing(app: FeishuApp, document: Mapping[str, Any], encrypt: bool, tamper: str | None) -> Outgoing:
    raw = json.dumps(document, ensure_ascii=False).encode("utf-8")
    headers = {"Content-Type": "application/json; charset=utf-8"}
    if not encrypt:
        return Outgoing("", headers, raw)
    key = OTHER_ENCRYPT_KEY if tamper == "encrypt_key" else app.encrypt_key
    body = json.dumps({"encrypt": crypto.encrypt(key, raw)}).encode("utf-8")
    timestamp = str(int(time.time()))
    nonce = "".join(secrets.choice(_NONCE_ALPHABET) for _ in range(16))
    sign = crypto.signature(timestamp, nonce, app.encrypt_key, body)
    if tamper == "signature":
        sign = sign[:-1] + ("0" if sign[-1] != "0" else "1")
    headers.update({"X-Lark-Request-Timestamp": timestamp, "X-Lark-Request-Nonce": nonce, "X-Lark-Signature": sign})
    return Outgoing("", headers, body)


def build_event_push(
    app: FeishuApp,
    url: str,
    document: dict[str, Any],
    *,
    encrypt: bool,
    tamper: str | None,
    retry_delays: list[float],
    summary: dict[str, object],
) -> Push:
    sent = copy.deepcopy(document)
    if tamper == "token":
        sent["header"]["token"] = OTHER_TOKEN
    header = document["header"]
    return Push(
        platform="feishu",
        event_type=str(header["event_type"]),
        event_id=str(header["event_id"]),
        url=url,
        deadline_ms=DEADLINE_MS,
        build=lambda: _outgoing(app, sent, encrypt, tamper),
        judge=lambda answer: "" if answer.status == 200 else f"HTTP {answer.status}",
        retry_delays=retry_delays,
        summary=summary,
        plaintext=json.dumps(sent, ensure_ascii=False),
    )


def build_challenge_push(app: FeishuApp, url: str, challenge: str, *, encrypt: bool) -> Push:
    document = {"challenge": challenge, "token": app.verification_token, "type": "url_verification"}
    return Push(
        platform="feishu",
        event_type="url_verification",
        event_id=None,
        url=url,
        deadline_ms=CHALLENGE_DEADLINE_MS,
        build=lambda: _outgoing(app, document, encrypt, None),
        judge=lambda answer: judge_challenge(challenge, answer),
        retry_delays=[],
        summary={"encrypted": encrypt},
        plaintext=json.dumps(document, ensure_ascii=False),
    )


def judge_challenge(challenge: str, answer: Answer) -> str:
    if answer.status != 200:
        return f"HTTP {answer.status}"
    try:
        reply = json.loads(answer.body)
    except ValueError:
        return "reply is not JSON"
    if not isinstance(reply, dict) or "challenge" not in reply:
        return "reply has no challenge"
    if reply["challenge"] != challenge:
        return "reply's challenge is not the one sent"
    return ""


def new_challenge() -> str:
    return secrets.token_urlsafe(12)

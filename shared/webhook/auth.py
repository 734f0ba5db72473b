"""Webhook authentication: HMAC-SHA256 over "<timestamp>.<raw body>", within a five-minute window.

Headers: `X-Timestamp: <unix seconds>` and `X-Signature: sha256=<hex>`. Signing the timestamp with the body
binds them, so an old request cannot be replayed with a fresh timestamp; the window bounds how long a captured
request stays usable. The comparison is constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import time

WINDOW_SECONDS = 300


class WebhookAuthError(Exception):
    """Why a request is not authenticated; the message is safe to send back (it names no secret)."""


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def verify(secret: str, timestamp: str | None, signature: str | None, body: bytes, now: float | None = None) -> None:
    if not secret:
        raise WebhookAuthError("the webhook has no WEBHOOK_SECRET configured, so it accepts nothing")
    if not timestamp:
        raise WebhookAuthError("X-Timestamp header is missing")
    if not signature:
        raise WebhookAuthError("X-Signature header is missing")
    if not (timestamp.isascii() and timestamp.isdigit()):  # str.isdigit() also takes "²" and Arabic-Indic digits
        raise WebhookAuthError("X-Timestamp must be unix seconds")
    if not signature.startswith("sha256=") or len(signature) != len("sha256=") + 64:
        raise WebhookAuthError("X-Signature must be sha256=<64 hex digits>")
    current = time.time() if now is None else now
    if abs(current - int(timestamp)) > WINDOW_SECONDS:
        raise WebhookAuthError(f"X-Timestamp is outside the {WINDOW_SECONDS // 60}-minute window")
    expected = sign(secret, timestamp, body)
    if not hmac.compare_digest(expected.encode("ascii"), signature.encode("ascii", "replace")):
        raise WebhookAuthError("X-Signature does not match the body")

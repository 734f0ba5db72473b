"""Platform timestamps: DingTalk sends 13-digit milliseconds, Feishu's header is seconds or milliseconds (which one is
not confirmed), older payloads mix both; read them one way, and judge freshness one way."""

from __future__ import annotations


def milliseconds(value: object) -> int | None:
    """A platform timestamp (13-digit milliseconds, or 10-digit seconds; number or string) as milliseconds."""
    text = str(value) if isinstance(value, (int, str)) and not isinstance(value, bool) else ""
    if not (text.isascii() and text.isdigit()) or len(text) > 13:  # str.isdigit() alone also takes "²"
        return None
    return int(text) * (1000 if len(text) <= 10 else 1)


def fresh(timestamp: object, now_ms: int, window_seconds: int) -> bool:
    stamp = milliseconds(timestamp)
    return stamp is not None and abs(now_ms - stamp) <= window_seconds * 1000

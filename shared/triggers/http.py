"""FC3 HTTP trigger events in, FC3 HTTP responses out, and RFC 9457 problem details for every refusal.

FC hands the handler a JSON document (headers canonicalised the Go way, repeated values comma-joined, binary
bodies base64-encoded) and expects `{statusCode, headers, isBase64Encoded, body}` back.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

PROBLEM_TYPE_BASE = "tag:dms-onboarding,2026:problems/"
"""RFC 4151 tag URIs: names this project mints, not addresses; the README's "Problem types" table lists them."""


class BadHttpEvent(Exception):  # noqa: N818 - reads as what it is
    """The trigger event itself is not an FC3 HTTP event."""


@dataclass(frozen=True)
class HttpRequest:
    method: str
    path: str
    headers: Mapping[str, str]
    """Lower-cased names."""
    query: Mapping[str, str]
    body: bytes
    request_id: str = ""

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @classmethod
    def from_fc(cls, event: bytes | str | Mapping[str, Any]) -> HttpRequest:
        data = json.loads(event) if isinstance(event, (bytes, str)) else event
        if not isinstance(data, Mapping) or "requestContext" not in data:
            raise BadHttpEvent("not an FC3 HTTP trigger event")
        context = data.get("requestContext") or {}
        http = context.get("http") or {}
        raw = data.get("body") or ""
        if data.get("isBase64Encoded"):
            try:
                body = base64.b64decode(raw, validate=True)
            except (binascii.Error, ValueError):
                raise BadHttpEvent("isBase64Encoded body is not base64") from None
        else:
            body = raw.encode("utf-8") if isinstance(raw, str) else bytes(raw)
        headers = {str(k).lower(): str(v) for k, v in (data.get("headers") or {}).items()}
        query = {str(k): str(v) for k, v in (data.get("queryParameters") or {}).items()}
        return cls(
            method=str(http.get("method") or "GET").upper(),
            path=str(http.get("path") or data.get("rawPath") or "/"),
            headers=headers,
            query=query,
            body=body,
            request_id=str(context.get("requestId") or ""),
        )


def response(status: int, body: Any, headers: Mapping[str, str] | None = None) -> dict[str, Any]:
    text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    out = {"Content-Type": "application/json"}
    out.update(headers or {})
    return {"statusCode": status, "headers": out, "isBase64Encoded": False, "body": text}


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    slug: str,
    errors: Sequence[Mapping[str, str]] = (),
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """An RFC 9457 problem: `type` names the kind, `errors` lists each field and reason."""
    document: dict[str, Any] = {"type": PROBLEM_TYPE_BASE + slug, "title": title, "status": status, "detail": detail}
    if errors:
        document["errors"] = [dict(e) for e in errors]
    document.update(extra)
    return response(status, document, {"Content-Type": "application/problem+json", **(headers or {})})

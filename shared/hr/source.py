"""The one small interface every HR platform's adapter implements for the webhook.

An adapter authenticates a request in its platform's own scheme, answers the platform's handshake, and turns a push
into a `Notice` (shared.hr.notice); it does nothing else, so the webhook can answer inside the platform's deadline
(DingTalk 1.5 s, Feishu 3 s and 1 s for its challenge). Everything slower (user details, UIDs, DMS) is the worker's.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from shared.hr.notice import Notice
from shared.triggers.http import HttpRequest

What = Literal["handshake", "event", "ignored", "unusable"]


@dataclass(frozen=True)
class Received:
    """An authenticated push: the reply the platform expects once `notice` (if any) is safely queued."""

    what: What
    reply: Mapping[str, Any]
    notice: Notice | None = None
    platform_type: str = ""
    platform_event_id: str = ""
    problem: tuple[str, str] = ("", "")
    """(field, reason) of an `unusable` push: an event type we take, without the person it is about."""
    document: Mapping[str, Any] | None = None
    """The unusable push's message as it came, to be kept with its reason."""


class Refused(Exception):  # noqa: N818 - reads as what it is
    """A request the platform did not send, or not for this app: answered with `status`, `detail` naming what failed
    (never a secret), and nothing queued."""

    def __init__(self, status: int, slug: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.slug = slug
        self.detail = detail


class HrSource(Protocol):
    name: str
    """The route's last segment and the canonical events' `source`: "dingtalk", "feishu"."""

    def receive(self, request: HttpRequest, now_ms: int) -> Received:
        """The authenticated push, or Refused."""
        ...


def json_body(request: HttpRequest, what: str) -> Mapping[str, Any]:
    """The body as a JSON object, or a 400 naming `what` should have been there."""
    try:
        data = json.loads(request.body)
    except (ValueError, RecursionError):
        raise Refused(400, "invalid-push", f"body: not JSON ({what} expected)") from None
    if not isinstance(data, dict):
        raise Refused(400, "invalid-push", f"body: must be a JSON object ({what})")
    return data


def first(data: Mapping[str, Any], *names: str) -> Any:
    """The value under the first of `names` present: platforms spell the same key in more than one casing."""
    for name in names:
        if name in data:
            return data[name]
    return None

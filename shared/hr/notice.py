"""What the webhook enqueues for a platform push: the platform's news about some people, not yet canonical events.

DingTalk says only "these user ids joined" and Feishu, though it sends the whole person, does not know their
Alibaba Cloud UID; both need lookups (user details, RAM, the register) that take longer than a platform waits for
its answer. So the webhook authenticates, acknowledges and enqueues a notice, and the worker turns it into one
canonical event per person (shared.identity.expansion).

Each person's canonical event id is derived from the platform's event id and the person's HR id, so a push the
platform repeats (or a notice redelivered) becomes the same event again, which the register recognises: one effect.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal

from shared.contract.vocabulary import IDENTIFIER_MAX

CanonicalType = Literal["employee.hired", "employee.updated", "employee.left"]
_UNSAFE = re.compile(r"[^A-Za-z0-9._:-]")


@dataclass(frozen=True)
class Notice:
    source: str
    """"dingtalk" or "feishu"."""
    platform_event_id: str
    type: CanonicalType
    platform_type: str
    """The platform's own name for the event (user_add_org, contact.user.created_v3), for logs and outcomes."""
    occurred_at_ms: int
    hr_ids: tuple[str, ...]
    people: tuple[Mapping[str, Any], ...] = field(default_factory=tuple)
    """The whole person per hr id, where the platform sent it (Feishu); empty where it must be fetched (DingTalk)."""

    def occurred_at(self) -> datetime:
        return datetime.fromtimestamp(self.occurred_at_ms / 1000, tz=timezone.utc)

    def event_id(self, hr_id: str) -> str:
        """The canonical event id of this notice's news about `hr_id`, within the contract's identifier rules."""
        text = f"{self.source}:{self.platform_event_id}:{hr_id}"
        if len(text) <= IDENTIFIER_MAX and not _UNSAFE.search(text):
            return text
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]
        return f"{self.source}:{digest}"

    def only(self, hr_id: str) -> Notice:
        """This notice about one of its people: what is dead-lettered when that person alone could not be done."""
        index = self.hr_ids.index(hr_id)
        people = (self.people[index],) if index < len(self.people) else ()
        return Notice(
            self.source, self.platform_event_id, self.type, self.platform_type, self.occurred_at_ms, (hr_id,), people
        )

    def to_json_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "source": self.source,
            "platform_event_id": self.platform_event_id,
            "type": self.type,
            "platform_type": self.platform_type,
            "occurred_at_ms": self.occurred_at_ms,
            "hr_ids": list(self.hr_ids),
        }
        if self.people:
            data["people"] = [dict(person) for person in self.people]
        return data


class NoticeError(ValueError):
    """A queued notice this version cannot read (hand-made, or from a newer version): rejected, kept."""


def notice_from(data: Mapping[str, Any]) -> Notice:
    def text(name: str) -> str:
        value = data.get(name)
        if not isinstance(value, str) or not value:
            raise NoticeError(f"{name}: must be a non-empty string")
        return value

    kind = text("type")
    if kind not in ("employee.hired", "employee.updated", "employee.left"):
        raise NoticeError("type: must be employee.hired, employee.updated or employee.left")
    when = data.get("occurred_at_ms")
    if not isinstance(when, int) or isinstance(when, bool) or not 0 < when < 253402300800000:
        raise NoticeError("occurred_at_ms: must be milliseconds since 1970 before year 10000")
    hr_ids = data.get("hr_ids")
    if not isinstance(hr_ids, list) or not hr_ids or not all(isinstance(i, str) and i for i in hr_ids):
        raise NoticeError("hr_ids: must be a non-empty list of strings")
    people = data.get("people", [])
    if not isinstance(people, list) or not all(isinstance(p, Mapping) for p in people):
        raise NoticeError("people: must be a list of objects")
    if people and len(people) != len(hr_ids):
        raise NoticeError("people: must hold one person per hr id")
    return Notice(
        source=text("source"),
        platform_event_id=text("platform_event_id"),
        type=kind,  # type: ignore[arg-type]
        platform_type=text("platform_type"),
        occurred_at_ms=when,
        hr_ids=tuple(hr_ids),
        people=tuple(people),
    )


def unique(ids: Sequence[str]) -> tuple[str, ...]:
    """The ids in order, each once: a platform listing one person twice still means one event for them."""
    return tuple(dict.fromkeys(ids))


def identity_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    """Best effort on a queued notice, for an outcome about it as a whole (a notice parked after its replays):
    the canonical event id when it is about one person, the platform's event id otherwise."""
    try:
        notice = notice_from(data)
    except NoticeError:
        return {"event_id": f"notice:{data.get('platform_event_id')}", "source": str(data.get("source") or "")}
    event_id = notice.event_id(notice.hr_ids[0]) if len(notice.hr_ids) == 1 else notice.event_id("*")
    return {"event_id": event_id, "source": notice.source, "type": notice.type}

"""The outcome event: one CloudEvents 1.0 JSON document for every input, whatever became of it.

Its `id` is derived from the input's source and event id, so a redelivered input yields the same outcome id
and consumers can deduplicate on it. The status says what became of the person: `provisioned` (a new DMS user),
`updated` (an existing user changed: roles, nickname, mobile, workspaces, re-enabled), `deprovisioned` (a leave
took access away), `unchanged` (DMS already matched), `superseded` (a newer event for the person was applied
already; no DMS call made), `held` (a leave kept back by the mass-leaver breaker), `rejected` (the input was
invalid), `failed` (DMS or the register said no, or kept failing), `dry_run` (planned only), `drifted`
(reconcile in report mode found DMS differing), `quarantined` (parked after too many replays, or discarded).

Steps and problems stay typed here (`StepResult`, `Problem`) and become JSON only in `to_cloudevent`.
"""

from __future__ import annotations

import functools
import hashlib
import json
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from shared.contract.problems import Problem
from shared.lifecycle.steps import WRITE_STEPS, StepResult

Status = Literal[
    "provisioned",
    "updated",
    "deprovisioned",
    "unchanged",
    "superseded",
    "held",
    "rejected",
    "failed",
    "dry_run",
    "drifted",
    "quarantined",
]

OUTCOME_NAMESPACE = "6b1f4f0e-6f7a-5c1e-9b55-0d3c4e9a1f20"
_NAMESPACE_BYTES = bytes.fromhex(OUTCOME_NAMESPACE.replace("-", ""))
OUTCOME_TYPE = "dms.onboarding.outcome"
OUTCOME_SOURCE = "dms-onboarding"
MESSAGE_TAGS: dict[str, str] = {
    "provisioned": "provisioned",
    "updated": "updated",
    "deprovisioned": "deprovisioned",
    "unchanged": "unchanged",
    "superseded": "superseded",
    "held": "held",
    "rejected": "rejected",
    "failed": "failed",
    "dry_run": "dry_run",
    "drifted": "drifted",
    "quarantined": "quarantined",
}
"""MNS MessageTag per status (a tag holds at most 16 characters), for FilterTag subscriptions."""


def outcome_id(source: str, event_id: str) -> str:
    """RFC 4122 UUID version 5 of "<source>\\n<event_id>" in OUTCOME_NAMESPACE, what uuid.uuid5 gives, without the
    uuid module's per-call validation: it is computed for every event."""
    digest = bytearray(hashlib.sha1(_NAMESPACE_BYTES + f"{source}\n{event_id}".encode()).digest()[:16])  # noqa: S324
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    text = digest.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


@dataclass(frozen=True)
class Outcome:
    status: Status
    event_id: str
    event_source: str
    correlation_id: str
    event_type: str = ""
    uid: str = ""
    plan: Mapping[str, Any] | None = None
    steps: Sequence[StepResult] = ()
    problems: Sequence[Problem] = ()
    detail: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    @functools.cached_property
    def id(self) -> str:
        return outcome_id(self.event_source, self.event_id)

    @property
    def attempts(self) -> int:
        return sum(step.attempts for step in self.steps)

    @property
    def tag(self) -> str:
        return MESSAGE_TAGS[self.status]

    def to_cloudevent(self, now: float | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {
            "status": self.status,
            "event_id": self.event_id,
            "event_source": self.event_source,
            "event_type": self.event_type,
            "uid": self.uid,
            "attempts": self.attempts,
            "steps": [step.to_dict() for step in self.steps],
        }
        if self.plan is not None:
            data["plan"] = dict(self.plan)
        if self.problems:
            data["problems"] = [problem.to_dict() for problem in self.problems]
        if self.detail:
            data["detail"] = self.detail
        data.update(self.extra)
        event: dict[str, Any] = {
            "specversion": "1.0",
            "id": self.id,
            "source": OUTCOME_SOURCE,
            "type": OUTCOME_TYPE,
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
            "datacontenttype": "application/json",
            "correlationid": self.correlation_id,
            "data": data,
        }
        if self.uid:
            event["subject"] = self.uid
        return event

    def to_json(self, now: float | None = None) -> str:
        return json.dumps(self.to_cloudevent(now), ensure_ascii=False, separators=(",", ":"))


def status_from_steps(steps: Sequence[StepResult], active: bool = True) -> Status:
    """`failed` if any call failed; else by the writes made: none is `unchanged`, any for a leave
    `deprovisioned`, a registration `provisioned`, anything else `updated`. An `already` answer counts as a write:
    this event's effect, whose first answer was lost."""
    if any(step.result == "failed" for step in steps):
        return "failed"
    writes = {step.step for step in steps if step.step in WRITE_STEPS and step.result in ("done", "already")}
    if not writes:
        return "unchanged"
    if not active:
        return "deprovisioned"
    return "provisioned" if "register_user" in writes else "updated"


RawEvent = bytes | str | Mapping[str, object]


@dataclass(frozen=True)
class Identity:
    """What can be said about an input even when it is not a valid event, so its outcome can be matched."""

    event_id: str
    source: str
    correlation_id: str
    event_type: str = ""
    uid: str = ""

    def outcome(self, status: Status, **fields: Any) -> Outcome:
        """An outcome for an input that never became a valid event (rejected, or parked unparsed)."""
        return Outcome(
            status=status,
            event_id=self.event_id,
            event_source=self.source,
            correlation_id=self.correlation_id,
            event_type=self.event_type,
            uid=self.uid,
            **fields,
        )


def _best_effort_fields(raw: RawEvent) -> dict[str, Any]:
    if isinstance(raw, Mapping):
        return dict(raw)
    if not isinstance(raw, (bytes, str)):
        return {}  # a queue message that was a JSON array, number or null: nothing to identify it by
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return {}
    return data if isinstance(data, dict) else {}


def _bounded_text(value: object, limit: int = 128) -> str:
    if not isinstance(value, str) or not _encodable(value[:limit]):
        return ""  # a lone surrogate (from a \\ud800 escape) can be neither an outcome id's name nor sent anywhere
    return value[:limit]


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def identify(raw: RawEvent, correlation_id: str | None) -> Identity:
    """Best effort on untrusted input: strings only, bounded, never the mobile."""
    data = _best_effort_fields(raw)
    employee = data.get("employee")
    uid = employee.get("uid") if isinstance(employee, dict) else None
    event_id = _bounded_text(data.get("event_id")) or f"invalid:{uuid.uuid4()}"
    return Identity(
        event_id=event_id,
        source=_bounded_text(data.get("source"), 64) or "unknown",
        correlation_id=correlation_id or _bounded_text(data.get("correlation_id")) or str(uuid.uuid4()),
        event_type=_bounded_text(data.get("type"), 64),
        uid=uid if isinstance(uid, str) and uid.isdigit() and len(uid) <= 32 else "",
    )

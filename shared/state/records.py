"""What the person register holds, and how a record lies in a Tablestore row, without the SDK.

The row layout is the register's durable contract with every deployed version of the functions, so it is
written down once, here: plain columns a person can read in the console, JSON only where the shape belongs to
another layer (`desired`) or is a list (`granted`). Reading is forgiving (a missing or mistyped column reads as
its default) because a row may have been written by an older or newer version during a rolling deploy.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

CONTROL_PREFIX = "~"
"""Rows whose uid starts with it are control documents, never persons. `~` sorts after every digit and letter,
so persons (digit strings) and control rows never interleave in a scan."""

_ORIGIN = datetime(1, 1, 1, tzinfo=timezone.utc)
_MICROSECOND = timedelta(microseconds=1)


def version_key(occurred_at: datetime, event_id: str) -> str:
    """Sortable text of (occurred_at, event_id), so that Tablestore and Python order events alike by comparing
    strings: fixed-width microseconds since 0001-01-01T00:00:00Z, then `|`, then the event id for ties."""
    if occurred_at.utcoffset() is None:
        raise ValueError("occurred_at must be timezone-aware")
    micros = (occurred_at - _ORIGIN) // _MICROSECOND
    if micros < 0:
        raise ValueError("occurred_at is before 0001-01-01T00:00:00Z")
    return f"{micros:020d}|{event_id}"


@dataclass(frozen=True)
class Grant:
    """A workspace membership the product granted, so the only kind it may ever take away."""

    workspace_id: str
    dms_unit: str | None = None


@dataclass(frozen=True)
class PersonRecord:
    uid: str
    version: str = ""
    """version_key of the newest event applied; "" when none yet."""
    event_id: str = ""
    event_source: str = ""
    event_type: str = ""
    status: str = ""
    """"active", "left" or ""."""
    desired: Mapping[str, Any] = field(default_factory=dict)
    """An opaque JSON object that the lifecycle layer owns."""
    granted: tuple[Grant, ...] = ()
    converged: bool = False
    """The newest event's convergence completed."""
    lease_token: str = ""
    lease_until_ms: int = 0
    """Wall-clock ms (time.time() * 1000) until which lease_token holds the person."""
    revision: int = 0
    """0 means "not stored"; every save increments it."""
    updated_at_ms: int = 0

    def lease_held(self, token: str, now_ms: int) -> bool:
        """Held by someone other than `token` and not expired."""
        return bool(self.lease_token) and self.lease_token != token and now_ms < self.lease_until_ms


@dataclass(frozen=True)
class ControlRecord:
    name: str
    document: Mapping[str, Any]
    revision: int = 0


Columns = list[tuple[str, Any]]


def _json(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False, allow_nan=False)


def _text(row: Mapping[str, Any], name: str) -> str:
    value = row.get(name)
    return value if isinstance(value, str) else ""


def _integer(row: Mapping[str, Any], name: str) -> int:
    value = row.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _object(row: Mapping[str, Any], name: str, where: str) -> dict[str, Any]:
    text = _text(row, name)
    if not text:
        return {}
    value = json.loads(text)
    if not isinstance(value, dict):
        raise ValueError(f"{where}: column {name} holds JSON that is not an object")
    return value


def _grants(row: Mapping[str, Any], where: str) -> tuple[Grant, ...]:
    text = _text(row, "granted")
    if not text:
        return ()
    pairs = json.loads(text)
    grants = []
    for pair in pairs if isinstance(pairs, list) else [None]:
        if not (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], str)):
            raise ValueError(f"{where}: column granted is not a list of [workspace_id, unit or null] pairs")
        grants.append(Grant(pair[0], pair[1] if isinstance(pair[1], str) else None))
    return tuple(grants)


def revision_of(row: Mapping[str, Any]) -> int:
    return _integer(row, "revision")


def write_id_of(row: Mapping[str, Any]) -> str:
    return _text(row, "write_id")


def person_columns(record: PersonRecord, revision: int, updated_at_ms: int, write_id: str) -> Columns:
    return [
        ("version", record.version),
        ("event_id", record.event_id),
        ("event_source", record.event_source),
        ("event_type", record.event_type),
        ("status", record.status),
        ("desired", _json(dict(record.desired))),
        ("granted", _json([[g.workspace_id, g.dms_unit] for g in record.granted])),
        ("converged", bool(record.converged)),
        ("lease_token", record.lease_token),
        ("lease_until_ms", int(record.lease_until_ms)),
        ("revision", revision),
        ("updated_at_ms", updated_at_ms),
        ("write_id", write_id),
    ]


def person_from_row(uid: str, row: Mapping[str, Any]) -> PersonRecord:
    converged = row.get("converged")
    return PersonRecord(
        uid=uid,
        version=_text(row, "version"),
        event_id=_text(row, "event_id"),
        event_source=_text(row, "event_source"),
        event_type=_text(row, "event_type"),
        status=_text(row, "status"),
        desired=_object(row, "desired", f"person {uid}"),
        granted=_grants(row, f"person {uid}"),
        converged=converged if isinstance(converged, bool) else False,
        lease_token=_text(row, "lease_token"),
        lease_until_ms=_integer(row, "lease_until_ms"),
        revision=revision_of(row),
        updated_at_ms=_integer(row, "updated_at_ms"),
    )


def control_columns(record: ControlRecord, revision: int, updated_at_ms: int, write_id: str) -> Columns:
    return [
        ("document", _json(dict(record.document))),
        ("revision", revision),
        ("updated_at_ms", updated_at_ms),
        ("write_id", write_id),
    ]


def control_from_row(name: str, row: Mapping[str, Any]) -> ControlRecord:
    return ControlRecord(name, _object(row, "document", f"control document {name}"), revision_of(row))


def person_uid(uid: str) -> str:
    """The uid as a person's row key; ValueError for one that would land among the control rows."""
    if not uid:
        raise ValueError("uid must not be empty")
    if uid.startswith(CONTROL_PREFIX):
        raise ValueError(f"uid {uid!r} starts with {CONTROL_PREFIX!r}, which marks control rows")
    return uid


def control_uid(name: str) -> str:
    if not name:
        raise ValueError("a control document needs a name")
    return CONTROL_PREFIX + name

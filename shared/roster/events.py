"""Roster rows as canonical v1 HR events, judged by the contract; and the leave of each person a roster leaves out.

A roster row goes through the same door as any HR event (shared.contract.event), so what the webhook would refuse
the roster refuses too, in the same words, and the convergence downstream cannot tell a roster from an HR
system. Each row is judged on its own: a bad row is reported with its line and every problem, and the others go
on. A uid listed twice is an error for both rows, since the file cannot say which of them is the person.

Event ids are deterministic, `roster-<first 12 hex of the file's sha256>-<uid>`, so running the same file again
is a redelivery: the same outcome ids, and nothing to do when DMS already matches. `occurred_at` is the roster's
as-of time: set it to when the HR system exported the file, and an HR event that arrived since (a leave, a move)
is newer and stays applied, while the roster's row for that person is superseded.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from shared.contract.event import ContractError, parse_event
from shared.contract.problems import Problem
from shared.contract.vocabulary import DIGITS_MAX
from shared.roster.reading import OVERRIDES, PERSON, Roster, RosterRow

HIRED = "employee.hired"
UPDATED = "employee.updated"
LEFT = "employee.left"


@dataclass(frozen=True)
class Stamp:
    """What every event of one roster run shares."""

    source: str
    as_of: datetime
    sha256: str

    @property
    def digest(self) -> str:
        return self.sha256[:12]

    @property
    def correlation_id(self) -> str:
        """Follows every outcome of one file through logs and the result topic."""
        return f"roster-{self.digest}"

    @property
    def occurred_at(self) -> str:
        return rfc3339(self.as_of)

    def event_id(self, uid: str) -> str:
        return f"roster-{self.digest}-{uid}"

    def document(self, event_type: str, employee: Mapping[str, Any], event_id: str) -> dict[str, Any]:
        return {
            "schema_version": 1,
            "event_id": event_id,
            "source": self.source,
            "type": event_type,
            "occurred_at": self.occurred_at,
            "correlation_id": self.correlation_id,
            "employee": dict(employee),
        }


@dataclass(frozen=True)
class Entry:
    """A row the contract accepts: one person to converge."""

    line: int
    uid: str
    nickname: str
    employee: Mapping[str, Any] = field(repr=False)
    """As the event carries it; out of repr, since it holds the mobile."""

    def event(self, stamp: Stamp, event_type: str) -> dict[str, Any]:
        """A hire when the register has no active record of the person, an update when it has."""
        return stamp.document(event_type, self.employee, stamp.event_id(self.uid))


@dataclass(frozen=True)
class Rejection:
    """A row that is not converged, and why: every problem, never the value. Problems are located as the contract
    locates them (`employee.mobile`), as the rejected outcome publishes them; `column()` names the roster's."""

    line: int
    uid: str
    nickname: str
    problems: tuple[Problem, ...]
    document: Mapping[str, Any] = field(repr=False)
    """The event as built, so its rejected outcome can be published like any other input's."""


@dataclass(frozen=True)
class Prepared:
    entries: tuple[Entry, ...]
    rejections: tuple[Rejection, ...]

    @property
    def listed(self) -> frozenset[str]:
        """Every uid the roster names, its rejected rows' included: none of them may be taken for a leaver."""
        return frozenset(e.uid for e in self.entries) | frozenset(r.uid for r in self.rejections if r.uid)


def prepare(roster: Roster, stamp: Stamp) -> Prepared:
    lines: dict[str, list[int]] = defaultdict(list)
    for row in roster.rows:
        if row.uid is not None:
            lines[row.uid.strip()].append(row.line)
    entries: list[Entry] = []
    rejections: list[Rejection] = []
    for row in roster.rows:
        uid = (row.uid or "").strip()
        employee = employee_of(row)
        problems: list[Problem] = []
        repeated = lines.get(uid, [])
        if len(repeated) > 1:
            listed = ", ".join(str(line) for line in repeated)
            problems.append(
                Problem("employee.uid", f"is listed {len(repeated)} times (lines {listed}): list each person once")
            )
        event_id = stamp.event_id(uid) if _is_uid(uid) and not problems else stamp.event_id(f"line{row.line}")
        document = stamp.document(HIRED, employee, event_id)
        nickname = str(employee.get("nickname", ""))
        try:
            event = parse_event(document)
        except ContractError as error:
            problems.extend(error.problems)
        else:
            nickname = event.employee.nickname or ""
        if problems:
            rejections.append(Rejection(row.line, uid if _is_uid(uid) else "", nickname, tuple(problems), document))
        else:
            entries.append(Entry(row.line, uid, nickname, employee))
    return Prepared(tuple(entries), tuple(rejections))


def employee_of(row: RosterRow) -> dict[str, Any]:
    values = row.values
    employee: dict[str, Any] = {name: values[name] for name in ("uid", "nickname", *PERSON) if name in values}
    dms = {name: values[name] for name in OVERRIDES if name in values}
    if dms:
        employee["dms"] = dms
    return employee


def leave(uid: str, stamp: Stamp) -> dict[str, Any]:
    """The leave of a person the roster leaves out: it names only them, as a leave needs."""
    return stamp.document(LEFT, {"uid": uid}, stamp.event_id(uid))


def column(field_path: str) -> str:
    """A contract field as the roster column it came from: `employee.dms.roles.1` is `roles.1`."""
    for prefix in ("employee.dms.", "employee."):
        if field_path.startswith(prefix):
            return field_path[len(prefix) :]
    return field_path


def stamp_problems(stamp: Stamp) -> list[Problem]:
    """What the contract says of the run's own settings (`--source`, `--as-of`), judged once, before any row."""
    probe = stamp.document(LEFT, {"uid": "1"}, "roster-probe")
    try:
        parse_event(probe)
    except ContractError as error:
        return list(error.problems)
    return []


def rfc3339(moment: datetime) -> str:
    precision = "seconds" if not moment.microsecond else "milliseconds" if moment.microsecond % 1000 == 0 else "auto"
    return moment.isoformat(timespec=precision)


def _is_uid(uid: str) -> bool:
    return uid.isascii() and uid.isdigit() and len(uid) <= DIGITS_MAX


FUTURE_SLACK = timedelta(minutes=5)
"""Clock skew tolerated in `--as-of`: a roster dated later than that would outrank every HR event until then."""


def parse_as_of(text: str, now: datetime) -> datetime:
    """`--as-of` as an aware datetime; a ValueError says what is wrong. It must carry a UTC offset, as every
    event's occurred_at must, and must not lie in the future: a typo'd year would let the roster's rows outrank
    every HR event (moves, leaves) for years."""
    cleaned = text.strip()
    if cleaned[-1:] in ("Z", "z"):
        cleaned = cleaned[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(cleaned)
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO 8601 date-time, e.g. 2025-03-01T09:00:00+08:00") from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{text!r} needs a UTC offset, e.g. 2025-03-01T09:00:00+08:00 or ...Z")
    if moment - now > FUTURE_SLACK:
        raise ValueError(f"{text!r} is in the future; give the time the HR system exported the roster")
    return moment

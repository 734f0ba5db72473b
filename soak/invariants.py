"""What must hold after any run, however the network behaved, checked from what the local cloud recorded.

Each check returns the violations it found as sentences a person can act on; an empty list is a pass.

Three kinds of evidence, read from the outside: what was sent and what came out (outcomes, queues); the state DMS
ends in; and the history behind it. The history is the call log (every call any emulator received, with the time
it arrived) and the person register's cell versions: the soak's register table keeps every version of every
cell, stamped by Tablestore with its own time in ms, so each person's row can be replayed write by write: who
held the lease when, which event each write claimed. Both are stamped by the same clock (the local cloud's, which
the soak never moves: `check_clock`), so a DMS call can be placed inside, or outside, a lease.
"""

from __future__ import annotations

import bisect
import itertools
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any

from shared.contract.event import parse_event
from shared.lifecycle.desired import Desired
from shared.lifecycle.mapping import RoleMapping, resolve_plan
from shared.lifecycle.outcome import outcome_id
from shared.messaging.formats import read_held, unwrap
from shared.state.register import version_key
from soak.chaos import DMS_WRITES
from soak.workload import LEFT, Planned

TERMINAL = frozenset({"provisioned", "updated", "deprovisioned", "unchanged", "superseded"})
"""What an event can finally come to; `failed` and `held` are on the way, `rejected` and `quarantined` are not
for a valid event."""
REGISTER_TABLE = "dms_onboarding_people"
PERSON_PARAMS = ("Uid", "MemberId", "SearchMemberId")
"""The parameters by which a DMS call names the person it is about."""
REVOKING = frozenset({"DisableUser", "DeleteUser", "RemoveUserToDataAgentWorkspace"})
APPLY_WINDOW_MS = 2000
"""How long after a Tablestore write arrives its cells may be stamped: far more than the emulator needs."""


@dataclass
class Evidence:
    """Everything the checks read: what was sent, what came out, and the cloud's state and history at the end."""

    sent: Sequence[Planned]
    webhook_answers: Mapping[int, tuple[int, Any]]
    """Index into `sent` -> (HTTP status, JSON body) of the webhook's final answer."""
    outcomes: Sequence[Mapping[str, Any]]
    calls: Sequence[Mapping[str, Any]]
    dms_state: Mapping[str, Any]
    mns_state: Mapping[str, Any]
    queues: Mapping[str, str]
    """Role -> queue name: input, dead_letter, parking, hold."""
    register: Mapping[str, Any] = field(default_factory=dict)
    """The Tablestore state (`GET /state/tablestore`): every table, row, cell and version."""
    held_seen: Sequence[str] = ()
    """Event ids of the leaves found on the hold queue before the operator released them."""
    clock: Mapping[str, Any] = field(default_factory=dict)
    """The local cloud's clock at the end (`offset_seconds`, `now_ms`)."""
    leaver_action: str = "disable"
    lost_calls: int = 0
    log_findings: Sequence[str] = field(default_factory=list)
    unsent: Mapping[str, str] = field(default_factory=dict)
    """Event id -> why the harness could not deliver it: the run then proves nothing about that event."""

    def to_json(self) -> dict[str, Any]:
        """Everything, as JSON, for `python -m soak --recheck` (empty long polls left out: they are most of the
        call log and none of the story)."""
        document = {f.name: getattr(self, f.name) for f in fields(self)}
        document["sent"] = [{**vars(p), "body": p.body.decode("utf-8")} for p in self.sent]
        document["webhook_answers"] = [[index, list(answer)] for index, answer in self.webhook_answers.items()]
        document["calls"] = [c for c in self.calls if not (c["action"] == "BatchReceiveMessage" and c["status"] == 404)]
        return document

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> Evidence:
        known = {f.name for f in fields(cls)}
        values = {name: value for name, value in document.items() if name in known}
        values["sent"] = [Planned(**{**p, "body": p["body"].encode("utf-8")}) for p in document["sent"]]
        values["webhook_answers"] = {int(index): tuple(answer) for index, answer in document["webhook_answers"]}
        return cls(**values)


# What was sent, and what each person should end up with


def _distinct(sent: Sequence[Planned]) -> dict[str, Planned]:
    return {p.event_id: p for p in sent if not p.duplicate}


@dataclass(frozen=True)
class Expected:
    """A person's newest event and the DMS state it asks for."""

    event_id: str
    version: str
    desired: Desired


def versions(sent: Sequence[Planned]) -> dict[str, str]:
    """Event id -> its version_key, for every valid event (poison included): the product's own order."""
    found = {}
    for planned in _distinct(sent).values():
        if planned.kind != "invalid":
            event = parse_event(planned.body)
            found[planned.event_id] = version_key(event.occurred_at, event.event_id)
    return found


def expected_states(sent: Sequence[Planned], mapping: RoleMapping) -> dict[str, Expected]:
    """uid -> the desired state of the person's newest event, worked out by the product's pure functions."""
    newest: dict[str, tuple[str, Planned]] = {}
    order = versions(sent)
    for planned in _distinct(sent).values():
        if planned.kind == "invalid":
            continue
        if planned.uid not in newest or order[planned.event_id] > newest[planned.uid][0]:
            newest[planned.uid] = (order[planned.event_id], planned)
    found = {}
    for uid, (version, planned) in newest.items():
        event = parse_event(planned.body)
        plan = resolve_plan(event, mapping) if event.type != LEFT else None
        found[uid] = Expected(planned.event_id, version, Desired.from_event(event, plan, None))
    return found


# Outcomes


def _by_event(outcomes: Iterable[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    found: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for outcome in outcomes:
        data = outcome.get("data") or {}
        found[str(data.get("event_id"))].append(outcome)
    return found


def _status(outcome: Mapping[str, Any]) -> str:
    return str((outcome.get("data") or {}).get("status"))


def check_outcomes(evidence: Evidence) -> list[str]:
    """Valid: exactly one terminal outcome id, the stable one. Invalid by queue: `rejected`. Poison: `quarantined`."""
    violations: list[str] = []
    outcomes = _by_event(evidence.outcomes)
    for event_id, planned in _distinct(evidence.sent).items():
        mine = outcomes.get(event_id, [])
        statuses = Counter(_status(o) for o in mine)
        expected_id = outcome_id(planned.document.get("source", ""), event_id)
        wrong_ids = {str(o.get("id")) for o in mine} - {expected_id}
        if wrong_ids:
            violations.append(f"{event_id}: outcome ids {sorted(wrong_ids)} differ from the stable {expected_id}")
        if planned.kind == "valid":
            terminal = {str(o.get("id")) for o in mine if _status(o) in TERMINAL}
            if len(terminal) != 1:
                violations.append(f"{event_id}: {len(terminal)} terminal outcome ids, statuses {dict(statuses)}")
            if statuses.keys() - TERMINAL - {"failed", "held"}:
                violations.append(f"{event_id}: a valid event ended {dict(statuses)}")
        elif planned.kind == "invalid" and planned.route != "webhook":
            if not statuses["rejected"] or statuses.keys() & TERMINAL:
                violations.append(f"{event_id}: an invalid event ended {dict(statuses)}, not rejected")
        elif planned.kind == "poison" and (not statuses["quarantined"] or statuses.keys() & TERMINAL):
            violations.append(f"{event_id}: a poison event ended {dict(statuses)}, not quarantined")
    return violations


def check_order(evidence: Evidence, expected: Mapping[str, Expected]) -> list[str]:
    """Superseded means superseded by a newer event of the same person, with no DMS call; a person's newest event
    is never superseded."""
    violations: list[str] = []
    order = versions(evidence.sent)
    distinct = _distinct(evidence.sent)
    for outcome in evidence.outcomes:
        data = outcome.get("data") or {}
        event_id = str(data.get("event_id"))
        if _status(outcome) != "superseded" or event_id not in order:
            continue
        steps = data.get("steps") or []
        if steps:
            violations.append(f"{event_id}: superseded, yet its outcome lists {len(steps)} DMS steps")
        newer = str(data.get("superseded_by") or "")
        if newer not in order or distinct[newer].uid != distinct[event_id].uid:
            violations.append(f"{event_id}: superseded by {newer or '(nothing)'}, not an event of the same person")
        elif order[newer] <= order[event_id]:
            violations.append(f"{event_id}: superseded by {newer}, which is not newer")
    outcomes = _by_event(evidence.outcomes)
    for uid, newest in expected.items():
        if distinct[newest.event_id].kind != "valid":
            continue
        statuses = {_status(o) for o in outcomes.get(newest.event_id, [])}
        if "superseded" in statuses:
            violations.append(f"uid {uid}: its newest event {newest.event_id} was superseded")
        if not statuses & (TERMINAL - {"superseded"}):
            violations.append(f"uid {uid}: its newest event {newest.event_id} was never applied ({sorted(statuses)})")
    return violations


def check_held(evidence: Evidence) -> list[str]:
    """A `held` leave was kept on the hold queue until released, and once released it was applied."""
    violations: list[str] = []
    kept = set(evidence.held_seen)
    outcomes = _by_event(evidence.outcomes)
    for event_id, mine in outcomes.items():
        statuses = {_status(o) for o in mine}
        if "held" not in statuses:
            continue
        if event_id not in kept:
            violations.append(f"{event_id}: held, but never found on the hold queue")
        if not statuses & TERMINAL:
            violations.append(f"{event_id}: held, and never applied after the release ({sorted(statuses)})")
    return violations


def check_webhook_answers(evidence: Evidence) -> list[str]:
    """Every webhook send was accepted, or, if invalid, refused with a 400 naming each field, and left no trace."""
    violations: list[str] = []
    outcomes = _by_event(evidence.outcomes)
    for index, planned in enumerate(evidence.sent):
        if planned.route != "webhook":
            continue
        status, body = evidence.webhook_answers.get(index, (0, None))
        if planned.kind == "invalid":
            errors = body.get("errors") if isinstance(body, dict) else None
            if status != 400 or not errors or not all(e.get("field") and e.get("reason") for e in errors):
                violations.append(f"{planned.event_id}: invalid event answered {status}, not 400 naming the field")
            if outcomes.get(planned.event_id):
                violations.append(f"{planned.event_id}: refused by the webhook, yet it has an outcome")
        elif status != 202:
            violations.append(f"{planned.event_id}: webhook answered {status} after every retry")
    return violations


# The state DMS ends in


def _memberships(dms_state: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = defaultdict(dict)
    for workspace in dms_state.get("workspaces", []):
        for member in workspace.get("members", []):
            found[str(member["MemberId"])][str(workspace["workspace_id"])] = str(member["RoleName"]).upper()
    return found


def check_final_state(evidence: Evidence, expected: Mapping[str, Expected]) -> list[str]:
    """Every person's DMS state is what their newest event asks for: an active person a NORMAL user with exactly
    its roles and nickname and exactly its workspace membership (or none); a leaver disabled (deleted with
    LEAVER_ACTION=delete, or never registered at all) and in no workspace."""
    violations: list[str] = []
    users: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for user in evidence.dms_state.get("users", []):
        users[str(user["uid"])].append(user)
    existing = {str(w["workspace_id"]) for w in evidence.dms_state.get("workspaces", [])}
    memberships = _memberships(evidence.dms_state)
    left_state = "DELETE" if evidence.leaver_action == "delete" else "DISABLE"
    for uid, newest in expected.items():
        desired, why = newest.desired, f"(newest event {newest.event_id})"
        found = users.get(uid, [])
        if len(found) > 1:
            violations.append(f"uid {uid}: {len(found)} DMS users, in tenants {[u.get('tid') for u in found]}")
        user = found[0] if found else None
        member = memberships.get(uid, {})
        if not desired.active:
            if user is not None and user.get("state") != left_state:
                violations.append(f"uid {uid}: left, yet the DMS user is {user.get('state')}, not {left_state} {why}")
            if member:
                violations.append(f"uid {uid}: left, yet still a member of {member} {why}")
            continue
        if user is None:
            violations.append(f"uid {uid}: active, yet not a DMS user {why}")
            continue
        if user.get("state") != "NORMAL":
            violations.append(f"uid {uid}: active, yet the DMS user is {user.get('state')} {why}")
        if sorted(user.get("role_names", [])) != sorted(desired.roles):
            violations.append(f"uid {uid}: DMS roles {user.get('role_names')}, wanted {list(desired.roles)} {why}")
        if user.get("nick") != desired.nickname:
            violations.append(f"uid {uid}: DMS nickname {user.get('nick')!r}, wanted {desired.nickname!r} {why}")
        target = desired.workspace
        # A workspace DMS does not have (a poison event's) can have no members.
        wanted = {target.workspace_id: target.role.upper()} if target and target.workspace_id in existing else {}
        if member != wanted:
            violations.append(f"uid {uid}: workspace membership {member}, wanted {wanted} {why}")
    return violations


def _ok(call: Mapping[str, Any]) -> bool:
    """The call took effect: answered 200 without an error code (a lost answer counts: drop_after, crash)."""
    return call.get("status") == 200 and not call.get("code")


def _person(call: Mapping[str, Any]) -> str | None:
    params = call.get("params") or {}
    for name in PERSON_PARAMS:
        if params.get(name):
            return str(params[name])
    return None


def _dms_calls(calls: Iterable[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    """uid -> the DMS calls about that person, in the order they arrived."""
    found: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for call in calls:
        uid = _person(call) if str(call.get("service", "")).startswith("dms") else None
        if uid is not None:
            found[uid].append(call)
    for mine in found.values():
        mine.sort(key=lambda c: (c["time"], c.get("seq", 0)))
    return found


def check_registrations(evidence: Evidence) -> list[str]:
    """No user registered twice: after one RegisterUser took effect, the next needs a DeleteUser in between."""
    violations: list[str] = []
    for uid, mine in _dms_calls(evidence.calls).items():
        registered = False
        for call in mine:
            if call["action"] == "RegisterUser" and _ok(call):
                if registered:
                    violations.append(f"uid {uid}: RegisterUser took effect again (seq {call.get('seq')})")
                registered = True
            elif call["action"] == "DeleteUser" and _ok(call):
                registered = False
    return violations


# The register's history: leases and claims


@dataclass(frozen=True)
class RowWrite:
    """One save of a person's row, as its cell versions show it."""

    revision: int
    at_ms: int
    """Tablestore's timestamp of the write (its `revision` cell's version)."""
    lease_token: str
    lease_until_ms: int
    version: str
    event_id: str
    event_type: str
    uncertain: bool = False
    """What this write shows may be another's: a write before it was lost, or the next one followed within a
    millisecond and may have stamped its first cells over this one's (see `register_history`)."""


@dataclass
class Lease:
    """One convergence's hold on a person: from the write that set its token to the write that cleared it, or to
    its `lease_until_ms`, whichever came first."""

    uid: str
    token: str
    acquired_ms: int
    until_ms: int
    writes: list[RowWrite]
    released_ms: int | None = None

    @property
    def end_ms(self) -> int:
        return self.until_ms if self.released_ms is None else min(self.released_ms, self.until_ms)

    def covers(self, at_ms: int) -> bool:
        return self.acquired_ms <= at_ms <= self.end_ms

    def claim_at(self, at_ms: int) -> RowWrite:
        """What the row said, under this lease, at `at_ms`: its latest own write by then."""
        return [w for w in self.writes if w.at_ms <= at_ms][-1]


def _at(cell: Sequence[Sequence[Any]], at_ms: int) -> Any:
    """A column's value as of `at_ms`: its newest version stamped no later (versions come newest first)."""
    for stamp, value in cell:
        if stamp <= at_ms:
            return value
    return None


def register_history(
    register: Mapping[str, Any], table: str = REGISTER_TABLE
) -> tuple[dict[str, list[RowWrite]], list[str]]:
    """uid -> the writes of that person's row in order, and the writes lost from the history.

    Every save writes every column and bumps `revision`, so each version of `revision` is one write, and the other
    columns' values at its timestamp are what that write put there (they precede `revision` in the write).

    Versions are milliseconds, and a version written again replaces the one there (on Tablestore as in the
    emulator), so two saves of one row within a millisecond or two can lose cells: the second's first cells may
    replace the first's (both in one millisecond), and when the clock has not moved by the second's `revision`,
    the first's revision is gone too, leaving a gap. It happens when a convergence claims and gives its lease back
    at once (a leave with nothing to revoke), or takes the lease right after another gave it back. Such writes are
    marked `uncertain`, and `leases` reads them the innocent way."""
    histories: dict[str, list[RowWrite]] = {}
    lost: list[str] = []
    for candidate in register.get("tables", []):
        if candidate.get("name") != table:
            continue
        for row in candidate.get("rows", []):
            uid = str(row["primary_key"][0])
            if uid.startswith("~"):
                continue  # a control document (the breaker), not a person
            columns = row.get("columns", {})
            writes = []
            previous = 0
            for stamp, revision in sorted(columns.get("revision", []), key=lambda item: item[1]):
                writes.append(
                    RowWrite(
                        int(revision),
                        int(stamp),
                        str(_at(columns.get("lease_token", []), stamp) or ""),
                        int(_at(columns.get("lease_until_ms", []), stamp) or 0),
                        str(_at(columns.get("version", []), stamp) or ""),
                        str(_at(columns.get("event_id", []), stamp) or ""),
                        str(_at(columns.get("event_type", []), stamp) or ""),
                        uncertain=int(revision) != previous + 1,
                    )
                )
                if int(revision) != previous + 1:
                    missing = list(range(previous + 1, int(revision)))
                    lost.append(f"uid {uid}: revisions {missing} overwritten in the same millisecond, at {stamp} ms")
                previous = int(revision)
            for index in range(len(writes) - 1):
                if writes[index + 1].at_ms - writes[index].at_ms <= 1:
                    writes[index] = replace(writes[index], uncertain=True)
            histories[uid] = writes
    return histories, lost


def leases(writes: Sequence[RowWrite], uid: str) -> list[Lease]:
    """The leases a row's writes show: a token set where it was not is an acquisition, "" a release.

    An `uncertain` write showing another token than the open lease's may hide a release of that lease in the same
    millisecond: it is read as one, at this write's time. A lease it hides would have lasted a millisecond and made
    no call, and a convergence that held on past it would show as calls outside any lease."""
    found: list[Lease] = []
    current: Lease | None = None
    for write in writes:
        hides_release = current is not None and current.released_ms is None and current.token != write.lease_token
        if write.uncertain and current is not None and hides_release:
            current.released_ms = write.at_ms
        if write.lease_token:
            if current is not None and current.released_ms is None and current.token == write.lease_token:
                current.writes.append(write)
                continue
            current = Lease(uid, write.lease_token, write.at_ms, write.lease_until_ms, [write])
            found.append(current)
        elif current is not None and current.released_ms is None:
            current.released_ms = write.at_ms
    return found


@dataclass
class History:
    """The register's history, person by person, with the DMS calls about each."""

    writes: dict[str, list[RowWrite]]
    leases: dict[str, list[Lease]]
    calls: dict[str, list[Mapping[str, Any]]]
    lost: list[str]
    """Writes overwritten by another in the same millisecond (see `register_history`): reported, not violations."""

    @classmethod
    def of(cls, evidence: Evidence) -> History:
        writes, lost = register_history(evidence.register)
        return cls(writes, {uid: leases(w, uid) for uid, w in writes.items()}, _dms_calls(evidence.calls), lost)

    def lease_at(self, uid: str, at_ms: int) -> Lease | None:
        return next((lease for lease in self.leases.get(uid, []) if lease.covers(at_ms)), None)

    def leaves_took_effect(self, uid: str) -> dict[str, tuple[int, str]]:
        """Version of each leave that took effect -> (when, its event id): its lease's first revocation."""
        found: dict[str, tuple[int, str]] = {}
        for call in self.calls.get(uid, []):
            if call["action"] not in REVOKING or not _ok(call):
                continue
            lease = self.lease_at(uid, _ms(call))
            claim = lease.claim_at(_ms(call)) if lease is not None else None
            if claim is not None and claim.event_type == LEFT and claim.version not in found:
                found[claim.version] = (_ms(call), claim.event_id)
        return found

    def newest_claimed(self, uid: str, at_ms: int) -> RowWrite | None:
        """The write that had claimed the newest version by `at_ms`."""
        written = [w for w in self.writes.get(uid, []) if w.at_ms <= at_ms]
        return max(written, key=lambda w: (w.version, w.revision), default=None)


def _ms(call: Mapping[str, Any]) -> int:
    return int(float(call["time"]) * 1000)


def _what(call: Mapping[str, Any]) -> str:
    return f"{call['action']} (seq {call.get('seq')}, at {_ms(call)} ms)"


def check_leases(evidence: Evidence, history: History) -> list[str]:
    """No two convergences of one person overlapped: a lease is acquired only after the one before it was
    released or ran out; and the row's claimed version never went backwards."""
    violations: list[str] = []
    for uid, mine in history.leases.items():
        for before, after in itertools.pairwise(mine):
            if after.acquired_ms < before.end_ms:
                violations.append(
                    f"uid {uid}: lease {after.token[:8]} acquired at {after.acquired_ms} ms while lease "
                    f"{before.token[:8]} (acquired at {before.acquired_ms} ms) held it until {before.end_ms} ms"
                )
    for uid, writes in history.writes.items():
        for earlier, later in itertools.pairwise(writes):
            if later.version < earlier.version:
                violations.append(
                    f"uid {uid}: revision {later.revision} claimed {later.event_id or '(nothing)'} at "
                    f"{later.at_ms} ms, older than {earlier.event_id} claimed before it"
                )
    return violations


def check_calls_in_leases(evidence: Evidence, history: History) -> list[str]:
    """Every DMS call about a person arrived while a lease held that person, crashed instances' calls included."""
    violations: list[str] = []
    for uid, mine in history.calls.items():
        outside = [call for call in mine if history.lease_at(uid, _ms(call)) is None]
        if outside:
            shown = ", ".join(_what(call) for call in outside[:3])
            violations.append(f"uid {uid}: {len(outside)} DMS calls outside any lease of that person: {shown}")
    return violations


def check_no_stale_writes(evidence: Evidence, history: History) -> list[str]:
    """No DMS write for a superseded event: each write arrived while the newest version claimed so far was the
    one claimed under its own lease, and a write an outcome reports is under the lease that claimed that event."""
    violations: list[str] = []
    by_request = {str(c["request_id"]): c for c in evidence.calls if c.get("request_id")}
    for uid, mine in history.calls.items():
        for call in mine:
            lease = history.lease_at(uid, _ms(call)) if call["action"] in DMS_WRITES else None
            if lease is None:
                continue
            claim, newest = lease.claim_at(_ms(call)), history.newest_claimed(uid, _ms(call))
            if newest is not None and claim.version != newest.version:
                violations.append(
                    f"uid {uid}: {_what(call)} under the lease of {claim.event_id or '(no event)'} while "
                    f"{newest.event_id} was claimed already: a write for a superseded event"
                )
    for outcome in evidence.outcomes:
        data = outcome.get("data") or {}
        uid, event_id = str(data.get("uid") or ""), str(data.get("event_id"))
        for step in data.get("steps") or []:
            reported = by_request.get(str(step.get("request_id") or ""))
            if reported is None or step.get("operation") not in DMS_WRITES:
                continue
            lease = history.lease_at(uid, _ms(reported))
            claimed = lease.claim_at(_ms(reported)).event_id if lease is not None else None
            if claimed is not None and claimed != event_id:
                violations.append(
                    f"uid {uid}: the outcome of {event_id} reports {_what(reported)}, made under the lease of {claimed}"
                )
    return violations


def _grants(call: Mapping[str, Any]) -> bool:
    """Whether a call that took effect gives access: a registration, an enable, a join, new roles, admin."""
    params = call.get("params") or {}
    action = call["action"]
    if action in ("RegisterUser", "EnableUser", "AddUserToDataAgentWorkspace"):
        return True
    if action == "UpdateUser":
        return bool(params.get("RoleNames"))
    if action == "UpdateDataAgentWorkspaceMemberRole":
        return str(params.get("RoleName", "")).upper() == "ADMIN"
    return False


def check_leaves_stick(evidence: Evidence, history: History) -> list[str]:
    """Once a leave took effect (its first revocation), nothing gave that person access again except under the
    lease of an event newer than the leave."""
    violations: list[str] = []
    for uid, mine in history.calls.items():
        for version, (since, leave) in history.leaves_took_effect(uid).items():
            for call in mine:
                if _ms(call) <= since or not _ok(call) or not _grants(call):
                    continue
                lease = history.lease_at(uid, _ms(call))
                claim = lease.claim_at(_ms(call)) if lease is not None else None
                if claim is None or claim.version <= version:
                    under = claim.event_id if claim is not None else "no lease"
                    violations.append(
                        f"uid {uid}: {_what(call)} gave access back after leave {leave} took effect at {since} ms, "
                        f"under {under}"
                    )
    return violations


def check_clock(evidence: Evidence) -> list[str]:
    """The call log and Tablestore's versions share a clock: the local cloud's was never moved, and every register
    write is stamped within moments of a Tablestore write call arriving."""
    violations: list[str] = []
    offset = float(evidence.clock.get("offset_seconds", 0) or 0)
    if offset:
        violations.append(
            f"the local cloud's clock was moved {offset:g} s: Tablestore's versions no longer match the call log"
        )
    arrivals = sorted(
        _ms(c)
        for c in evidence.calls
        if c.get("service") == "tablestore" and c.get("action") in ("PutRow", "UpdateRow") and _ok(c)
    )
    writes, _ = register_history(evidence.register)
    strays = [
        (uid, w.at_ms)
        for uid, mine in writes.items()
        for w in mine
        if not arrivals
        or (index := bisect.bisect_right(arrivals, w.at_ms)) == 0
        or w.at_ms - arrivals[index - 1] > APPLY_WINDOW_MS
    ]
    if strays:
        uid, stamp = strays[0]
        violations.append(
            f"{len(strays)} register writes (first: uid {uid} at {stamp} ms) follow no Tablestore write call within "
            f"{APPLY_WINDOW_MS} ms: the call log and Tablestore's versions do not share a clock"
        )
    return violations


# Queues, the wire, the harness


def _queue_messages(mns_state: Mapping[str, Any], name: str) -> list[Mapping[str, Any]]:
    for queue in mns_state.get("queues", []):
        if queue.get("QueueName") == name:
            return list(queue.get("Messages") or [])
    return []


def held_event_ids(messages: Iterable[Mapping[str, Any]]) -> list[str]:
    """The event ids of the leaves on the hold queue, from its records."""
    found = []
    for message in messages:
        record = read_held(str(message.get("MessageBody") or ""))
        event = unwrap(record["message"]).event if record is not None else None
        if isinstance(event, dict):
            found.append(str(event.get("event_id")))
    return found


def check_queues(evidence: Evidence) -> list[str]:
    """Nothing left in flight or held, and every invalid (queued) and poison event kept in the parking queue."""
    violations: list[str] = []
    for role in ("input", "dead_letter", "hold"):
        name = evidence.queues.get(role)
        left = _queue_messages(evidence.mns_state, name) if name else []
        if left:
            violations.append(f"{name}: {len(left)} messages left, not empty")
    parked = _parked_event_ids(_queue_messages(evidence.mns_state, evidence.queues["parking"]))
    for planned in _distinct(evidence.sent).values():
        must_park = planned.kind == "poison" or (planned.kind == "invalid" and planned.route != "webhook")
        if must_park and planned.event_id not in parked:
            violations.append(f"{planned.event_id}: a {planned.kind} event is not in the parking queue")
        if planned.kind == "valid" and planned.event_id in parked:
            violations.append(f"{planned.event_id}: a valid event was parked")
    return violations


def _parked_event_ids(messages: Iterable[Mapping[str, Any]]) -> set[str]:
    found: set[str] = set()
    for message in messages:
        record = json.loads(str(message.get("MessageBody") or "{}"))
        event = unwrap(str(record.get("message", ""))).event
        if isinstance(event, str):
            try:
                event = json.loads(event)
            except ValueError:
                continue
        if isinstance(event, dict):
            found.add(str(event.get("event_id")))
    return found


def check_sends(evidence: Evidence) -> list[str]:
    """Every planned send was delivered: a send the harness gave up on is a gap in the proof, never a pass."""
    return [f"{event_id}: not delivered by the harness ({reason})" for event_id, reason in evidence.unsent.items()]


def check_call_log(evidence: Evidence) -> list[str]:
    """The call log lost nothing before it was read: the history checks need every call."""
    if evidence.lost_calls:
        return [f"the call log dropped {evidence.lost_calls} records before they were read"]
    return []


GARBLED_CODES = frozenset({"MalformedXML", "SignatureDoesNotMatch"})
"""What MNS answers a request whose head and body came apart on the way, as a shared connection does."""


KILL_WINDOW_MS = 1000
"""How long after a crash kills the worker a request it was sending may still arrive, cut short."""


def check_wire(evidence: Evidence) -> list[str]:
    """No MNS request arrived garbled unless a fault was injected into it: a client would then be sharing a
    connection between threads, and what it believes it sent is not what MNS got. A request the worker was
    sending when a crash killed it arrives cut short (the local cloud reads the shorter body it gets), and is no
    client's confusion: those just after a kill are left out."""
    kills = sorted(_ms(c) for c in evidence.calls if c.get("fault") == "crash")

    def cut_short(call: Mapping[str, Any]) -> bool:
        index = bisect.bisect_right(kills, _ms(call))
        return index > 0 and _ms(call) - kills[index - 1] <= KILL_WINDOW_MS

    garbled = Counter(
        f"{call['action']} {call['code']}"
        for call in evidence.calls
        if call.get("service") == "mns"
        and call.get("code") in GARBLED_CODES
        and not call.get("fault")
        and not cut_short(call)
    )
    return [
        f"MNS refused {n} x {what} with no fault injected: a garbled request" for what, n in sorted(garbled.items())
    ]


def check_all(evidence: Evidence, mapping: RoleMapping) -> list[str]:
    expected = expected_states(evidence.sent, mapping)
    history = History.of(evidence)
    return [
        *check_sends(evidence),
        *check_wire(evidence),
        *check_call_log(evidence),
        *check_clock(evidence),
        *check_outcomes(evidence),
        *check_order(evidence, expected),
        *check_held(evidence),
        *check_webhook_answers(evidence),
        *check_final_state(evidence, expected),
        *check_registrations(evidence),
        *check_leases(evidence, history),
        *check_calls_in_leases(evidence, history),
        *check_no_stale_writes(evidence, history),
        *check_leaves_stick(evidence, history),
        *check_queues(evidence),
        *(f"log: {finding}" for finding in evidence.log_findings),
    ]

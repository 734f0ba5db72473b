"""One person at a time, newest event wins: the register's order and lease around read, difference, write.

For every event: read the person's row in the register; an event older than the newest one applied is
superseded and makes no DMS call at all. Otherwise take the person's lease by compare-and-set (an event that finds
it held by a live convergence is retried later: PersonBusyError), claim the event's version in the register before any
DMS write (so from that moment every older event is superseded, even if this one crashes half way), read DMS,
make the calls the difference needs, and give the lease back with what was granted.

Write-ahead claims are what make the dangerous direction impossible: once a leave has removed anything, its version
is already in the register, so a late hire can never re-grant it; and a workspace a hire is about to add is
recorded as granted before the add, so a crash after the add cannot leave a membership the product forgot.

A leave is claimed only after the mass-leaver breaker admits it: a held leave has not happened, and must not make
reconcile deprovision the person behind the operator's back. Each convergence works within its lease: its DMS
deadline is cut to the lease's expiry less a margin, so a lease can only expire under an instance that died.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from shared.dms.client import DmsClient
from shared.infra.retry import Deadline
from shared.lifecycle.breaker import LeaverBreaker
from shared.lifecycle.desired import Desired
from shared.lifecycle.difference import Difference, difference
from shared.lifecycle.observed import Observed, WorkspaceRef, observe
from shared.lifecycle.steps import Change, StepResult
from shared.state.register import (
    Grant,
    PersonRecord,
    PersonRegister,
    RegisterConfigurationError,
    RegisterUnavailableError,
    RevisionConflict,
)

ConvergedStatus = Literal["done", "superseded", "held", "failed", "planned", "busy"]
_CAS_ATTEMPTS = 8


class PersonBusyError(Exception):
    """Another convergence holds this person's lease: try the event again after `retry_after` seconds."""

    def __init__(self, uid: str, retry_after: float) -> None:
        super().__init__(f"person {uid} is being converged by another event; retry in {retry_after:.1f} s")
        self.uid = uid
        self.retry_after = retry_after


@dataclass(frozen=True)
class EventRef:
    """The event a convergence applies, as the register records it."""

    version: str
    event_id: str
    source: str
    type: str


@dataclass(frozen=True)
class Converged:
    status: ConvergedStatus
    steps: tuple[StepResult, ...] = ()
    superseded_by: str = ""
    reason: str = ""
    foreign: tuple[str, ...] = ()
    drift: tuple[str, ...] = ()
    lease: tuple[int, int] | None = None
    """(acquired, released) wall-clock ms of the lease this convergence held."""


class _LeaseLostError(Exception):
    """The lease is no longer ours (it expired under us): stop writing."""

    code = "LeaseLost"


class Convergence:
    def __init__(
        self,
        dms: DmsClient,
        register: PersonRegister,
        breaker: LeaverBreaker,
        *,
        leaver_action: str = "disable",
        lease_seconds: int = 60,
    ) -> None:
        self.dms = dms
        self.register = register
        self.breaker = breaker
        self.leaver_action = leaver_action
        self.lease_ms = lease_seconds * 1000
        self.margin_ms = min(5000, self.lease_ms // 4)

    def apply(
        self,
        uid: str,
        event: EventRef,
        desired: Desired,
        deadline: Deadline,
        *,
        dry_run: bool = False,
        released: bool = False,
    ) -> Converged:
        """Converge `uid` to `desired` for `event`; PersonBusyError when another convergence holds the person."""
        try:
            return self._apply(uid, event, desired, deadline, dry_run, released)
        except (RegisterUnavailableError, RegisterConfigurationError) as error:
            return Converged("failed", (_register_failure(error),), reason=str(error))

    def _apply(
        self, uid: str, event: EventRef, desired: Desired, deadline: Deadline, dry_run: bool, released: bool
    ) -> Converged:
        record = self.register.read(uid, deadline)
        if record is not None and record.version > event.version:
            return Converged("superseded", superseded_by=record.event_id)
        desired = _with_known_tenant(desired, record)
        if dry_run:
            granted = record.granted if record is not None else ()
            observed = self._observe(uid, desired, granted, deadline)
            if observed.failed is not None:
                return Converged("failed", observed.reads)
            diff = difference(uid, desired, observed, _refs(granted), self.leaver_action)
            steps = (*observed.reads, *(change.planned() for change in diff.changes))
            return Converged("planned", steps, foreign=_ids(diff))
        claim_now = desired.active or released
        token = uuid.uuid4().hex
        held = self._acquire(uid, record, token, deadline, event.version, (event, desired) if claim_now else None)
        if isinstance(held, Converged):
            return held
        acquired_at = self.register.now_ms()
        work = self._within_lease(held, deadline)
        try:
            observed = self._observe(uid, desired, held.granted, work)
            if observed.failed is not None:
                # An unclaimed leave leaves the previous event's state as it was, converged or not.
                converged = False if claim_now else None
                return self._finish(held, observed.reads, acquired_at, deadline, converged=converged)
            diff = difference(uid, desired, observed, _refs(held.granted), self.leaver_action)
            if not claim_now:
                if diff.revokes:
                    admission = self.breaker.admit(work)
                    if not admission.admitted:
                        return self._finish(
                            held, observed.reads, acquired_at, deadline, status="held", reason=admission.reason
                        )
                held = self._save_ours(_claimed(held, event, desired), deadline)
            results = self._run(diff.changes, work)
            granted = _granted_after(held.granted, desired, observed, diff.changes, results)
            ok = all(result.succeeded for result in results)
            return self._finish(
                replace(held, granted=granted),
                (*observed.reads, *results),
                acquired_at,
                deadline,
                converged=ok,
                foreign=_ids(diff),
            )
        except _LeaseLostError as lost:
            return Converged("failed", (_register_failure(lost),), reason=str(lost))
        except BaseException:
            self._abandon(held, deadline)
            raise

    def reconcile(
        self, record: PersonRecord, deadline: Deadline, *, repair: bool, watch: Iterable[WorkspaceRef] = ()
    ) -> Converged:
        """Converge one person to the desired state the register holds, reporting what had drifted."""
        try:
            return self._reconcile(record, deadline, repair, tuple(watch))
        except (RegisterUnavailableError, RegisterConfigurationError) as error:
            return Converged("failed", (_register_failure(error),), reason=str(error))
        except PersonBusyError:
            return Converged("busy")

    def _reconcile(
        self, record: PersonRecord, deadline: Deadline, repair: bool, watch: tuple[WorkspaceRef, ...]
    ) -> Converged:
        desired = Desired.from_json(record.desired)
        token = uuid.uuid4().hex
        held = self._acquire(record.uid, record, token, deadline, None, None)
        if isinstance(held, Converged):
            return held
        acquired_at = self.register.now_ms()
        work = self._within_lease(held, deadline)
        try:
            observed = self._observe(record.uid, desired, held.granted, work, watch)
            if observed.failed is not None:
                return self._finish(held, observed.reads, acquired_at, deadline, converged=held.converged)
            diff = difference(record.uid, desired, observed, _refs(held.granted), self.leaver_action)
            drift = tuple(change.reason for change in diff.changes)
            if not diff.changes:
                granted = _granted_after(held.granted, desired, observed, (), ())
                return self._finish(
                    replace(held, granted=granted),
                    observed.reads,
                    acquired_at,
                    deadline,
                    converged=True,
                    foreign=_ids(diff),
                )
            planned = tuple(change.planned() for change in diff.changes)
            if not repair:
                return self._finish(
                    held,
                    (*observed.reads, *planned),
                    acquired_at,
                    deadline,
                    status="planned",
                    foreign=_ids(diff),
                    drift=drift,
                )
            if diff.revokes:
                admission = self.breaker.admit(work)
                if not admission.admitted:
                    return self._finish(
                        held,
                        (*observed.reads, *planned),
                        acquired_at,
                        deadline,
                        status="held",
                        reason=admission.reason,
                        foreign=_ids(diff),
                        drift=drift,
                    )
            results = self._run(diff.changes, work)
            granted = _granted_after(held.granted, desired, observed, diff.changes, results)
            return self._finish(
                replace(held, granted=granted),
                (*observed.reads, *results),
                acquired_at,
                deadline,
                converged=all(result.succeeded for result in results),
                foreign=_ids(diff),
                drift=drift,
            )
        except _LeaseLostError as lost:
            return Converged("failed", (_register_failure(lost),), reason=str(lost))
        except BaseException:
            self._abandon(held, deadline)
            raise

    def _acquire(
        self,
        uid: str,
        record: PersonRecord | None,
        token: str,
        deadline: Deadline,
        version: str | None,
        claim: tuple[EventRef, Desired] | None,
    ) -> PersonRecord | Converged:
        """The row with our lease on it (and the event claimed, when `claim`), or why not: superseded by a newer
        event that won the row meanwhile (`version` given), or PersonBusyError."""
        for _ in range(_CAS_ATTEMPTS):
            if version is not None and record is not None and record.version > version:
                return Converged("superseded", superseded_by=record.event_id)
            now = self.register.now_ms()
            if record is not None and record.lease_held(token, now):
                raise PersonBusyError(uid, self._busy_for(record, now))
            leased = replace(record or PersonRecord(uid), lease_token=token, lease_until_ms=now + self.lease_ms)
            if claim is not None:
                leased = _claimed(leased, *claim)
            try:
                return self.register.save(leased, deadline)
            except RevisionConflict:
                record = self.register.read(uid, deadline)
        raise PersonBusyError(uid, 1.0)

    def _busy_for(self, record: PersonRecord, now_ms: int) -> float:
        """When to try again: a live convergence ends in about a second, so soon after the lease was taken; the
        longer it has been held, the longer the wait, and never past the lease's end (a crashed holder's)."""
        remaining = (record.lease_until_ms - now_ms) / 1000
        held_for = (now_ms - (record.lease_until_ms - self.lease_ms)) / 1000
        return max(0.5, min(remaining, max(1.0, held_for)))

    def _save_ours(self, record: PersonRecord, deadline: Deadline) -> PersonRecord:
        try:
            return self.register.save(record, deadline)
        except RevisionConflict:
            raise _LeaseLostError(f"the lease on person {record.uid} was taken over before the claim") from None

    def _finish(
        self,
        record: PersonRecord,
        steps: Sequence[StepResult],
        acquired_at: int,
        deadline: Deadline,
        *,
        status: ConvergedStatus | None = None,
        converged: bool | None = None,
        reason: str = "",
        foreign: tuple[str, ...] = (),
        drift: tuple[str, ...] = (),
    ) -> Converged:
        """Give the lease back, saving what the convergence learnt; the outcome stands even if the save fails."""
        final = status or ("done" if all(step.succeeded for step in steps) else "failed")
        released = replace(
            record,
            lease_token="",
            lease_until_ms=0,
            converged=record.converged if converged is None else converged,
        )
        # The lease is reported as ending before the release is written, and as starting after the acquisition
        # was (see _apply), so the intervals of one person's convergences can be checked not to overlap.
        ended_at = self.register.now_ms()
        with contextlib.suppress(RevisionConflict, RegisterUnavailableError):
            # If this fails, the lease expires by itself; the claim and grants already written are what matter.
            self.register.save(released, deadline)
        return Converged(
            final,
            tuple(steps),
            reason=reason,
            foreign=foreign,
            drift=drift,
            lease=(acquired_at, ended_at),
        )

    def _abandon(self, record: PersonRecord, deadline: Deadline) -> None:
        """Give the lease back after an unexpected failure, if the register will take it; else it expires."""
        with contextlib.suppress(Exception):
            self.register.save(replace(record, lease_token="", lease_until_ms=0), Deadline.after(2, deadline.clock))

    def _within_lease(self, record: PersonRecord, deadline: Deadline) -> Deadline:
        left = (record.lease_until_ms - self.register.now_ms() - self.margin_ms) / 1000
        lease = Deadline.after(max(0.0, left), deadline.clock)
        return lease if lease.at < deadline.at else deadline

    def _observe(
        self,
        uid: str,
        desired: Desired,
        granted: Iterable[Grant],
        deadline: Deadline,
        watch: Iterable[WorkspaceRef] = (),
    ) -> Observed:
        target = desired.workspace if desired.active else None
        refs: list[WorkspaceRef] = []
        if target is not None:
            refs.append(WorkspaceRef(target.workspace_id, target.dms_unit))
        refs.extend(_refs(granted))
        refs.extend(watch)
        required = frozenset({target.workspace_id}) if target is not None else frozenset()
        return observe(self.dms, uid, desired.tenant_id, refs, deadline, required=required)

    def _run(self, changes: Sequence[Change], deadline: Deadline) -> list[StepResult]:
        results: list[StepResult] = []
        for change in changes:
            result = change.run(self.dms, deadline)
            results.append(result)
            if not result.succeeded:
                break
        return results


def _with_known_tenant(desired: Desired, record: PersonRecord | None) -> Desired:
    """A leave names only the person; their DMS tenant is the one their hire named, as the register keeps it."""
    if desired.active or desired.tenant_id is not None or record is None:
        return desired
    return replace(desired, tenant_id=Desired.from_json(record.desired).tenant_id)


def _claimed(record: PersonRecord, event: EventRef, desired: Desired) -> PersonRecord:
    granted = list(record.granted)
    target = desired.workspace if desired.active else None
    if target is not None and all(g.workspace_id != target.workspace_id for g in granted):
        granted.append(Grant(target.workspace_id, target.dms_unit))
    return replace(
        record,
        version=event.version,
        event_id=event.event_id,
        event_source=event.source,
        event_type=event.type,
        status="active" if desired.active else "left",
        desired=desired.to_json(),
        granted=tuple(granted),
        converged=False,
    )


def _granted_after(
    granted: Sequence[Grant],
    desired: Desired,
    observed: Observed,
    changes: Sequence[Change],
    results: Sequence[StepResult],
) -> tuple[Grant, ...]:
    """What the product holds granted once the writes are done: removals that took effect drop out, a membership
    that matches the desired state is adopted, and a user DMS deleted keeps none."""
    kept = {grant.workspace_id: grant for grant in granted}
    for change, result in zip(changes, results, strict=False):
        if not result.succeeded or change.workspace_id is None:
            if result.succeeded and change.step == "delete_user":
                kept.clear()
            continue
        if change.step == "remove_from_workspace":
            kept.pop(change.workspace_id, None)
        else:
            kept[change.workspace_id] = Grant(change.workspace_id, change.dms_unit)
    target = desired.workspace if desired.active else None
    if target is not None and target.workspace_id in observed.memberships:
        kept[target.workspace_id] = Grant(target.workspace_id, target.dms_unit)
    return tuple(kept.values())


def _refs(granted: Iterable[Grant]) -> list[WorkspaceRef]:
    return [WorkspaceRef(grant.workspace_id, grant.dms_unit) for grant in granted]


def _ids(diff: Difference) -> tuple[str, ...]:
    return tuple(ref.workspace_id for ref in diff.foreign)


def _register_failure(error: Exception) -> StepResult:
    code = getattr(error, "code", "") or type(error).__name__
    transient = not isinstance(error, RegisterConfigurationError)
    return StepResult(
        "register",
        "failed",
        "Tablestore",
        1,
        "transient" if transient else "permanent",
        code=str(code),
        message=str(error)[:300],
    )

"""The reconcile function's core: walk every person the register knows and converge each to its desired state.

Events can be lost upstream, people change things by hand in the DMS console, and an outage can leave a
convergence half done; an event-driven product that never looks back is wrong for as long as nobody notices.
Reconcile looks back: for each person it reads DMS, compares with the desired state of their newest event, and
in `repair` mode makes DMS match (RECONCILE_MODE; `report` only publishes the drift). It takes each person's
lease like any event, so it never races one, and its leaver repairs pass through the mass-leaver breaker.

Besides the desired and granted workspaces it looks at every workspace the role mapping names, so a membership
someone added by hand there is reported (`foreign_memberships`) and left alone. One outcome is published per
person who drifted, was repaired or failed (not for the unchanged, who would drown the topic); the function's
answer counts them all. A walk that runs out of time saves where it stopped and the next run resumes there.
"""

from __future__ import annotations

import contextlib
import uuid
from collections import Counter
from typing import Any

from shared.infra.retry import Deadline
from shared.lifecycle.convergence import Converged
from shared.lifecycle.desired import Desired
from shared.lifecycle.mapping import RoleMapping
from shared.lifecycle.observed import WorkspaceRef
from shared.lifecycle.outcome import Outcome, Status
from shared.lifecycle.provisioner import converged_fields, outcome_status
from shared.state.register import ControlRecord, PersonRecord, RegisterConfigurationError, RevisionConflict
from shared.wiring import Wiring

CURSOR = "reconcile-cursor"
PAGE = 100
SOURCE = "reconcile"


def mapped_workspaces(mapping: RoleMapping) -> list[WorkspaceRef]:
    grants = [mapping.default.workspace, *(rule.workspace for rule in mapping.rules)]
    seen: dict[str, WorkspaceRef] = {}
    for grant in grants:
        if grant is not None and grant.id not in seen:
            seen[grant.id] = WorkspaceRef(grant.id, grant.dms_unit)
    return list(seen.values())


def reconcile(
    wiring: Wiring, deadline: Deadline, *, mode: str | None = None, limit: int | None = None, uid: str | None = None
) -> dict[str, Any]:
    settings = wiring.settings
    mode = mode or settings.reconcile_mode
    repair = mode == "repair"
    register = wiring.register
    watch = mapped_workspaces(wiring.provisioner.mapping)
    run = uuid.uuid4().hex[:12]
    counts: Counter[str] = Counter()
    people = 0

    def visit(record: PersonRecord) -> None:
        nonlocal people
        people += 1
        if not record.version:
            counts["no_event_yet"] += 1
            return
        result = wiring.convergence.reconcile(record, deadline, repair=repair, watch=watch)
        if result.status == "busy":
            counts["busy"] += 1
            return
        desired = Desired.from_json(record.desired)
        status = outcome_status(result, desired.active, planned="drifted")
        counts[status] += 1
        if status != "unchanged" or result.foreign:
            _publish(wiring, run, mode, record, desired, status, result)

    def damaged(key: str, error: RegisterConfigurationError) -> None:
        counts["unreadable"] += 1
        wiring.log.error("register row unreadable", uid=key, error=str(error))

    finished = True
    if uid is not None:
        found = register.read(uid, deadline)
        if found is not None:
            visit(found)
    else:
        cursor = register.read_control(CURSOR, deadline)
        after = cursor.document.get("after") if cursor is not None else None
        after = after if isinstance(after, str) else None
        while True:
            if not deadline.allows(10.0) or (limit is not None and people >= limit):
                finished = False
                break
            size = min(PAGE, limit - people) if limit else PAGE
            page, after = register.scan(after, size, deadline, on_damaged=damaged)
            for record in page:
                visit(record)
            if after is None:
                break
        _save_cursor(wiring, cursor, None if finished else after, deadline)
    report = {"mode": mode, "run": run, "people": people, "statuses": dict(counts), "complete": finished}
    wiring.log.info("reconcile done", **report)
    return report


def _publish(
    wiring: Wiring, run: str, mode: str, record: PersonRecord, desired: Desired, status: Status, result: Converged
) -> None:
    outcome = Outcome(
        status=status,
        event_id=f"{SOURCE}:{run}:{record.uid}",
        event_source=SOURCE,
        correlation_id=f"{SOURCE}-{run}",
        event_type=SOURCE,
        uid=record.uid,
        plan=desired.public(),
        steps=result.steps,
        extra={**converged_fields(result), "mode": mode, "newest_event_id": record.event_id},
    )
    wiring.provisioner.publish(outcome)


def _save_cursor(wiring: Wiring, cursor: ControlRecord | None, after: str | None, deadline: Deadline) -> None:
    revision = cursor.revision if cursor is not None else 0
    with contextlib.suppress(RevisionConflict):  # another run moved it; either place to resume is right
        wiring.register.save_control(ControlRecord(CURSOR, {"after": after}, revision), deadline)

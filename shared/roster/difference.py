"""A dry run's answer, person by person: hire, update (and what would change), leave, hold or unchanged.

The plan is not worked out here: the provisioner's own dry run (`Provisioner.decide(..., dry_run=True)`) reads the
register and DMS and lists the exact calls it would make, so what a dry run shows is what a real run would do,
calls and parameters alike (the mobile already masked). This module only words those planned calls for a person
reading a terminal, and says which of the leaves the mass-leaver breaker would hold, which the convergence's dry
run does not ask it (asking would count them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from shared.lifecycle.outcome import Outcome
from shared.lifecycle.steps import StepResult
from shared.roster.summary import Result, from_outcome

LEAVE_TYPE = "employee.left"


def planned(outcome: Outcome, line: int | None, nickname: str) -> Result:
    """The difference a dry-run outcome describes; a superseded, failed or rejected one keeps its status."""
    if outcome.status in ("superseded", "failed", "rejected", "held"):
        return from_outcome(outcome, line, nickname)
    writes = [step for step in outcome.steps if step.result == "planned"]
    if not writes:
        status = "unchanged"
    elif outcome.event_type == LEAVE_TYPE:
        status = "leave"
    elif any(step.step == "register_user" for step in writes):
        status = "hire"
    else:
        status = "update"
    return Result(status, outcome.uid, line, nickname, tuple(describe(step) for step in writes))


def describe(step: StepResult) -> str:
    """One planned call in words, from its parameters as the dry run shows them (mobile masked)."""
    p: Mapping[str, Any] = step.parameters
    workspace = p.get("WorkspaceId", "")
    if step.step == "register_user":
        tenant = f" in tenant {p['Tid']}" if p.get("Tid") is not None else ""
        return f"register with roles {p.get('RoleNames') or '-'}{tenant}"
    if step.step == "enable_user":
        return "enable the disabled user (rehire)"
    if step.step == "update_user":
        return "; ".join(_update_parts(step.reason, p))
    if step.step == "add_to_workspace":
        return f"join workspace {workspace} as {p.get('RoleName', '')}"
    if step.step == "update_workspace_role":
        change = step.reason.removeprefix("workspace role ")
        return f"workspace {workspace} role {change}"
    if step.step == "remove_from_workspace":
        return f"leave workspace {workspace}"
    if step.step == "disable_user":
        return "disable the user"
    if step.step == "delete_user":
        return "delete the user"
    return f"{step.operation} ({step.reason})" if step.reason else step.operation


def _update_parts(reason: str, parameters: Mapping[str, Any]) -> list[str]:
    parts = []
    for part in (piece.strip() for piece in reason.split(";")):
        if part == "nickname":
            parts.append(f"nickname -> {parameters.get('UserNick', '')}")
        elif part == "mobile":
            parts.append(f"mobile -> {parameters.get('Mobile', '')}")
        elif part:
            parts.append(part)
    return parts


def hold_past_breaker(results: Sequence[Result], breaker: Mapping[str, Any]) -> list[Result]:
    """The leaves the breaker would hold, marked `hold`: those past LEAVER_LIMIT less the leavers it already
    counted in its window, or all of them when it is tripped. Which ones a real run holds depends on the order
    they reach it; here they are taken in uid order."""
    limit = int(breaker.get("limit", 0))
    recent = int(breaker.get("recent_leavers", 0))
    tripped = breaker.get("tripped_at") is not None
    room = 0 if tripped else max(0, limit - recent)
    leaving = sorted((r for r in results if r.status == "leave"), key=lambda r: r.uid)
    held = {r.uid for r in leaving[room:]}
    if tripped:
        why = "the mass-leaver breaker is tripped: held until an operator releases or discards the held leaves"
    else:
        window = breaker.get("window_seconds", "")
        why = (
            f"the mass-leaver breaker would hold it: {len(leaving)} leavers, {recent} already counted in the last "
            f"{window} s, limit {limit}"
        )
    return [replace(r, status="hold", reason=why) if r.uid in held and r.status == "leave" else r for r in results]

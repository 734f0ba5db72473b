"""provision(event) -> Outcome: validate, work out the desired state, converge the person, publish, log one line.

Every input gets exactly one outcome id (the invalid ones included: `rejected`, with every problem listed), and
a redelivered event yields the same id. What happens to DMS is the convergence's business
(shared.lifecycle.convergence): it reads DMS, makes only the calls the difference needs, and keeps each person's
events in order through the register. A leave the mass-leaver breaker holds is handed to the holder (the hold
queue) before its `held` outcome is published, so a held leave is never only an outcome.
"""

from __future__ import annotations

import uuid
from typing import Any, Protocol

from shared.contract.event import ContractError, HrEvent, parse_event
from shared.contract.problems import Problem
from shared.infra.jsonlog import JsonLogger
from shared.infra.retry import Deadline
from shared.lifecycle.convergence import Converged, Convergence, EventRef
from shared.lifecycle.desired import Desired
from shared.lifecycle.mapping import RoleMapping, resolve_plan
from shared.lifecycle.outcome import Identity, Outcome, RawEvent, Status, identify, status_from_steps
from shared.state.register import version_key


class Publisher(Protocol):
    def publish(self, topic: str, body: str, tag: str = "") -> object: ...


class Holder(Protocol):
    def hold(self, event: RawEvent, correlation_id: str, reason: str) -> None:
        """Keep a held leave whole until an operator releases or discards it; raise if it could not be kept."""


class Provisioner:
    def __init__(
        self,
        convergence: Convergence,
        mapping: RoleMapping,
        log: JsonLogger,
        mns: Publisher | None = None,
        result_topic: str = "",
        default_dms_unit: str | None = None,
        holder: Holder | None = None,
    ) -> None:
        self.convergence = convergence
        self.mapping = mapping
        self.log = log
        self.mns = mns
        self.result_topic = result_topic
        self.default_dms_unit = default_dms_unit
        self.holder = holder

    def provision(
        self,
        raw: RawEvent,
        deadline: Deadline,
        *,
        dry_run: bool = False,
        correlation_id: str | None = None,
        released: bool = False,
    ) -> Outcome:
        """The outcome, already published; MnsUnavailableError if it (or a held leave) could not be written, and
        PersonBusyError when another convergence holds the person (nothing was done: retry the event later)."""
        outcome = self.decide(raw, deadline, dry_run=dry_run, correlation_id=correlation_id, released=released)
        if outcome.status == "held":
            if self.holder is None:
                raise RuntimeError("a leave was held, but this deployment has no hold queue (HOLD_QUEUE)")
            self.holder.hold(raw, outcome.correlation_id, str(outcome.extra.get("reason", "")))
        self.publish(outcome)
        return outcome

    def publish(self, outcome: Outcome) -> None:
        if self.mns is not None and self.result_topic:
            self.mns.publish(self.result_topic, outcome.to_json(), outcome.tag)
        self._log(outcome)

    def decide(
        self,
        raw: RawEvent,
        deadline: Deadline,
        *,
        dry_run: bool = False,
        correlation_id: str | None = None,
        released: bool = False,
    ) -> Outcome:
        try:
            event = parse_event(raw)
        except ContractError as error:
            return self._rejected(identify(raw, correlation_id), error.problems)
        correlation = event.correlation_id or correlation_id or str(uuid.uuid4())
        plan = resolve_plan(event, self.mapping) if event.type != "employee.left" else None
        desired = Desired.from_event(event, plan, self.default_dms_unit)
        ref = EventRef(version_key(event.occurred_at, event.event_id), event.event_id, event.source, event.type)
        converged = self.convergence.apply(
            event.employee.uid, ref, desired, deadline, dry_run=dry_run, released=released
        )
        shown_plan = plan.as_json_data() if plan is not None else {"leave": self.convergence.leaver_action}
        return self._outcome(event, correlation, shown_plan, desired, converged)

    def _outcome(
        self, event: HrEvent, correlation_id: str, plan: dict[str, Any], desired: Desired, converged: Converged
    ) -> Outcome:
        return Outcome(
            status=outcome_status(converged, desired.active),
            event_id=event.event_id,
            event_source=event.source,
            correlation_id=correlation_id,
            event_type=event.type,
            uid=event.employee.uid,
            plan=plan,
            steps=converged.steps,
            extra=converged_fields(converged),
        )

    @staticmethod
    def _rejected(identity: Identity, problems: list[Problem]) -> Outcome:
        return identity.outcome("rejected", problems=problems)

    def _log(self, outcome: Outcome) -> None:
        steps = ",".join(f"{s.step}:{s.result}{'/' + s.code if s.code else ''}" for s in outcome.steps)
        self.log.info(
            "outcome",
            correlation_id=outcome.correlation_id,
            outcome_id=outcome.id,
            event_id=outcome.event_id,
            event_source=outcome.event_source,
            event_type=outcome.event_type,
            status=outcome.status,
            uid=outcome.uid,
            attempts=outcome.attempts,
            steps=steps,
            superseded_by=outcome.extra.get("superseded_by"),
            problems=[p.field for p in outcome.problems],
        )


def outcome_status(converged: Converged, active: bool, *, planned: Status = "dry_run") -> Status:
    """The outcome status a convergence comes to; `planned` names what a plan without writes is called."""
    if converged.status == "superseded":
        return "superseded"
    if converged.status == "held":
        return "held"
    if converged.status == "planned":
        return planned
    return status_from_steps(converged.steps, active)


def converged_fields(converged: Converged) -> dict[str, Any]:
    """What a convergence adds to the outcome's data beyond its steps."""
    fields: dict[str, Any] = {}
    if converged.superseded_by:
        fields["superseded_by"] = converged.superseded_by
    if converged.reason:
        fields["reason"] = converged.reason
    if converged.foreign:
        fields["foreign_memberships"] = list(converged.foreign)
    if converged.drift:
        fields["drift"] = list(converged.drift)
    if converged.lease is not None:
        fields["lease"] = {"acquired_ms": converged.lease[0], "released_ms": converged.lease[1]}
    return fields

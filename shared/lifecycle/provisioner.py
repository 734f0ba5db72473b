"""provision(event) -> Outcome: validate, plan, run the event type's flow, publish, log one line.

Exactly once in effect, however often an event arrives: DMS answers "already exists" for work done before,
and that counts as success, so a redelivery re-walks the steps harmlessly and yields an outcome with the same
id. Every input gets an outcome, the invalid ones included (`rejected`, with every problem listed). Which
steps run is the flow table's business (shared.lifecycle.flows); the loop here is the only one, and the dry run
reads the same table.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Protocol

from shared.contract.event import ContractError, HrEvent, parse_event
from shared.contract.problems import Problem
from shared.contract.vocabulary import EventType
from shared.dms.client import DmsClient
from shared.infra.jsonlog import JsonLogger
from shared.infra.retry import Deadline
from shared.lifecycle.flows import FLOWS, Flow
from shared.lifecycle.mapping import RoleMapping, resolve_plan
from shared.lifecycle.outcome import Identity, Outcome, RawEvent, Status, identify, status_from_steps
from shared.lifecycle.plan import Plan
from shared.lifecycle.steps import StepResult, Subject


class Publisher(Protocol):
    def publish(self, topic: str, body: str, tag: str = "") -> object: ...


class Provisioner:
    def __init__(
        self,
        dms: DmsClient,
        mapping: RoleMapping,
        log: JsonLogger,
        mns: Publisher | None = None,
        result_topic: str = "",
        default_dms_unit: str | None = None,
        flows: Mapping[EventType, Flow] = FLOWS,
    ) -> None:
        self.dms = dms
        self.mapping = mapping
        self.log = log
        self.mns = mns
        self.result_topic = result_topic
        self.default_dms_unit = default_dms_unit
        self.flows = flows

    def provision(
        self, raw: RawEvent, deadline: Deadline, *, dry_run: bool = False, correlation_id: str | None = None
    ) -> Outcome:
        """The outcome, already published to the result topic; MnsUnavailableError if it could not be."""
        outcome = self._decide(raw, deadline, dry_run, correlation_id)
        if self.mns is not None and self.result_topic:
            self.mns.publish(self.result_topic, outcome.to_json(), outcome.tag)
        self._log(outcome)
        return outcome

    def _decide(self, raw: RawEvent, deadline: Deadline, dry_run: bool, correlation_id: str | None) -> Outcome:
        try:
            event = parse_event(raw)
        except ContractError as error:
            return self._rejected(identify(raw, correlation_id), error.problems)
        correlation = event.correlation_id or correlation_id or str(uuid.uuid4())
        plan = resolve_plan(event, self.mapping)
        flow = self.flows[event.type]
        if dry_run:
            planned = [StepResult.planned(step.name) for step in flow if step.applies(plan)]
            return self._outcome(event, correlation, plan, "dry_run", planned)
        steps = self._run(flow, Subject(event.employee, plan, self.default_dms_unit), deadline)
        return self._outcome(event, correlation, plan, status_from_steps(steps), steps)

    def _run(self, flow: Flow, subject: Subject, deadline: Deadline) -> list[StepResult]:
        """Each step that applies, in order, until one fails."""
        results: list[StepResult] = []
        for step in flow:
            if not step.applies(subject.plan):
                continue
            result = step.run(self.dms, subject, deadline)
            results.append(result)
            if not result.succeeded:
                break
        return results

    @staticmethod
    def _outcome(event: HrEvent, correlation_id: str, plan: Plan, status: Status, steps: list[StepResult]) -> Outcome:
        return Outcome(
            status=status,
            event_id=event.event_id,
            event_source=event.source,
            correlation_id=correlation_id,
            event_type=event.type,
            uid=event.employee.uid,
            plan=plan.as_json_data(),
            steps=steps,
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
            status=outcome.status,
            uid=outcome.uid,
            attempts=outcome.attempts,
            steps=steps,
            problems=[p.field for p in outcome.problems],
        )

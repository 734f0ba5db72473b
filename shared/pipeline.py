"""provision(event) -> Outcome: validate, plan, RegisterUser, AddUserToDataAgentWorkspace, publish.

Exactly once in effect, however often an event arrives: DMS answers "already exists" for work done before,
and that counts as success, so a redelivery re-walks the steps harmlessly and yields an outcome with the same
id. Every input gets an outcome, the invalid ones included (`rejected`, with every problem listed).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shared.contract import ContractError, HrEvent, parse_event
from shared.dms_client import DmsClient, StepResult
from shared.jsonlog import JsonLogger
from shared.mapping import Plan, RoleMapping, resolve_plan
from shared.mns import Mns
from shared.outcome import Outcome, Status, status_from_steps
from shared.problems import Problem
from shared.retry import Deadline

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


def _peek(raw: RawEvent) -> dict[str, Any]:
    if isinstance(raw, Mapping):
        return dict(raw)
    if not isinstance(raw, (bytes, str)):
        return {}  # a queue message that was a JSON array, number or null: nothing to identify it by
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return {}
    return data if isinstance(data, dict) else {}


def _text(value: object, limit: int = 128) -> str:
    if not isinstance(value, str) or not _utf8(value[:limit]):
        return ""  # a lone surrogate (from a \\ud800 escape) can be neither an outcome id's name nor sent anywhere
    return value[:limit]


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def identify(raw: RawEvent, correlation_id: str | None) -> Identity:
    """Best effort on untrusted input: strings only, bounded, never the mobile."""
    data = _peek(raw)
    employee = data.get("employee")
    uid = employee.get("uid") if isinstance(employee, dict) else None
    event_id = _text(data.get("event_id")) or f"invalid:{uuid.uuid4()}"
    return Identity(
        event_id=event_id,
        source=_text(data.get("source"), 64) or "unknown",
        correlation_id=correlation_id or _text(data.get("correlation_id")) or str(uuid.uuid4()),
        event_type=_text(data.get("type"), 64),
        uid=uid if isinstance(uid, str) and uid.isdigit() and len(uid) <= 32 else "",
    )


def plan_view(plan: Plan) -> dict[str, Any]:
    """The plan as JSON data: its fields hold JSON types already, so no serializer is needed per event."""
    view = {name: getattr(plan, name) for name in type(plan).model_fields}
    return {**view, "roles": list(plan.roles), "sources": dict(plan.sources)}


class Provisioner:
    def __init__(
        self,
        dms: DmsClient,
        mapping: RoleMapping,
        log: JsonLogger,
        mns: Mns | None = None,
        result_topic: str = "",
        default_dms_unit: str | None = None,
    ) -> None:
        self.dms = dms
        self.mapping = mapping
        self.log = log
        self.mns = mns
        self.result_topic = result_topic
        self.default_dms_unit = default_dms_unit

    def provision(
        self,
        raw: RawEvent,
        deadline: Deadline,
        *,
        dry_run: bool = False,
        correlation_id: str | None = None,
        publish: bool = True,
    ) -> Outcome:
        """The outcome, already published when `publish`; MnsUnavailableError if it could not be."""
        outcome = self._decide(raw, deadline, dry_run, correlation_id)
        if publish and self.mns is not None and self.result_topic:
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
        if dry_run:
            return self._outcome(event, correlation, plan, "dry_run", self._planned_steps(plan))
        steps = self._apply(event, plan, deadline)
        return self._outcome(event, correlation, plan, status_from_steps(steps), steps)

    def _apply(self, event: HrEvent, plan: Plan, deadline: Deadline) -> list[dict[str, Any]]:
        employee = event.employee
        mobile = employee.mobile.reveal() if employee.mobile is not None else None
        registered = self.dms.register_user(
            employee.uid, employee.nickname, plan.roles, mobile, plan.tenant_id, deadline
        )
        steps = [registered.to_dict()]
        if registered.succeeded and plan.workspace_id is not None and plan.workspace_role is not None:
            joined: StepResult = self.dms.add_to_workspace(
                plan.workspace_id,
                employee.uid,
                plan.workspace_role,
                plan.dms_unit or self.default_dms_unit,
                deadline,
            )
            steps.append(joined.to_dict())
        return steps

    @staticmethod
    def _planned_steps(plan: Plan) -> list[dict[str, Any]]:
        steps: list[dict[str, Any]] = [{"step": "register_user", "result": "planned", "attempts": 0}]
        if plan.workspace_id is not None:
            steps.append({"step": "add_to_workspace", "result": "planned", "attempts": 0})
        return steps

    @staticmethod
    def _outcome(event: HrEvent, correlation_id: str, plan: Plan, status: Any, steps: list[dict[str, Any]]) -> Outcome:
        return Outcome(
            status=status,
            event_id=event.event_id,
            event_source=event.source,
            correlation_id=correlation_id,
            event_type=event.type,
            uid=event.employee.uid,
            plan=plan_view(plan),
            steps=steps,
        )

    @staticmethod
    def _rejected(identity: Identity, problems: list[Problem]) -> Outcome:
        return identity.outcome("rejected", problems=[p.to_dict() for p in problems])

    def _log(self, outcome: Outcome) -> None:
        steps = ",".join(f"{s['step']}:{s['result']}{'/' + s['code'] if s.get('code') else ''}" for s in outcome.steps)
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
            problems=[p["field"] for p in outcome.problems],
        )

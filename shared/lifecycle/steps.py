"""The steps that make DMS match a plan, each a small object: its name, whether it applies, how it runs.

A step turns the plan into one DMS operation's parameters and its answer into a typed `StepResult`, which stays
typed until the outcome is serialised. Which steps run for which event is the flow table (shared.lifecycle.flows);
the provisioner owns the loop, so a new step (UpdateUser, DisableUser, a workspace role change or removal) is a
class here and an entry there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Protocol

from shared.contract.event import Employee
from shared.dms.client import CallResult, DmsClient
from shared.dms.operations import ADD_USER_TO_DATA_AGENT_WORKSPACE, REGISTER_USER, Operation
from shared.dms.verdicts import Kind
from shared.infra.retry import Deadline
from shared.lifecycle.plan import Plan

StepName = Literal["register_user", "add_to_workspace"]
StepResultName = Literal["done", "already", "failed", "planned"]


@dataclass(frozen=True)
class StepResult:
    """What one step came to, kept whole in the outcome event."""

    step: StepName
    result: StepResultName
    attempts: int = 0
    kind: Kind | None = None
    """The verdict's kind; None for a step that was only planned."""
    request_id: str = ""
    code: str = ""
    message: str = ""
    data: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, step: StepName, call: CallResult) -> StepResult:
        verdict = call.verdict
        return cls(
            step, call.result, call.attempts, verdict.kind, verdict.request_id, verdict.code, verdict.message, call.data
        )

    @classmethod
    def planned(cls, step: StepName) -> StepResult:
        return cls(step, "planned")

    @property
    def succeeded(self) -> bool:
        return self.result in ("done", "already")

    @property
    def retryable(self) -> bool:
        return self.result == "failed" and self.kind == "transient"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"step": self.step, "result": self.result, "attempts": self.attempts}
        for name in ("request_id", "code", "message"):
            if getattr(self, name):
                out[name] = getattr(self, name)
        if self.result == "failed":
            out["retryable"] = self.retryable
        if self.data:
            out["data"] = dict(self.data)
        return out


@dataclass(frozen=True)
class Subject:
    """Who a step acts for and what they should have."""

    employee: Employee
    plan: Plan
    default_dms_unit: str | None = None


class Step(Protocol):
    @property
    def name(self) -> StepName: ...

    def applies(self, plan: Plan) -> bool: ...

    def run(self, dms: DmsClient, subject: Subject, deadline: Deadline) -> StepResult: ...


class _DmsStep:
    """A step that is one DMS operation: the subclass says which, and with what parameters."""

    name: ClassVar[StepName]
    operation: ClassVar[Operation]

    def applies(self, plan: Plan) -> bool:
        return True

    def parameters(self, subject: Subject) -> dict[str, Any]:
        raise NotImplementedError

    def run(self, dms: DmsClient, subject: Subject, deadline: Deadline) -> StepResult:
        return StepResult.of(self.name, dms.call(self.operation, self.parameters(subject), deadline))


class RegisterUser(_DmsStep):
    name = "register_user"
    operation = REGISTER_USER

    def parameters(self, subject: Subject) -> dict[str, Any]:
        employee = subject.employee
        return {
            "Uid": employee.uid,
            "UserNick": employee.nickname,
            "RoleNames": ",".join(subject.plan.roles) or None,
            "Mobile": employee.mobile.reveal() if employee.mobile is not None else None,
            "Tid": subject.plan.tenant_id,
        }


class AddToWorkspace(_DmsStep):
    name = "add_to_workspace"
    operation = ADD_USER_TO_DATA_AGENT_WORKSPACE

    def applies(self, plan: Plan) -> bool:
        return plan.workspace_id is not None and plan.workspace_role is not None

    def parameters(self, subject: Subject) -> dict[str, Any]:
        plan = subject.plan
        return {
            "WorkspaceId": plan.workspace_id,
            "MemberId": subject.employee.uid,
            "RoleName": plan.workspace_role,
            "DMSUnit": plan.dms_unit or subject.default_dms_unit or None,
        }

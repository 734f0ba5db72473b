"""One DMS call the convergence makes or reads, and what it came to, typed until the outcome is serialised.

A `Change` is a write the difference between desired and observed state asked for (shared.lifecycle.difference):
its operation, its wire-named parameters, why it is needed, and which answers mean its effect already holds. That
last part is per operation, because a retried write whose first answer was lost meets its own effect:
DisableUser then answers UserStatusIllegal, a removal "not a member", a deletion "no such user".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal, get_args

from shared.contract.mobile import mask_mobile
from shared.dms.client import CallResult, DmsClient
from shared.dms.operations import Operation
from shared.dms.verdicts import Kind, is_absent
from shared.infra.retry import Deadline

StepName = Literal[
    "get_user",
    "list_workspace_members",
    "register_user",
    "enable_user",
    "update_user",
    "add_to_workspace",
    "update_workspace_role",
    "remove_from_workspace",
    "disable_user",
    "delete_user",
    "register",
]
StepResultName = Literal["done", "already", "failed", "planned", "read"]
WRITE_STEPS: frozenset[StepName] = frozenset(get_args(StepName)) - {"get_user", "list_workspace_members", "register"}
"""The steps that change DMS: what an outcome's status is made of."""


@dataclass(frozen=True)
class StepResult:
    """What one call came to, kept whole in the outcome event."""

    step: StepName
    result: StepResultName
    operation: str = ""
    attempts: int = 0
    kind: Kind | None = None
    """The verdict's kind; None for a call that was only planned."""
    request_id: str = ""
    code: str = ""
    message: str = ""
    data: Mapping[str, Any] = field(default_factory=dict)
    parameters: Mapping[str, Any] = field(default_factory=dict)
    """Shown for planned calls (dry runs, report-mode reconcile), the mobile masked."""
    reason: str = ""

    @classmethod
    def of(cls, step: StepName, call: CallResult, *, read: bool = False) -> StepResult:
        verdict = call.verdict
        result: StepResultName = "read" if read and call.succeeded else call.result
        return cls(
            step,
            result,
            call.operation.action,
            call.attempts,
            verdict.kind,
            verdict.request_id,
            verdict.code,
            verdict.message,
            call.data if not read else {},
        )

    @property
    def succeeded(self) -> bool:
        return self.result in ("done", "already", "read")

    @property
    def wrote(self) -> bool:
        return self.result == "done"

    @property
    def retryable(self) -> bool:
        return self.result == "failed" and self.kind == "transient"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"step": self.step, "operation": self.operation, "result": self.result}
        if self.result != "planned":
            out["attempts"] = self.attempts
        for name in ("request_id", "code", "message", "reason"):
            if getattr(self, name):
                out[name] = getattr(self, name)
        if self.result == "failed":
            out["retryable"] = self.retryable
        if self.parameters:
            out["parameters"] = dict(self.parameters)
        if self.data:
            out["data"] = dict(self.data)
        return out


@dataclass(frozen=True)
class Change:
    """A write the desired state needs."""

    step: StepName
    operation: Operation
    parameters: Mapping[str, Any]
    reason: str
    already_codes: frozenset[str] = frozenset()
    """Failure codes that, for this operation, mean the effect already holds."""
    already_if_absent: bool = False
    """A "no such user" answer means the effect holds (a deletion repeated)."""
    revokes: bool = False
    """Takes access away: what the mass-leaver breaker counts, and what a superseded event must never do."""
    workspace_id: str | None = None
    dms_unit: str | None = None

    def shown_parameters(self) -> dict[str, Any]:
        shown = {name: value for name, value in self.parameters.items() if value is not None}
        if shown.get("Mobile"):
            try:
                shown["Mobile"] = mask_mobile(str(shown["Mobile"]))
            except ValueError:
                shown["Mobile"] = "***"
        return shown

    def planned(self) -> StepResult:
        return StepResult(
            self.step, "planned", self.operation.action, parameters=self.shown_parameters(), reason=self.reason
        )

    def run(self, dms: DmsClient, deadline: Deadline) -> StepResult:
        call = dms.call(self.operation, self.parameters, deadline)
        result = StepResult.of(self.step, call)
        if result.result == "failed" and (
            result.code in self.already_codes or (self.already_if_absent and is_absent(call.verdict, dms.codes))
        ):
            result = replace(result, result="already")
        return replace(result, reason=self.reason)

"""What DMS should hold for one person, as of one event: the whole state, never a delta.

A hired or updated event states the person's entire desired access (explicit `employee.dms` settings, else the
role mapping); a left event states that they should have none. Because every event is whole, the newest one
alone decides, which is what lets late and duplicated events be superseded rather than merged.

The desired state is also what the person register keeps for reconcile, so it round-trips through JSON. The
mobile travels there revealed (it is what DMS is given); `public()` is the form outcomes and logs may show.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shared.contract.event import HrEvent
from shared.contract.mobile import mask_mobile
from shared.lifecycle.plan import Plan


@dataclass(frozen=True)
class WorkspaceTarget:
    workspace_id: str
    role: str
    dms_unit: str | None = None


@dataclass(frozen=True)
class Desired:
    active: bool
    nickname: str | None = None
    mobile: str | None = None
    """E.164, revealed: DMS's `Mobile` parameter. Never printed; see `public()`."""
    roles: tuple[str, ...] = ()
    tenant_id: int | None = None
    workspace: WorkspaceTarget | None = None

    @classmethod
    def leave(cls, tenant_id: int | None = None) -> Desired:
        return cls(active=False, tenant_id=tenant_id)

    @classmethod
    def from_event(cls, event: HrEvent, plan: Plan | None, default_dms_unit: str | None) -> Desired:
        """The event's desired state; `plan` is the mapping's answer (None for a leave, which needs none)."""
        employee = event.employee
        if event.type == "employee.left" or plan is None:
            explicit = employee.dms.tenant_id if employee.dms is not None else None
            return cls.leave(explicit)
        workspace = None
        if plan.workspace_id is not None and plan.workspace_role is not None:
            workspace = WorkspaceTarget(plan.workspace_id, plan.workspace_role, plan.dms_unit or default_dms_unit)
        return cls(
            active=True,
            nickname=employee.nickname,
            mobile=employee.mobile.reveal() if employee.mobile is not None else None,
            roles=tuple(plan.roles),
            tenant_id=plan.tenant_id,
            workspace=workspace,
        )

    def to_json(self) -> dict[str, Any]:
        """What the register keeps (mobile included: reconcile gives it to DMS)."""
        return {**self.public(), "mobile": self.mobile}

    def public(self) -> dict[str, Any]:
        """The state as outcomes may show it: the mobile masked."""
        workspace = self.workspace
        return {
            "active": self.active,
            "nickname": self.nickname,
            "mobile": _masked(self.mobile),
            "roles": list(self.roles),
            "tenant_id": self.tenant_id,
            "workspace": None
            if workspace is None
            else {"workspace_id": workspace.workspace_id, "role": workspace.role, "dms_unit": workspace.dms_unit},
        }

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> Desired:
        """The register's copy back; a document this code cannot read means "no access" (the safe direction)."""
        workspace = document.get("workspace")
        target = None
        if isinstance(workspace, Mapping) and workspace.get("workspace_id") and workspace.get("role"):
            unit = workspace.get("dms_unit")
            target = WorkspaceTarget(str(workspace["workspace_id"]), str(workspace["role"]), unit and str(unit))
        tenant = document.get("tenant_id")
        roles = document.get("roles")
        return cls(
            active=document.get("active") is True,
            nickname=_text(document.get("nickname")),
            mobile=_text(document.get("mobile")),
            roles=tuple(str(r) for r in roles) if isinstance(roles, list) else (),
            tenant_id=tenant if isinstance(tenant, int) and not isinstance(tenant, bool) else None,
            workspace=target,
        )


def _masked(mobile: str | None) -> str | None:
    if not mobile:
        return None
    try:
        return mask_mobile(mobile)
    except ValueError:
        return "*" * len(mobile)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None

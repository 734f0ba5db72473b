"""What DMS holds for one person now: read before any write, as Terraform reads GetUser before it disables.

Reading first is what lets every event make only the calls its difference needs, rather than relying on error
codes whose live form is unconfirmed. Memberships are looked up only in the workspaces that matter for the
decision (the desired one, those the product granted, and for reconcile those the mapping names): DMS has no
"workspaces of a member" call, and listing every workspace per event would cost more than the event.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from shared.dms.client import DmsClient
from shared.dms.operations import GET_USER, LIST_DATA_AGENT_WORKSPACE_MEMBER
from shared.dms.verdicts import WORKSPACE_MISSING_CODES, is_absent
from shared.infra.retry import Deadline
from shared.lifecycle.steps import StepResult

MEMBER_PAGE_SIZE = 100


@dataclass(frozen=True)
class DmsUser:
    state: str
    """NORMAL, DISABLE or DELETE, as GetUser's `State` says."""
    roles: frozenset[str]
    nickname: str = ""
    mobile: str = ""
    user_id: str = ""

    @property
    def exists(self) -> bool:
        """A deleted user is kept by DMS as a record, but to every other call it is no user at all."""
        return self.state != "DELETE"


@dataclass(frozen=True)
class WorkspaceRef:
    workspace_id: str
    dms_unit: str | None = None


@dataclass(frozen=True)
class Observed:
    user: DmsUser | None
    """None: DMS has no record of the person."""
    memberships: Mapping[str, str] = field(default_factory=dict)
    """Workspace id -> role name (upper case), for the workspaces looked at where the person is a member."""
    looked_at: frozenset[str] = frozenset()
    missing_workspaces: frozenset[str] = frozenset()
    reads: tuple[StepResult, ...] = ()
    failed: StepResult | None = None
    """The read that failed; when set, nothing may be decided from this observation."""

    @property
    def active(self) -> bool:
        return self.user is not None and self.user.state == "NORMAL"


def observe(
    dms: DmsClient,
    uid: str,
    tenant_id: int | None,
    workspaces: Iterable[WorkspaceRef],
    deadline: Deadline,
    *,
    required: frozenset[str] = frozenset(),
) -> Observed:
    """GetUser, then one filtered member list per workspace; `required` workspaces must exist (a desired one)."""
    reads: list[StepResult] = []
    call = dms.call(GET_USER, {"Uid": uid, "Tid": tenant_id}, deadline)
    user: DmsUser | None = None
    if call.succeeded:
        reads.append(StepResult.of("get_user", call, read=True))
        user = _user(call.body.get("User"))
    elif is_absent(call.verdict, dms.codes):
        verdict = call.verdict
        reads.append(
            StepResult("get_user", "read", "GetUser", call.attempts, verdict.kind, verdict.request_id, verdict.code)
        )
    else:
        failed = StepResult.of("get_user", call)
        return Observed(None, reads=(*reads, failed), failed=failed)
    memberships: dict[str, str] = {}
    looked_at: set[str] = set()
    missing: set[str] = set()
    if user is not None and user.exists:
        seen: set[str] = set()
        for ref in workspaces:
            if ref.workspace_id in seen:
                continue
            seen.add(ref.workspace_id)
            role, step = _membership(dms, uid, ref, deadline)
            if step.result == "failed" and step.code in WORKSPACE_MISSING_CODES and ref.workspace_id not in required:
                missing.add(ref.workspace_id)
                reads.append(step)
                continue
            reads.append(step)
            if not step.succeeded:
                return Observed(user, memberships, frozenset(looked_at), frozenset(missing), tuple(reads), step)
            looked_at.add(ref.workspace_id)
            if role is not None:
                memberships[ref.workspace_id] = role
    return Observed(user, memberships, frozenset(looked_at), frozenset(missing), tuple(reads))


def _membership(dms: DmsClient, uid: str, ref: WorkspaceRef, deadline: Deadline) -> tuple[str | None, StepResult]:
    """The person's role in one workspace, or None. SearchMemberId is a prefix: the exact id is picked out."""
    page = 1
    while True:
        parameters = {
            "WorkspaceId": ref.workspace_id,
            "DMSUnit": ref.dms_unit,
            "SearchMemberId": uid,
            "PageNumber": page,
            "PageSize": MEMBER_PAGE_SIZE,
        }
        call = dms.call(LIST_DATA_AGENT_WORKSPACE_MEMBER, parameters, deadline)
        step = StepResult.of("list_workspace_members", call, read=True)
        if not call.succeeded:
            return None, step
        content = call.data.get("Content")
        members = content if isinstance(content, list) else []
        for member in members:
            if isinstance(member, Mapping) and str(member.get("MemberId")) == uid:
                return str(member.get("RoleName") or "").upper(), step
        total_pages = call.data.get("TotalPages")
        if not members or not isinstance(total_pages, int) or page >= total_pages:
            return None, step
        page += 1


def _user(raw: Any) -> DmsUser | None:
    if not isinstance(raw, Mapping):
        return None
    role_list = raw.get("RoleNameList")
    names = role_list.get("RoleNames") if isinstance(role_list, Mapping) else None
    return DmsUser(
        state=str(raw.get("State") or "NORMAL").upper(),
        roles=frozenset(str(name).upper() for name in names) if isinstance(names, list) else frozenset(),
        nickname=str(raw.get("NickName") or ""),
        mobile=str(raw.get("Mobile") or ""),
        user_id=str(raw.get("UserId") or ""),
    )

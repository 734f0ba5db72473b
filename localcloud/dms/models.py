"""DMS state and semantics: tenants, users with roles, Data-Agent workspaces with members.

One backend serves both products, as one DMS instance does: `RegisterUser` (dms-enterprise) creates the user
that `AddUserToDataAgentWorkspace` (dms) then adds to a workspace.

Assumptions where the docs are silent (each error is in errors.py with its source):
- a `RegisterUser` without `Tid` uses the default tenant (`--dms-tid`); a second one for the same Uid is
  `UserExisted`, whatever its other parameters;
- workspace roles are ADMIN and MEMBER, matched case-insensitively and echoed lower-case as the docs' sample
  (`"admin"`) is; a workspace member must be a registered user; adding a member again is DMS-DA-40901, even with
  another role;
- `DMSUnit`, when given, must be the workspace's unit.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field
from typing import Any

from localcloud.clock import Clock
from localcloud.dms import errors

ROLE_NAMES = ("USER", "DBA", "ADMIN", "SECURITY_ADMIN")
WORKSPACE_ROLES = ("ADMIN", "MEMBER")


def mask_mobile(mobile: str) -> str:
    """Keep enough to recognise a number in a test (prefix and last two digits), never the whole of it."""
    if len(mobile) <= 5:
        return "*" * len(mobile)
    keep = 4 if mobile.startswith("+") else 3
    return mobile[:keep] + "*" * (len(mobile) - keep - 2) + mobile[-2:]


@dataclass
class Tenant:
    tid: int
    name: str = ""


@dataclass
class User:
    uid: str
    tid: int
    nick: str
    role_names: list[str]
    mobile: str
    registered_at: int


@dataclass
class Member:
    member_id: str
    user_name: str
    role_name: str
    join_time: int
    running_task_number: int = 0
    total_task_number: int = 0

    def data(self) -> dict[str, object]:
        return {
            "MemberId": self.member_id,
            "UserName": self.user_name,
            "RoleName": self.role_name,
            "JoinTime": self.join_time,
            "RunningTaskNumber": self.running_task_number,
            "TotalTaskNumber": self.total_task_number,
        }


@dataclass
class Workspace:
    workspace_id: str
    name: str
    tid: int
    dms_unit: str
    members: dict[str, Member] = field(default_factory=dict)


class DmsBackend:
    def __init__(self, clock: Clock, default_tid: int, region: str) -> None:
        self.clock = clock
        self.default_tid = default_tid
        self.region = region
        self._lock = threading.Lock()
        self.tenants: dict[int, Tenant] = {}
        self.users: dict[str, User] = {}
        self.workspaces: dict[str, Workspace] = {}
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.tenants = {self.default_tid: Tenant(self.default_tid, "default")}
            self.users.clear()
            self.workspaces.clear()

    def add_tenant(self, tid: int, name: str = "") -> dict[str, object]:
        with self._lock:
            tenant = self.tenants.setdefault(tid, Tenant(tid, name))
            tenant.name = name or tenant.name
            return asdict(tenant)

    def add_workspace(
        self, workspace_id: str, name: str = "", tid: int | None = None, dms_unit: str | None = None
    ) -> dict[str, object]:
        if not workspace_id.isdigit():
            raise ValueError("workspace_id: must be digits, as DMS workspace ids are")
        with self._lock:
            owner = self.default_tid if tid is None else tid
            if owner not in self.tenants:
                raise ValueError(f"tid: tenant {owner} does not exist; seed it first")
            workspace = self.workspaces.get(workspace_id)
            if workspace is None:
                workspace = Workspace(workspace_id, name or workspace_id, owner, dms_unit or self.region)
                self.workspaces[workspace_id] = workspace
            return self._workspace_view(workspace)

    def register_user(self, tid: int | None, uid: str, nick: str, role_names: str, mobile: str) -> User:
        if not uid.isdigit():
            raise errors.INVALID_UID.error()
        roles = [r.strip() for r in role_names.split(",") if r.strip()] or ["USER"]
        for role in roles:
            if role not in ROLE_NAMES:
                raise errors.INVALID_ROLE.error(errors.INVALID_ROLE.message.format(role=role))
        tenant = self.default_tid if tid is None else tid
        with self._lock:
            if tenant not in self.tenants:
                raise errors.TENANT_NOT_EXIST.error()
            if uid in self.users:
                raise errors.USER_EXISTED.error()
            user = User(uid, tenant, nick or uid, list(dict.fromkeys(roles)), mobile, int(self.clock.now()))
            self.users[uid] = user
            return user

    def add_workspace_member(self, workspace_id: str, member_id: str, role_name: str, dms_unit: str) -> Member:
        if not workspace_id or not member_id or not role_name:
            raise errors.DA_INVALID_PARAMETER.error(
                "Specified parameter is not valid: WorkspaceId, MemberId and RoleName are all required."
            )
        if role_name.upper() not in WORKSPACE_ROLES:
            raise errors.DA_INVALID_PARAMETER.error(
                f"Specified parameter is not valid: RoleName must be one of {', '.join(WORKSPACE_ROLES)}."
            )
        with self._lock:
            workspace = self.workspaces.get(workspace_id)
            if workspace is None:
                raise errors.DA_WORKSPACE_NOT_FOUND.error()
            if dms_unit and dms_unit != workspace.dms_unit:
                raise errors.DA_INVALID_PARAMETER.error(
                    f"Specified parameter is not valid: DMSUnit {dms_unit} is not the workspace's unit."
                )
            user = self.users.get(member_id)
            if user is None:
                raise errors.USER_NOT_EXIST.error()
            if member_id in workspace.members:
                raise errors.DA_MEMBER_EXISTS.error()
            member = Member(member_id, user.nick, role_name.lower(), int(self.clock.now()))
            workspace.members[member_id] = member
            return member

    def _workspace_view(self, workspace: Workspace) -> dict[str, object]:
        return {
            "workspace_id": workspace.workspace_id,
            "name": workspace.name,
            "tid": workspace.tid,
            "dms_unit": workspace.dms_unit,
            "members": [m.data() for m in workspace.members.values()],
        }

    def snapshot(self) -> dict[str, Any]:
        """What the control plane shows; mobiles are masked here as everywhere they are printed."""
        with self._lock:
            return {
                "tenants": [asdict(t) for t in self.tenants.values()],
                "users": [
                    {**asdict(u), "mobile": mask_mobile(u.mobile) if u.mobile else ""} for u in self.users.values()
                ],
                "workspaces": [self._workspace_view(w) for w in self.workspaces.values()],
            }

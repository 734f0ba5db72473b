"""DMS state and semantics: tenants, users with roles, Data-Agent workspaces with members.

One backend serves both products, as one DMS instance does: `RegisterUser` (dms-enterprise) creates the user
that `AddUserToDataAgentWorkspace` (dms) then adds to a workspace.

Decisions where the docs are silent (each error row in errors.py names its source):
- `RegisterUser` without `Tid` uses the default tenant; users are per tenant, so one Uid may be registered in
  two tenants, and a second registration in the same tenant is `UserExisted` whatever its other parameters.
- `RoleNames` are matched exactly (upper case, as documented); repeats collapse; empty means `USER`.
- Workspace roles are ADMIN and MEMBER (the product's contract; the docs show only `admin`), matched
  case-insensitively and echoed lower-case as the docs' sample is.
- A workspace member must be a registered DMS user of the workspace's tenant (`UserNotExist` otherwise):
  DMS adds existing users to workspaces, it does not create them.
- Adding a present member again is DMS-DA-40901 even with the same role: the docs publish no update
  semantics, and a silent success would hide a role change the caller asked for.
- `DMSUnit`, when given, must be the workspace's unit; `JoinTime` is service time, so tests can move it.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field
from typing import Any

from localcloud.clock import Clock
from localcloud.dms.errors import DmsError

ROLE_NAMES = ("USER", "DBA", "ADMIN", "SECURITY_ADMIN")
WORKSPACE_ROLES = ("ADMIN", "MEMBER")


def mask_mobile(mobile: str) -> str:
    """Enough to recognise a number in a test (prefix and last two digits), never the whole of it."""
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
    tid: int
    uid: str
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

    def data(self) -> dict[str, Any]:
        """The member as the API's `Data` object names it."""
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

    def view(self) -> dict[str, Any]:
        return {
            "workspace_id": self.workspace_id,
            "name": self.name,
            "tid": self.tid,
            "dms_unit": self.dms_unit,
            "members": [m.data() for m in self.members.values()],
        }


def parse_roles(role_names: str) -> list[str]:
    roles = [r.strip() for r in role_names.split(",") if r.strip()] or ["USER"]
    for role in roles:
        if role not in ROLE_NAMES:
            raise DmsError.INVALID_ROLE.error(role=role)
    return list(dict.fromkeys(roles))


class DmsBackend:
    def __init__(self, clock: Clock, default_tid: int, region: str) -> None:
        self.clock = clock
        self.default_tid = default_tid
        self.region = region
        self._lock = threading.Lock()
        self._tenants: dict[int, Tenant] = {}
        self._users: dict[tuple[int, str], User] = {}
        self._workspaces: dict[str, Workspace] = {}
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._tenants = {self.default_tid: Tenant(self.default_tid, "default")}
            self._users = {}
            self._workspaces = {}

    def add_tenant(self, tid: int, name: str = "") -> dict[str, Any]:
        """Seeding, not an API: adding a known tenant again only renames it."""
        with self._lock:
            tenant = self._tenants.setdefault(tid, Tenant(tid, name))
            tenant.name = name or tenant.name
            return asdict(tenant)

    def add_workspace(
        self, workspace_id: str, name: str = "", tid: int | None = None, dms_unit: str | None = None
    ) -> dict[str, Any]:
        """Seeding, not an API (DMS creates workspaces in the console); a known id is left as it is."""
        if not workspace_id.isdigit():
            raise ValueError("workspace_id: must be digits, as DMS workspace ids are")
        with self._lock:
            owner = self.default_tid if tid is None else tid
            if owner not in self._tenants:
                raise ValueError(f"tid: tenant {owner} does not exist; seed it first")
            workspace = self._workspaces.get(workspace_id)
            if workspace is None:
                workspace = Workspace(workspace_id, name or workspace_id, owner, dms_unit or self.region)
                self._workspaces[workspace_id] = workspace
            return workspace.view()

    def register_user(self, tid: int | None, uid: str, nick: str, role_names: str, mobile: str) -> User:
        if not uid.isdigit():
            raise DmsError.INVALID_UID.error(uid=uid)
        roles = parse_roles(role_names)
        tenant = self.default_tid if tid is None else tid
        with self._lock:
            if tenant not in self._tenants:
                raise DmsError.TENANT_NOT_EXIST.error()
            if (tenant, uid) in self._users:
                raise DmsError.USER_EXISTED.error()
            user = User(tenant, uid, nick or uid, roles, mobile, int(self.clock.now()))
            self._users[(tenant, uid)] = user
            return user

    def add_workspace_member(
        self, workspace_id: str, member_id: str, role_name: str, dms_unit: str = ""
    ) -> dict[str, Any]:
        """The new member as the API's `Data` object."""
        missing = [
            n for n, v in (("WorkspaceId", workspace_id), ("MemberId", member_id), ("RoleName", role_name)) if not v
        ]
        if missing:
            raise DmsError.DA_INVALID_PARAMETER.error(reason=f"{', '.join(missing)} must be given")
        if not member_id.isdigit():
            raise DmsError.DA_INVALID_PARAMETER.error(reason=f"MemberId {member_id} is not an Alibaba Cloud UID")
        role = role_name.strip().upper()
        if role not in WORKSPACE_ROLES:
            raise DmsError.DA_INVALID_PARAMETER.error(
                reason=f"RoleName {role_name} is not one of {', '.join(WORKSPACE_ROLES)}"
            )
        with self._lock:
            workspace = self._workspaces.get(workspace_id)
            if workspace is None:
                raise DmsError.DA_WORKSPACE_NOT_FOUND.error(workspace=workspace_id)
            if dms_unit and dms_unit != workspace.dms_unit:
                raise DmsError.DA_INVALID_PARAMETER.error(
                    reason=f"DMSUnit {dms_unit} is not the workspace's unit {workspace.dms_unit}"
                )
            user = self._users.get((workspace.tid, member_id))
            if user is None:
                raise DmsError.USER_NOT_EXIST.error()
            present = workspace.members.get(member_id)
            if present is not None:
                raise DmsError.DA_MEMBER_EXISTS.error(role=present.role_name)
            member = Member(member_id, user.nick, role.lower(), int(self.clock.now()))
            workspace.members[member_id] = member
            return member.data()

    def snapshot(self) -> dict[str, Any]:
        """What the control plane shows: mobiles masked, members as the API returns them."""
        with self._lock:
            return {
                "tenants": [asdict(t) for t in self._tenants.values()],
                "users": [{**asdict(u), "mobile": mask_mobile(u.mobile)} for u in self._users.values()],
                "workspaces": [w.view() for w in self._workspaces.values()],
            }

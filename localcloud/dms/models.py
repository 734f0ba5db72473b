"""DMS state and semantics: tenants, users with roles and states, Data-Agent workspaces with members.

One backend serves both products, as one DMS instance does: `RegisterUser` (dms-enterprise) creates the user
that `AddUserToDataAgentWorkspace` (dms) then adds to a workspace.

Decisions where the docs are silent (each error row in errors.py names its source):
- `RegisterUser` without `Tid` uses the default tenant; users are per tenant, so one Uid may be registered in
  two tenants, and a second registration in the same tenant is `UserExisted` whatever its other parameters,
  a disabled user included.
- `RoleNames` are matched exactly (upper case, as documented); repeats collapse; empty means `USER`.
- Every user has a DMS `UserId` of its own (not its Uid), given in registration order, and a `State`:
  `NORMAL`, `DISABLE` or `DELETE`. A deleted user is kept as a tombstone: `GetUser` and `ListUsers` show it
  with `State: DELETE`, every other operation answers it as a user that does not exist
  (`TargetUserNotExist`, "The specified user not exists."), and `RegisterUser` registers it again, with the
  new nickname, roles and mobile and its old `UserId`.
- `DisableUser` of a disabled user and `EnableUser` of a normal one are `UserStatusIllegal`; disabling keeps
  the user's system roles and workspace memberships (the docs revoke only data-source permissions, owner and
  DBA configuration, which the emulator does not model). `DeleteUser` also removes the user from every
  Data-Agent workspace of its tenant, as a member must be a registered user.
- `UpdateUser` replaces the role set when `RoleNames` is given (Terraform sends the full set), and leaves
  whatever it is not given (or given empty) unchanged; `UidString`, when given, wins over `Uid`.
- `ListUsers` without `UserState` lists users in every state, in registration order; `PageSize` is one of
  10, 20, 50, 100 (default 10); `SearchKey` matches a part of the Uid, UserId or nickname, in any case.
- Workspace roles are ADMIN and MEMBER (the product's contract; the docs show only `admin`), matched
  case-insensitively and echoed lower-case as the docs' sample is.
- A workspace member must be a registered DMS user of the workspace's tenant, not deleted (`UserNotExist`
  otherwise): DMS adds existing users to workspaces, it does not create them. A disabled user may be added.
- Adding a present member again is DMS-DA-40901 even with the same role: the docs publish no update
  semantics, and a silent success would hide a role change the caller asked for. Updating the role or removing
  someone who is not a member is DMS-DA-40412; updating to the role the member has is a success.
- `ListDataAgentWorkspaceMember` honours `PageNumber`/`PageSize` (default 1 and 10, size 1 to 100) and ignores
  `MaxResults`/`NextToken`; members come in join order (`Order=Desc` reverses it); `SearchMemberId` is a prefix
  of the member id, `SearchRoleName` a prefix of the role name (any case).
- `GetDataAgentWorkspaceInfo`'s `RoleName` is the caller's role: every caller acts for the account that
  created the workspaces, so it is `admin`. `Creator` is the seeded one or the local account, `Type` is `team`,
  `WorkspaceStatus` `active`; `ModifyTime` moves with every change of membership. Removing the creator or the
  last admin is not refused.
- `DMSUnit`, when given, must be the workspace's unit; `JoinTime` is service time, so tests can move it.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field
from typing import Any

from localcloud.clock import Clock
from localcloud.dms.errors import DmsError

ROLE_NAMES = ("USER", "DBA", "ADMIN", "SECURITY_ADMIN")
ROLE_IDS = {"USER": 1, "DBA": 2, "ADMIN": 3, "SECURITY_ADMIN": 4, "STRUCT_READ_ONLY": 6}
"""The role ids GetUser's `RoleIdList` carries beside the names (GetUser docs)."""
USER_STATES = ("NORMAL", "DISABLE", "DELETE")
USER_PAGE_SIZES = (10, 20, 50, 100)
WORKSPACE_ROLES = ("ADMIN", "MEMBER")
MEMBER_PAGE_SIZE_MAX = 100
FIRST_USER_ID = 1000001


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
    user_id: str = ""
    state: str = "NORMAL"
    max_execute_count: int | None = None
    max_result_count: int | None = None

    def data(self, parent_uid: int | str) -> dict[str, Any]:
        """The user as GetUser's `User` object (and ListUsers' items) name it."""
        out: dict[str, Any] = {
            "Uid": self.uid,
            "UserId": self.user_id,
            "ParentUid": parent_uid,
            "NickName": self.nick,
            "State": self.state,
            "RoleIdList": {"RoleIds": [ROLE_IDS[r] for r in self.role_names]},
            "RoleNameList": {"RoleNames": list(self.role_names)},
            "CurExecuteCount": 0,
            "CurResultCount": 0,
        }
        if self.mobile:
            out["Mobile"] = self.mobile
        if self.max_execute_count is not None:
            out["MaxExecuteCount"] = self.max_execute_count
        if self.max_result_count is not None:
            out["MaxResultCount"] = self.max_result_count
        return out


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
    creator: str = ""
    description: str = ""
    type: str = "team"
    created_at: int = 0
    modified_at: int = 0
    members: dict[str, Member] = field(default_factory=dict)

    def view(self) -> dict[str, Any]:
        return {
            "workspace_id": self.workspace_id,
            "name": self.name,
            "tid": self.tid,
            "dms_unit": self.dms_unit,
            "creator": self.creator,
            "type": self.type,
            "created_at": self.created_at,
            "modified_at": self.modified_at,
            "members": [m.data() for m in self.members.values()],
        }


@dataclass(frozen=True)
class UserQuery:
    """ListUsers' filters and page, as the request gives them."""

    page_number: int = 1
    page_size: int = 10
    role: str = ""
    user_state: str = ""
    search_key: str = ""


@dataclass(frozen=True)
class MemberQuery:
    """ListDataAgentWorkspaceMember's filters and page, as the request gives them."""

    page_number: int = 1
    page_size: int = 10
    search_member_id: str = ""
    search_role_name: str = ""
    descending: bool = False


def parse_roles(role_names: str) -> list[str]:
    roles = [r.strip() for r in role_names.split(",") if r.strip()] or ["USER"]
    for role in roles:
        if role not in ROLE_NAMES:
            raise DmsError.INVALID_ROLE.error(role=role)
    return list(dict.fromkeys(roles))


def _workspace_role(role_name: str) -> str:
    role = role_name.strip().upper()
    if role not in WORKSPACE_ROLES:
        raise DmsError.DA_INVALID_PARAMETER.error(
            reason=f"RoleName {role_name} is not one of {', '.join(WORKSPACE_ROLES)}"
        )
    return role.lower()


def _require(**values: str) -> None:
    missing = [name for name, value in values.items() if not value]
    if missing:
        raise DmsError.DA_INVALID_PARAMETER.error(reason=f"{', '.join(missing)} must be given")


def _member_id(member_id: str) -> None:
    if not member_id.isdigit():
        raise DmsError.DA_INVALID_PARAMETER.error(reason=f"MemberId {member_id} is not an Alibaba Cloud UID")


class DmsBackend:
    def __init__(self, clock: Clock, default_tid: int, region: str, account_id: str = "1234567890123456") -> None:
        self.clock = clock
        self.default_tid = default_tid
        self.region = region
        self.account_id = account_id
        self._lock = threading.Lock()
        self._tenants: dict[int, Tenant] = {}
        self._users: dict[tuple[int, str], User] = {}
        self._workspaces: dict[str, Workspace] = {}
        self._next_user_id = FIRST_USER_ID
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._tenants = {self.default_tid: Tenant(self.default_tid, "default")}
            self._users = {}
            self._workspaces = {}
            self._next_user_id = FIRST_USER_ID

    @property
    def parent_uid(self) -> int | str:
        """The owning account's UID, an integer where the SDK types it so (GetUser)."""
        return int(self.account_id) if self.account_id.isdigit() else self.account_id

    def _now(self) -> int:
        return int(self.clock.now())

    # Seeding

    def add_tenant(self, tid: int, name: str = "") -> dict[str, Any]:
        """Seeding, not an API: adding a known tenant again only renames it."""
        with self._lock:
            tenant = self._tenants.setdefault(tid, Tenant(tid, name))
            tenant.name = name or tenant.name
            return asdict(tenant)

    def add_workspace(
        self,
        workspace_id: str,
        name: str = "",
        tid: int | None = None,
        dms_unit: str | None = None,
        creator: str = "",
        description: str = "",
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
                now = self._now()
                workspace = Workspace(
                    workspace_id,
                    name or workspace_id,
                    owner,
                    dms_unit or self.region,
                    creator=creator or self.account_id,
                    description=description,
                    created_at=now,
                    modified_at=now,
                )
                self._workspaces[workspace_id] = workspace
            return workspace.view()

    # Users (dms-enterprise)

    def _tenant(self, tid: int | None) -> int:
        tenant = self.default_tid if tid is None else tid
        if tenant not in self._tenants:
            raise DmsError.TENANT_NOT_EXIST.error()
        return tenant

    def _user(self, tid: int | None, uid: str = "", user_id: str = "", deleted: bool = False) -> User:
        """The user named by Uid and/or UserId (both must name the same one); tombstones only if `deleted`."""
        tenant = self._tenant(tid)
        found: User | None = None
        if uid:
            found = self._users.get((tenant, uid))
        elif user_id:
            found = next((u for (t, _), u in self._users.items() if t == tenant and u.user_id == user_id), None)
        if found is not None and user_id and found.user_id != user_id:
            found = None
        if found is None or (found.state == "DELETE" and not deleted):
            raise DmsError.TARGET_USER_NOT_EXIST.error()
        return found

    def register_user(self, tid: int | None, uid: str, nick: str, role_names: str, mobile: str) -> User:
        if not uid.isdigit():
            raise DmsError.INVALID_UID.error(uid=uid)
        roles = parse_roles(role_names)
        with self._lock:
            tenant = self._tenant(tid)
            present = self._users.get((tenant, uid))
            if present is not None and present.state != "DELETE":
                raise DmsError.USER_EXISTED.error()
            if present is not None:
                user_id = present.user_id
            else:
                user_id = str(self._next_user_id)
                self._next_user_id += 1
            user = User(tenant, uid, nick or uid, roles, mobile, self._now(), user_id=user_id)
            self._users[(tenant, uid)] = user
            return user

    def get_user(self, tid: int | None, uid: str, user_id: str) -> dict[str, Any]:
        with self._lock:
            return self._user(tid, uid, user_id, deleted=True).data(self.parent_uid)

    def list_users(self, tid: int | None, query: UserQuery) -> tuple[int, list[dict[str, Any]]]:
        """(TotalCount, the page's users as ListUsers' items)."""
        if query.page_size not in USER_PAGE_SIZES:
            raise DmsError.INVALID_PARAMETER.error(
                name="PageSize", reason=f"{query.page_size} is not one of {', '.join(map(str, USER_PAGE_SIZES))}"
            )
        if query.page_number < 1:
            raise DmsError.INVALID_PARAMETER.error(name="PageNumber", reason="pages start at 1")
        if query.role and query.role not in ROLE_IDS:
            raise DmsError.INVALID_ROLE.error(role=query.role)
        if query.user_state and query.user_state not in USER_STATES:
            raise DmsError.INVALID_PARAMETER.error(
                name="UserState", reason=f"{query.user_state} is not one of {', '.join(USER_STATES)}"
            )
        key = query.search_key.lower()

        def matches(user: User) -> bool:
            return (
                (not query.role or query.role in user.role_names)
                and (not query.user_state or user.state == query.user_state)
                and (not key or any(key in text.lower() for text in (user.uid, user.user_id, user.nick)))
            )

        with self._lock:
            tenant = self.default_tid if tid is None else tid
            if tenant not in self._tenants:
                raise DmsError.INVALID_TID.error()
            found = [u for (t, _), u in self._users.items() if t == tenant and matches(u)]
            start = (query.page_number - 1) * query.page_size
            parent = str(self.account_id)
            return len(found), [u.data(parent) for u in found[start : start + query.page_size]]

    def update_user(
        self,
        tid: int | None,
        uid: str,
        nick: str = "",
        role_names: str = "",
        mobile: str = "",
        max_execute_count: int | None = None,
        max_result_count: int | None = None,
    ) -> None:
        roles = parse_roles(role_names) if role_names.strip() else None
        with self._lock:
            user = self._user(tid, uid)
            if roles is not None:
                user.role_names = roles
            user.nick = nick or user.nick
            user.mobile = mobile or user.mobile
            if max_execute_count is not None:
                user.max_execute_count = max_execute_count
            if max_result_count is not None:
                user.max_result_count = max_result_count

    def disable_user(self, tid: int | None, uid: str) -> None:
        self._move(tid, uid, "DISABLE", "the user is already disabled")

    def enable_user(self, tid: int | None, uid: str) -> None:
        self._move(tid, uid, "NORMAL", "the user is not disabled")

    def _move(self, tid: int | None, uid: str, state: str, already: str) -> None:
        """Into `state`; a user already there is refused (UserStatusIllegal), as DMS does."""
        with self._lock:
            user = self._user(tid, uid)
            if user.state == state:
                raise DmsError.USER_STATUS_ILLEGAL.error(reason=already)
            user.state = state

    def delete_user(self, tid: int | None, uid: str) -> None:
        with self._lock:
            user = self._user(tid, uid)
            user.state = "DELETE"
            now = self._now()
            for workspace in self._workspaces.values():
                if workspace.tid == user.tid and workspace.members.pop(user.uid, None) is not None:
                    workspace.modified_at = now

    # Data-Agent workspaces (dms)

    def _workspace(self, workspace_id: str, dms_unit: str) -> Workspace:
        workspace = self._workspaces.get(workspace_id)
        if workspace is None:
            raise DmsError.DA_WORKSPACE_NOT_FOUND.error(workspace=workspace_id)
        if dms_unit and dms_unit != workspace.dms_unit:
            raise DmsError.DA_INVALID_PARAMETER.error(
                reason=f"DMSUnit {dms_unit} is not the workspace's unit {workspace.dms_unit}"
            )
        return workspace

    def _member(self, workspace: Workspace, member_id: str) -> Member:
        member = workspace.members.get(member_id)
        if member is None:
            raise DmsError.DA_MEMBER_NOT_FOUND.error(uid=member_id, workspace=workspace.workspace_id)
        return member

    def add_workspace_member(
        self, workspace_id: str, member_id: str, role_name: str, dms_unit: str = ""
    ) -> dict[str, Any]:
        """The new member as the API's `Data` object."""
        _require(WorkspaceId=workspace_id, MemberId=member_id, RoleName=role_name)
        _member_id(member_id)
        role = _workspace_role(role_name)
        with self._lock:
            workspace = self._workspace(workspace_id, dms_unit)
            user = self._users.get((workspace.tid, member_id))
            if user is None or user.state == "DELETE":
                raise DmsError.USER_NOT_EXIST.error()
            present = workspace.members.get(member_id)
            if present is not None:
                raise DmsError.DA_MEMBER_EXISTS.error(role=present.role_name)
            member = Member(member_id, user.nick, role, self._now())
            workspace.members[member_id] = member
            workspace.modified_at = member.join_time
            return member.data()

    def update_workspace_member_role(
        self, workspace_id: str, member_id: str, role_name: str, dms_unit: str = ""
    ) -> dict[str, Any]:
        """The member with the new role, as the API's `Data` object."""
        _require(WorkspaceId=workspace_id, MemberId=member_id, RoleName=role_name)
        _member_id(member_id)
        role = _workspace_role(role_name)
        with self._lock:
            workspace = self._workspace(workspace_id, dms_unit)
            member = self._member(workspace, member_id)
            if member.role_name != role:
                member.role_name = role
                workspace.modified_at = self._now()
            return member.data()

    def remove_workspace_member(self, workspace_id: str, member_id: str, dms_unit: str = "") -> None:
        _require(WorkspaceId=workspace_id, MemberId=member_id)
        _member_id(member_id)
        with self._lock:
            workspace = self._workspace(workspace_id, dms_unit)
            self._member(workspace, member_id)
            del workspace.members[member_id]
            workspace.modified_at = self._now()

    def list_workspace_members(self, workspace_id: str, query: MemberQuery, dms_unit: str = "") -> dict[str, Any]:
        """ListDataAgentWorkspaceMember's `Data`: the page's members (`JoinTime` a string there) and the totals."""
        _require(WorkspaceId=workspace_id)
        if query.page_number < 1:
            raise DmsError.DA_INVALID_PARAMETER.error(reason="PageNumber starts at 1")
        if not 1 <= query.page_size <= MEMBER_PAGE_SIZE_MAX:
            raise DmsError.DA_INVALID_PARAMETER.error(reason=f"PageSize must be 1 to {MEMBER_PAGE_SIZE_MAX}")
        role_prefix = query.search_role_name.lower()

        def keep(member: Member) -> bool:
            return member.member_id.startswith(query.search_member_id) and member.role_name.startswith(role_prefix)

        with self._lock:
            workspace = self._workspace(workspace_id, dms_unit)
            found = [m for m in workspace.members.values() if keep(m)]
        if query.descending:
            found.reverse()
        start = (query.page_number - 1) * query.page_size
        content = [{**m.data(), "JoinTime": str(m.join_time)} for m in found[start : start + query.page_size]]
        return {
            "Content": content,
            "PageNumber": query.page_number,
            "PageSize": query.page_size,
            "TotalElements": len(found),
            "TotalPages": -(-len(found) // query.page_size),
        }

    def workspace_info(self, workspace_id: str, dms_unit: str = "") -> dict[str, Any]:
        """GetDataAgentWorkspaceInfo's `Data` (times and `TotalMember` are strings, as the SDK types them)."""
        _require(WorkspaceId=workspace_id)
        with self._lock:
            workspace = self._workspace(workspace_id, dms_unit)
            return {
                "WorkspaceId": workspace.workspace_id,
                "WorkspaceName": workspace.name,
                "WorkspaceDesc": workspace.description,
                "WorkspaceStatus": "active",
                "Type": workspace.type,
                "Creator": workspace.creator,
                "CreateTime": str(workspace.created_at),
                "ModifyTime": str(workspace.modified_at),
                "RoleName": "admin",
                "TotalMember": str(len(workspace.members)),
                "IsSessionShareEnabled": False,
            }

    def snapshot(self) -> dict[str, Any]:
        """What the control plane shows: mobiles masked, members as the API returns them."""
        with self._lock:
            return {
                "tenants": [asdict(t) for t in self._tenants.values()],
                "users": [{**asdict(u), "mobile": mask_mobile(u.mobile)} for u in self._users.values()],
                "workspaces": [w.view() for w in self._workspaces.values()],
            }

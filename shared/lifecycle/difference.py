"""The calls that make DMS match the desired state, and nothing more: a pure function of what is and what should be.

Order matters twice. Access is taken away before it is given (workspace removals first, for movers as for
leavers), so a person never holds more than either their old or their new state allows. And a leaver's
memberships go before the user is disabled or deleted, because DMS refuses member operations on a user it no
longer considers present.

The product removes only memberships it granted (`granted`, from the person register); a membership someone added
by hand in a workspace the product looked at is reported (`foreign`), never touched. A membership that matches
the desired state counts as the product's from then on: it cannot tell a grant of its own whose answer was lost
from one made by hand, and treating it as its own is the direction that never leaves access behind.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from shared.dms.operations import (
    ADD_USER_TO_DATA_AGENT_WORKSPACE,
    DELETE_USER,
    DISABLE_USER,
    ENABLE_USER,
    REGISTER_USER,
    REMOVE_USER_TO_DATA_AGENT_WORKSPACE,
    UPDATE_DATA_AGENT_WORKSPACE_MEMBER_ROLE,
    UPDATE_USER,
)
from shared.dms.verdicts import NOT_MEMBER_CODES
from shared.lifecycle.desired import Desired, WorkspaceTarget
from shared.lifecycle.observed import DmsUser, Observed, WorkspaceRef
from shared.lifecycle.steps import Change

STATUS_ILLEGAL = frozenset({"UserStatusIllegal"})
"""DisableUser of a disabled user, EnableUser of an enabled one: the state the call wanted already holds."""


@dataclass(frozen=True)
class Difference:
    changes: tuple[Change, ...]
    foreign: tuple[WorkspaceRef, ...] = ()
    """Memberships in looked-at workspaces the product neither granted nor wants: reported, left alone."""

    @property
    def revokes(self) -> bool:
        return any(change.revokes for change in self.changes)


def difference(
    uid: str,
    desired: Desired,
    observed: Observed,
    granted: Iterable[WorkspaceRef],
    leaver_action: str = "disable",
) -> Difference:
    ours = {ref.workspace_id: ref for ref in granted}
    target = desired.workspace if desired.active else None
    changes: list[Change] = []
    for workspace_id, ref in ours.items():
        if workspace_id in observed.memberships and (target is None or target.workspace_id != workspace_id):
            changes.append(_remove(uid, ref))
    user = observed.user
    if desired.active:
        changes.extend(_user_changes(uid, desired, user))
        if target is not None:
            changes.extend(_workspace_changes(uid, target, observed))
    elif user is not None and user.exists:
        tid = desired.tenant_id
        if leaver_action == "delete":
            changes.append(
                Change(
                    "delete_user", DELETE_USER, {"Uid": uid, "Tid": tid}, "leaver", revokes=True, already_if_absent=True
                )
            )
        elif user.state == "NORMAL":
            changes.append(
                Change("disable_user", DISABLE_USER, {"Uid": uid, "Tid": tid}, "leaver", STATUS_ILLEGAL, revokes=True)
            )
    wanted = {target.workspace_id} if target is not None else set()
    foreign = tuple(
        WorkspaceRef(workspace_id)
        for workspace_id in sorted(observed.memberships)
        if workspace_id not in ours and workspace_id not in wanted
    )
    return Difference(tuple(changes), foreign)


def _user_changes(uid: str, desired: Desired, user: DmsUser | None) -> list[Change]:
    tid = desired.tenant_id
    roles = ",".join(desired.roles) or None
    if user is None or not user.exists:
        parameters = {
            "Uid": uid,
            "UserNick": desired.nickname,
            "RoleNames": roles,
            "Mobile": desired.mobile,
            "Tid": tid,
        }
        reason = "new user" if user is None else "rehire of a deleted user"
        return [Change("register_user", REGISTER_USER, parameters, reason)]
    changes: list[Change] = []
    if user.state == "DISABLE":
        changes.append(Change("enable_user", ENABLE_USER, {"Uid": uid, "Tid": tid}, "rehire", STATUS_ILLEGAL))
    update: dict[str, object] = {}
    why: list[str] = []
    if frozenset(desired.roles) != user.roles:
        update["RoleNames"] = roles
        why.append(f"roles {','.join(sorted(user.roles)) or '-'} -> {roles}")
    if desired.nickname and desired.nickname != user.nickname:
        update["UserNick"] = desired.nickname
        why.append("nickname")
    if desired.mobile and not same_mobile(desired.mobile, user.mobile):
        update["Mobile"] = desired.mobile
        why.append("mobile")
    if update:
        changes.append(Change("update_user", UPDATE_USER, {"Uid": uid, **update, "Tid": tid}, "; ".join(why)))
    return changes


def _workspace_changes(uid: str, target: WorkspaceTarget, observed: Observed) -> list[Change]:
    parameters = {
        "WorkspaceId": target.workspace_id,
        "MemberId": uid,
        "RoleName": target.role,
        "DMSUnit": target.dms_unit,
    }
    present = observed.memberships.get(target.workspace_id)
    if present is None:
        return [
            Change(
                "add_to_workspace",
                ADD_USER_TO_DATA_AGENT_WORKSPACE,
                parameters,
                f"join as {target.role}",
                workspace_id=target.workspace_id,
                dms_unit=target.dms_unit,
            )
        ]
    if present.upper() != target.role.upper():
        return [
            Change(
                "update_workspace_role",
                UPDATE_DATA_AGENT_WORKSPACE_MEMBER_ROLE,
                parameters,
                f"workspace role {present} -> {target.role}",
                revokes=_rank(target.role) < _rank(present),
                workspace_id=target.workspace_id,
                dms_unit=target.dms_unit,
            )
        ]
    return []


def _remove(uid: str, ref: WorkspaceRef) -> Change:
    return Change(
        "remove_from_workspace",
        REMOVE_USER_TO_DATA_AGENT_WORKSPACE,
        {"WorkspaceId": ref.workspace_id, "MemberId": uid, "DMSUnit": ref.dms_unit},
        "granted by the product, no longer wanted",
        NOT_MEMBER_CODES,
        revokes=True,
        workspace_id=ref.workspace_id,
        dms_unit=ref.dms_unit,
    )


def _rank(role: str) -> int:
    return 2 if role.upper() == "ADMIN" else 1


def same_mobile(wanted: str, held: str) -> bool:
    """DMS may keep a number in its own form (with or without the country code): the digits decide."""
    a, b = "".join(filter(str.isdigit, wanted)), "".join(filter(str.isdigit, held))
    if not a or not b:
        return a == b
    shorter, longer = sorted((a, b), key=len)
    return longer.endswith(shorter) and len(shorter) >= 7

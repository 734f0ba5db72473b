"""The difference between desired and observed DMS state: exactly the calls needed, in the safe order.

Pure logic, no server: observations are built by hand. tests/integration/test_lifecycle_flows.py drives the same
code against the DMS emulator through the official SDKs.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from shared.lifecycle.desired import Desired, WorkspaceTarget
from shared.lifecycle.difference import difference, same_mobile
from shared.lifecycle.observed import DmsUser, Observed, WorkspaceRef

UID = "2000000000001"
ANALYTICS, ENGINEERING = "209230000007291", "209230000007305"
HIRED = Desired(
    active=True,
    nickname="Wang Fang",
    mobile="+8613900001234",
    roles=("USER", "DBA"),
    tenant_id=10001,
    workspace=WorkspaceTarget(ANALYTICS, "ADMIN", "cn-hangzhou"),
)
NORMAL = DmsUser("NORMAL", frozenset({"USER", "DBA"}), "Wang Fang", "+8613900001234", "1000001")


def steps(
    desired: Desired, observed: Observed, granted: tuple[WorkspaceRef, ...] = (), action: str = "disable"
) -> list[str]:
    return [change.step for change in difference(UID, desired, observed, granted, action).changes]


def test_a_new_person_is_registered_then_joins_the_workspace() -> None:
    diff = difference(UID, HIRED, Observed(None), ())
    assert [c.step for c in diff.changes] == ["register_user", "add_to_workspace"]
    register, join = diff.changes
    assert register.parameters == {
        "Uid": UID,
        "UserNick": "Wang Fang",
        "RoleNames": "USER,DBA",
        "Mobile": "+8613900001234",
        "Tid": 10001,
    }
    assert join.parameters == {"WorkspaceId": ANALYTICS, "MemberId": UID, "RoleName": "ADMIN", "DMSUnit": "cn-hangzhou"}
    assert not diff.revokes


def test_a_person_dms_already_matches_needs_no_call() -> None:
    observed = Observed(NORMAL, {ANALYTICS: "ADMIN"}, frozenset({ANALYTICS}))
    assert steps(HIRED, observed, (WorkspaceRef(ANALYTICS, "cn-hangzhou"),)) == []


def test_a_mover_gets_one_update_user_with_the_whole_role_set_and_a_role_change() -> None:
    moved = replace(
        HIRED, roles=("USER",), nickname="Wang Fang (Analytics)", workspace=WorkspaceTarget(ANALYTICS, "MEMBER")
    )
    observed = Observed(NORMAL, {ANALYTICS: "ADMIN"}, frozenset({ANALYTICS}))
    diff = difference(UID, moved, observed, (WorkspaceRef(ANALYTICS),))
    update, role = diff.changes
    assert update.parameters == {"Uid": UID, "RoleNames": "USER", "UserNick": "Wang Fang (Analytics)", "Tid": 10001}
    assert role.step == "update_workspace_role"
    assert role.parameters["RoleName"] == "MEMBER"
    assert role.revokes, "admin to member takes access away"


def test_a_move_between_workspaces_removes_the_old_one_before_joining_the_new() -> None:
    moved = replace(HIRED, workspace=WorkspaceTarget(ENGINEERING, "MEMBER", "cn-hangzhou"))
    observed = Observed(NORMAL, {ANALYTICS: "ADMIN"}, frozenset({ANALYTICS, ENGINEERING}))
    assert steps(moved, observed, (WorkspaceRef(ANALYTICS, "cn-hangzhou"),)) == [
        "remove_from_workspace",
        "add_to_workspace",
    ]


def test_a_membership_added_by_hand_is_reported_never_removed() -> None:
    observed = Observed(NORMAL, {ANALYTICS: "ADMIN", ENGINEERING: "MEMBER"}, frozenset({ANALYTICS, ENGINEERING}))
    diff = difference(UID, HIRED, observed, (WorkspaceRef(ANALYTICS),))
    assert diff.changes == ()
    assert [ref.workspace_id for ref in diff.foreign] == [ENGINEERING]
    left = difference(UID, Desired.leave(10001), observed, (WorkspaceRef(ANALYTICS),))
    assert [c.step for c in left.changes] == ["remove_from_workspace", "disable_user"]
    assert left.changes[0].parameters["WorkspaceId"] == ANALYTICS


@pytest.mark.parametrize(("action", "last"), [("disable", "disable_user"), ("delete", "delete_user")])
def test_a_leaver_loses_granted_workspaces_first_then_the_user(action: str, last: str) -> None:
    observed = Observed(NORMAL, {ANALYTICS: "ADMIN"}, frozenset({ANALYTICS}))
    diff = difference(UID, Desired.leave(10001), observed, (WorkspaceRef(ANALYTICS),), action)
    assert [c.step for c in diff.changes] == ["remove_from_workspace", last]
    assert all(c.revokes for c in diff.changes)


def test_a_leave_for_someone_dms_never_saw_revokes_nothing() -> None:
    assert steps(Desired.leave(), Observed(None), (WorkspaceRef(ANALYTICS),)) == []


def test_a_disabled_leaver_stays_disabled_unless_deletion_is_asked() -> None:
    disabled = Observed(replace(NORMAL, state="DISABLE"))
    assert steps(Desired.leave(), disabled) == []
    assert steps(Desired.leave(), disabled, action="delete") == ["delete_user"]
    assert steps(Desired.leave(), Observed(replace(NORMAL, state="DELETE")), action="delete") == []


def test_a_rehire_after_a_disable_is_enabled_and_given_its_grants_again() -> None:
    disabled = Observed(replace(NORMAL, state="DISABLE", roles=frozenset({"USER"})), {}, frozenset({ANALYTICS}))
    assert steps(HIRED, disabled) == ["enable_user", "update_user", "add_to_workspace"]


def test_a_rehire_after_a_delete_registers_again() -> None:
    deleted = Observed(replace(NORMAL, state="DELETE"))
    diff = difference(UID, HIRED, deleted, ())
    assert [c.step for c in diff.changes] == ["register_user", "add_to_workspace"]
    assert diff.changes[0].reason == "rehire of a deleted user"


def test_a_retried_write_that_meets_its_own_effect_counts_it_as_done() -> None:
    left = difference(UID, Desired.leave(), Observed(NORMAL, {ANALYTICS: "MEMBER"}), (WorkspaceRef(ANALYTICS),))
    remove, disable = left.changes
    assert "DMS-DA-40412" in remove.already_codes
    assert "UserStatusIllegal" in disable.already_codes
    deleted = difference(UID, Desired.leave(), Observed(NORMAL), (), "delete").changes[0]
    assert deleted.already_if_absent


def test_planned_calls_show_the_mobile_masked() -> None:
    (register, _) = difference(UID, HIRED, Observed(None), ()).changes
    shown = register.planned().to_dict()
    assert shown["parameters"]["Mobile"] == "+86 139******34"
    assert shown["operation"] == "RegisterUser"
    assert "+8613900001234" not in str(shown)


def test_mobiles_compare_by_their_digits() -> None:
    assert same_mobile("+8613900001234", "13900001234")
    assert same_mobile("+8613900001234", "+86 139-0000-1234")
    assert not same_mobile("+8613900001234", "+8613900001235")
    assert not same_mobile("+8613900001234", "")


def test_desired_state_round_trips_through_the_register_and_unreadable_means_no_access() -> None:
    assert Desired.from_json(HIRED.to_json()) == HIRED
    assert Desired.from_json(Desired.leave(7).to_json()) == Desired.leave(7)
    assert not Desired.from_json({"active": "yes"}).active
    assert HIRED.public()["mobile"] == "+86 139******34"

"""A dry run's outcome read as a person's difference: the planned calls in words, and the leaves the breaker
would hold. Outcomes are built by hand here, as the provisioner's dry run shapes them; tests/integration/
test_roster.py gets them from the real provisioner against the local cloud.
"""

from __future__ import annotations

from typing import Any

from shared.lifecycle.outcome import Outcome, Status
from shared.lifecycle.steps import StepName, StepResult
from shared.roster.difference import describe, hold_past_breaker, planned
from shared.roster.summary import Result

UID = "2000000000101"
READS = (StepResult("get_user", "read", "GetUser", 1), StepResult("list_workspace_members", "read", "X", 1))


def step(name: StepName, operation: str, reason: str = "", **parameters: Any) -> StepResult:
    return StepResult(name, "planned", operation, parameters=parameters, reason=reason)


def outcome(*steps: StepResult, status: Status = "dry_run", kind: str = "employee.updated", **extra: Any) -> Outcome:
    return Outcome(status, "roster-x-1", "roster", "c", kind, UID, steps=(*READS, *steps), extra=extra)


def test_a_person_dms_does_not_know_is_a_hire_with_roles_and_workspace() -> None:
    result = planned(
        outcome(
            step("register_user", "RegisterUser", "new user", Uid=UID, RoleNames="USER,DBA", Tid=10001),
            step(
                "add_to_workspace",
                "AddUserToDataAgentWorkspace",
                "join as MEMBER",
                WorkspaceId="7305",
                RoleName="MEMBER",
            ),
            kind="employee.hired",
        ),
        2,
        "Chen Jing",
    )
    assert (result.status, result.line, result.nickname) == ("hire", 2, "Chen Jing")
    assert result.changes == ("register with roles USER,DBA in tenant 10001", "join workspace 7305 as MEMBER")


def test_an_update_says_what_would_change_roles_nickname_mobile_and_workspace_role() -> None:
    result = planned(
        outcome(
            step(
                "update_user",
                "UpdateUser",
                "roles USER -> USER,DBA; nickname; mobile",
                RoleNames="USER,DBA",
                UserNick="Chen Jing",
                Mobile="+86 138******01",
            ),
            step(
                "update_workspace_role",
                "UpdateDataAgentWorkspaceMemberRole",
                "workspace role MEMBER -> ADMIN",
                WorkspaceId="7305",
                RoleName="ADMIN",
            ),
        ),
        2,
        "Chen Jing",
    )
    assert result.status == "update"
    assert result.changes == (
        "roles USER -> USER,DBA; nickname -> Chen Jing; mobile -> +86 138******01",
        "workspace 7305 role MEMBER -> ADMIN",
    )


def test_a_mover_leaves_the_old_workspace_before_joining_the_new_one() -> None:
    result = planned(
        outcome(
            step("remove_from_workspace", "RemoveUserToDataAgentWorkspace", "no longer wanted", WorkspaceId="7291"),
            step(
                "add_to_workspace",
                "AddUserToDataAgentWorkspace",
                "join as MEMBER",
                WorkspaceId="7305",
                RoleName="MEMBER",
            ),
        ),
        3,
        "",
    )
    assert result.changes == ("leave workspace 7291", "join workspace 7305 as MEMBER")


def test_a_rehire_of_a_disabled_user_is_an_update_that_enables_it() -> None:
    result = planned(outcome(step("enable_user", "EnableUser", "rehire")), 2, "")
    assert (result.status, result.changes) == ("update", ("enable the disabled user (rehire)",))


def test_nothing_planned_is_unchanged() -> None:
    assert planned(outcome(), 2, "").status == "unchanged"


def test_a_leave_that_revokes_is_a_leave_and_one_with_nothing_to_revoke_is_unchanged() -> None:
    revoking = planned(outcome(step("disable_user", "DisableUser", "leaver"), kind="employee.left"), None, "")
    assert (revoking.status, revoking.changes, revoking.line) == ("leave", ("disable the user",), None)
    assert planned(outcome(kind="employee.left"), None, "").status == "unchanged"


def test_superseded_and_failed_dry_runs_keep_their_status_and_say_why() -> None:
    superseded = planned(outcome(status="superseded", superseded_by="dingtalk:moved:1"), 2, "")
    assert (superseded.status, superseded.reason) == ("superseded", "a newer event was applied: dingtalk:moved:1")
    failing = StepResult("get_user", "failed", "GetUser", 2, "transient", "req-1", "ServiceUnavailable", "busy")
    failed = planned(Outcome("failed", "e", "roster", "c", "employee.updated", UID, steps=(failing,)), 2, "")
    assert failed.status == "failed"
    assert failed.reason == "GetUser failed: ServiceUnavailable: busy (request req-1; retryable)"


def leavers(*uids: str) -> list[Result]:
    return [Result("leave", uid, None, changes=("disable the user",)) for uid in uids]


def test_leaves_past_the_limit_less_those_already_counted_would_be_held_in_uid_order() -> None:
    marked = hold_past_breaker(
        [Result("unchanged", "1", 2), *leavers("9", "7", "8")],
        {"limit": 3, "recent_leavers": 1, "tripped_at": None, "window_seconds": 3600},
    )
    assert [(r.uid, r.status) for r in marked] == [("1", "unchanged"), ("9", "hold"), ("7", "leave"), ("8", "leave")]
    (held,) = [r for r in marked if r.status == "hold"]
    assert "3 leavers, 1 already counted in the last 3600 s, limit 3" in held.reason
    assert held.changes == ("disable the user",)


def test_a_tripped_breaker_would_hold_every_leave() -> None:
    marked = hold_past_breaker(
        leavers("7", "8"), {"limit": 10, "recent_leavers": 0, "tripped_at": 1, "window_seconds": 60}
    )
    assert {r.status for r in marked} == {"hold"}
    assert "tripped" in marked[0].reason


def test_leaves_within_the_limit_are_not_held() -> None:
    marked = hold_past_breaker(leavers("7", "8"), {"limit": 10, "recent_leavers": 0, "tripped_at": None})
    assert {r.status for r in marked} == {"leave"}


def test_a_planned_call_without_words_of_its_own_is_named_by_its_operation() -> None:
    assert describe(step("register", "Tablestore", "claim")) == "Tablestore (claim)"

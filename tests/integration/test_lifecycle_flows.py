"""Joiner, mover, leaver, rehire, in any delivery order: DMS follows the newest thing HR said about each person.

Every test provisions sample events (events/hr/) through the real stack on the local cloud: the DMS client over the
official SDKs, the person register over the official Tablestore SDK, outcomes through MNS. DMS state is read back
from the emulator, and the calls it received from its call log.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from localcloud import LocalCloud
from shared.config import LeaverPolicy
from shared.infra.retry import Deadline
from shared.lifecycle.convergence import PersonBusyError
from tests.support.lifecycle import Stack, event, sample

UID = "2000000000001"
ANALYTICS, ENGINEERING = "209230000007291", "209230000007305"


@pytest.fixture
def stack(cloud: LocalCloud) -> Stack:
    return Stack(cloud)


def operations(outcome: Any) -> list[tuple[str, str]]:
    return [(step.operation, step.result) for step in outcome.steps]


def written(stack: Stack, since: int) -> list[str]:
    return [str(call["action"]) for call in stack.writes(since)]


def hire(stack: Stack) -> None:
    assert stack.provision(sample("hired-explicit-roles.json")).status == "provisioned"


def test_a_joiner_gets_the_user_roles_and_workspace_and_the_register_records_the_grant(stack: Stack) -> None:
    hire(stack)
    user = stack.user(UID)
    assert (user["state"], user["role_names"], user["nick"]) == ("NORMAL", ["USER", "DBA"], "Wang Fang")
    assert stack.memberships(UID) == {ANALYTICS: "ADMIN"}
    record = stack.record(UID)
    assert record is not None
    assert (record.status, record.converged, record.lease_token) == ("active", True, "")
    assert [grant.workspace_id for grant in record.granted] == [ANALYTICS]


def test_a_mover_changes_roles_nickname_and_workspace_role_in_two_calls(stack: Stack) -> None:
    hire(stack)
    since = stack.last_seq()
    outcome = stack.provision(sample("updated-moved.json"))
    assert outcome.status == "updated"
    assert written(stack, since) == ["UpdateUser", "UpdateDataAgentWorkspaceMemberRole"]
    user = stack.user(UID)
    assert (user["role_names"], user["nick"]) == (["USER"], "Wang Fang (Analytics)")
    assert stack.memberships(UID) == {ANALYTICS: "MEMBER"}


def test_a_mover_to_another_workspace_leaves_the_old_one_first(stack: Stack) -> None:
    hire(stack)
    moved = event("updated-moved.json")
    moved["employee"]["dms"].update(workspace_id=ENGINEERING, workspace_role="MEMBER")
    since = stack.last_seq()
    assert stack.provision(moved).status == "updated"
    assert written(stack, since) == ["RemoveUserToDataAgentWorkspace", "UpdateUser", "AddUserToDataAgentWorkspace"]
    assert stack.memberships(UID) == {ENGINEERING: "MEMBER"}
    record = stack.record(UID)
    assert record is not None
    assert [grant.workspace_id for grant in record.granted] == [ENGINEERING]


def test_a_mover_who_needs_no_workspace_any_more_is_removed_from_it(stack: Stack) -> None:
    hire(stack)
    moved = event("updated-moved.json")
    moved["employee"]["dms"] = {"tenant_id": 10001, "roles": ["USER"]}
    moved["employee"]["department"] = "Sales"
    assert stack.provision(moved).status == "updated"
    assert stack.memberships(UID) == {}


def test_a_changed_mobile_alone_is_one_update_user(stack: Stack) -> None:
    hire(stack)
    changed = event("hired-explicit-roles.json", type="employee.updated", event_id="workday:worker.changed:m1")
    changed["occurred_at"] = "2025-04-01T09:00:00+08:00"
    changed["employee"]["mobile"] = "+86 139 0000 9999"
    since = stack.last_seq()
    outcome = stack.provision(changed)
    assert outcome.status == "updated"
    (update,) = stack.writes(since)
    assert update["action"] == "UpdateUser"
    assert set(update["params"]) >= {"Uid", "Mobile"}
    assert "RoleNames" not in update["params"]


def test_an_event_dms_already_matches_is_unchanged_and_writes_nothing(stack: Stack) -> None:
    hire(stack)
    since = stack.last_seq()
    again = stack.provision(sample("hired-explicit-roles.json"))
    assert again.status == "unchanged"
    assert written(stack, since) == []
    assert operations(again) == [("GetUser", "read"), ("ListDataAgentWorkspaceMember", "read")]


@pytest.mark.parametrize(("action", "state"), [("disable", "DISABLE"), ("delete", "DELETE")])
def test_a_leaver_loses_the_workspace_first_then_the_user(cloud: LocalCloud, action: str, state: str) -> None:
    stack = Stack(cloud, leavers=LeaverPolicy(action=action, limit=100))
    hire(stack)
    since = stack.last_seq()
    outcome = stack.provision(sample("left.json"))
    assert outcome.status == "deprovisioned"
    assert written(stack, since) == ["RemoveUserToDataAgentWorkspace", f"{action.capitalize()}User"]
    assert stack.user(UID)["state"] == state
    assert stack.memberships(UID) == {}
    record = stack.record(UID)
    assert record is not None
    assert (record.status, record.granted, record.converged) == ("left", (), True)


@pytest.mark.parametrize(
    ("action", "calls"),
    [
        ("disable", ["EnableUser", "AddUserToDataAgentWorkspace"]),
        ("delete", ["RegisterUser", "AddUserToDataAgentWorkspace"]),
    ],
)
def test_a_rehire_after_a_leave_gets_access_back(cloud: LocalCloud, action: str, calls: list[str]) -> None:
    stack = Stack(cloud, leavers=LeaverPolicy(action=action, limit=100))
    hire(stack)
    stack.provision(sample("left.json"))
    since = stack.last_seq()
    outcome = stack.provision(sample("rehired.json"))
    assert outcome.status == ("updated" if action == "disable" else "provisioned")
    assert [c for c in written(stack, since) if c != "UpdateUser"] == calls
    user = stack.user(UID)
    assert (user["state"], user["role_names"]) == ("NORMAL", ["USER"])
    assert stack.memberships(UID) == {ENGINEERING: "MEMBER"}


def test_a_late_update_after_a_move_is_superseded_without_a_dms_call(stack: Stack) -> None:
    hire(stack)
    stack.provision(sample("updated-moved.json"))
    since = stack.last_seq()
    stale = stack.provision(sample("updated-stale.json"))
    assert stale.status == "superseded"
    assert stale.extra["superseded_by"] == event("updated-moved.json")["event_id"]
    assert stale.steps == ()
    assert [c for c in stack.cloud.calls.query(since=since) if str(c["service"]).startswith("dms")] == []
    assert stack.user(UID)["role_names"] == ["USER"]


def test_late_hire_after_leave_is_superseded(stack: Stack) -> None:
    hire(stack)
    stack.provision(sample("left.json"))
    since = stack.last_seq()
    late = stack.provision(sample("hired-explicit-roles.json"))
    assert late.status == "superseded"
    assert written(stack, since) == []
    assert stack.user(UID)["state"] == "DISABLE"
    assert stack.memberships(UID) == {}


def test_a_leave_for_someone_dms_never_saw_is_unchanged_recorded_and_supersedes_a_late_hire(stack: Stack) -> None:
    left = stack.provision(sample("left.json"))
    assert left.status == "unchanged"
    assert stack.writes() == []
    record = stack.record(UID)
    assert record is not None
    assert (record.status, record.event_id) == ("left", event("left.json")["event_id"])
    assert stack.provision(sample("hired-explicit-roles.json")).status == "superseded"
    assert stack.cloud.dms.snapshot()["users"] == []


def test_a_redelivered_newest_event_reconverges_rather_than_being_superseded(stack: Stack) -> None:
    hire(stack)
    stack.cloud.dms.update_user(10001, UID, role_names="USER,ADMIN")
    again = stack.provision(sample("hired-explicit-roles.json"))
    assert again.status == "updated"
    assert stack.user(UID)["role_names"] == ["USER", "DBA"]


def test_a_membership_added_by_hand_is_never_removed_and_a_wanted_one_is_adopted(stack: Stack) -> None:
    hire(stack)
    stack.cloud.dms.add_workspace_member(ENGINEERING, UID, "MEMBER")
    moved = event("updated-moved.json")
    moved["employee"]["dms"].update(workspace_id=ENGINEERING, workspace_role="ADMIN")
    assert stack.provision(moved).status == "updated"
    assert stack.memberships(UID) == {ENGINEERING: "ADMIN"}, "the wanted workspace's role is made to match"
    stack.cloud.dms.add_workspace_member(ANALYTICS, UID, "MEMBER")
    assert stack.provision(sample("left.json")).status == "deprovisioned"
    assert stack.memberships(UID) == {ANALYTICS: "MEMBER"}, "the product removed only what it granted"


def test_the_dry_run_shows_a_movers_exact_calls_against_current_state(stack: Stack) -> None:
    hire(stack)
    since = stack.last_seq()
    planned = stack.provision(sample("updated-moved.json"), dry_run=True)
    assert planned.status == "dry_run"
    assert [(s.operation, s.result) for s in planned.steps if s.result == "planned"] == [
        ("UpdateUser", "planned"),
        ("UpdateDataAgentWorkspaceMemberRole", "planned"),
    ]
    update = next(s for s in planned.steps if s.operation == "UpdateUser")
    assert update.parameters == {"Uid": UID, "RoleNames": "USER", "UserNick": "Wang Fang (Analytics)", "Tid": 10001}
    assert written(stack, since) == []
    record = stack.record(UID)
    assert record is not None
    assert record.event_id == event("hired-explicit-roles.json")["event_id"], "a dry run claims nothing"


def test_leavers_past_the_limit_are_held_whole_and_applied_once_released(cloud: LocalCloud) -> None:
    stack = Stack(cloud, leavers=LeaverPolicy(limit=1, window_seconds=3600))
    other = event("hired-explicit-roles.json", event_id="dingtalk:user_add_org:other")
    other["employee"].update(uid="2000000000009", mobile=None)
    for hired in (sample("hired-explicit-roles.json"), other):
        assert stack.provision(hired).status == "provisioned"
    assert stack.provision(sample("left.json")).status == "deprovisioned"
    second = event("left.json", event_id="dingtalk:user_leave_org:other")
    second["employee"] = {"uid": "2000000000009"}
    since = stack.last_seq()
    held = stack.provision(second)
    assert held.status == "held"
    assert "breaker" in held.extra["reason"]
    assert written(stack, since) == []
    assert stack.user("2000000000009")["state"] == "NORMAL"
    record = stack.record("2000000000009")
    assert record is not None
    assert record.status == "active", "a held leave has not happened"
    (kept,) = stack.held()
    assert '"2000000000009"' in kept["message"]
    from shared.messaging.formats import unwrap

    released = unwrap(kept["message"])
    outcome = stack.provision(released.event, released=True)
    assert outcome.status == "deprovisioned"
    assert stack.user("2000000000009")["state"] == "DISABLE"
    assert {p["data"]["status"] for p in stack.published()} >= {"held", "deprovisioned"}


def test_an_event_for_a_person_under_a_live_lease_is_busy_and_touches_nothing(stack: Stack) -> None:
    hire(stack)
    record = stack.record(UID)
    assert record is not None
    from dataclasses import replace

    stack.register.save(
        replace(record, lease_token="someone-else", lease_until_ms=stack.register.now_ms() + 30_000), Deadline.after(5)
    )
    since = stack.last_seq()
    with pytest.raises(PersonBusyError) as busy:
        stack.provision(sample("updated-moved.json"))
    assert 0 < busy.value.retry_after <= 30
    assert written(stack, since) == []
    moved_id = event("updated-moved.json")["event_id"]
    assert all(p["data"]["event_id"] != moved_id for p in stack.published()), "busy is not an outcome"


def test_a_lease_left_by_a_crashed_instance_expires_and_is_taken_over(stack: Stack) -> None:
    hire(stack)
    record = stack.record(UID)
    assert record is not None
    from dataclasses import replace

    stack.register.save(
        replace(record, lease_token="crashed", lease_until_ms=stack.register.now_ms() - 1), Deadline.after(5)
    )
    assert stack.provision(sample("updated-moved.json")).status == "updated"
    after = stack.record(UID)
    assert after is not None
    assert after.lease_token == ""


def test_concurrent_events_of_one_person_converge_one_at_a_time_and_the_newest_wins(stack: Stack) -> None:
    import threading
    import time

    names = ["hired-explicit-roles.json", "updated-stale.json", "updated-moved.json", "left.json", "rehired.json"]
    outcomes: list[Any] = []
    lock = threading.Lock()

    def deliver(name: str) -> None:
        for _ in range(200):
            try:
                outcome = stack.provision(sample(name))
            except PersonBusyError:
                time.sleep(0.02)
                continue
            with lock:
                outcomes.append(outcome)
            return

    threads = [threading.Thread(target=deliver, args=(name,)) for name in names * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(outcomes) == len(threads)
    leases = sorted(
        (o.extra["lease"]["acquired_ms"], o.extra["lease"]["released_ms"]) for o in outcomes if "lease" in o.extra
    )
    for (_, released), (acquired, _) in itertools.pairwise(leases):
        assert released <= acquired, "two convergences of one person overlapped"
    user = stack.user(UID)
    assert (user["state"], user["role_names"]) == ("NORMAL", ["USER"])
    assert stack.memberships(UID) == {ENGINEERING: "MEMBER"}
    record = stack.record(UID)
    assert record is not None
    assert record.event_id == event("rehired.json")["event_id"]


def test_a_lease_just_taken_is_tried_again_in_about_a_second_and_an_old_one_at_its_end(stack: Stack) -> None:
    """A live convergence ends in about a second; the full lease is only ever waited out for a crashed holder."""
    from dataclasses import replace

    hire(stack)
    record = stack.record(UID)
    assert record is not None
    lease_ms = stack.convergence.lease_ms
    for until, expected in ((lease_ms, 1.0), (5_000, 5.0)):
        now = stack.register.now_ms()
        leased = replace(record, lease_token="someone-else", lease_until_ms=now + until)
        record = stack.register.save(leased, Deadline.after(5))
        with pytest.raises(PersonBusyError) as busy:
            stack.provision(sample("updated-moved.json"))
        assert busy.value.retry_after == pytest.approx(expected, abs=0.5)

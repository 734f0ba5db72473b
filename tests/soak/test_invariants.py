"""The soak's checks must catch each way things can go wrong, or a clean soak proves nothing.

Each check is fed synthetic evidence: a clean run built from the plan itself (every person converged once to their
newest event, leavers after a hire, with the register's cell versions and the call log a real run leaves), then
the same evidence with one thing broken.
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter, defaultdict
from typing import Any

import pytest

from shared.lifecycle.mapping import load_mapping
from shared.lifecycle.outcome import outcome_id
from shared.messaging.formats import held, wrap
from soak import invariants
from soak.workload import LEFT, MISSING_WORKSPACE, SEEDED_WORKSPACES, Planned, plan

T0 = 1_800_000_000_000
LEASE_MS = 8000
MAPPING = load_mapping()


class Recorder:
    """Writes a synthetic history as the local cloud would record it: calls with their arrival time, and the
    register's rows as cell versions stamped a millisecond after the Tablestore call that wrote them."""

    def __init__(self) -> None:
        self.now = T0
        self.calls: list[dict[str, Any]] = []
        self.rows: dict[str, list[dict[str, Any]]] = defaultdict(list)

    def call(self, service: str, action: str, params: dict[str, str], code: str = "") -> dict[str, Any]:
        self.now += 10
        record = {
            "seq": len(self.calls) + 1,
            "time": self.now / 1000,
            "service": service,
            "action": action,
            "status": 200,
            "code": code,
            "fault": "",
            "params": params,
            "request_id": f"req-{len(self.calls) + 1}",
        }
        self.calls.append(record)
        return record

    def dms(self, action: str, uid: str, **params: str) -> dict[str, Any]:
        member = "Workspace" in action
        service = "dms" if member else "dms-enterprise"
        return self.call(service, action, {("MemberId" if member else "Uid"): uid, **params})

    def write(self, uid: str, token: str, until: int, version: str, event_id: str, event_type: str) -> int:
        self.call("tablestore", "UpdateRow" if self.rows[uid] else "PutRow", {"table": invariants.REGISTER_TABLE})
        self.now += 1
        row = {"lease_token": token, "lease_until_ms": until, "version": version, "event_id": event_id}
        self.rows[uid].append({**row, "event_type": event_type, "revision": len(self.rows[uid]) + 1, "at": self.now})
        return self.now

    def converge(
        self,
        uid: str,
        event: tuple[str, str, str],
        calls: list[tuple[str, dict[str, str]]],
        prior: tuple[str, str, str] = ("", "", ""),
        claim_later: bool = False,
    ) -> list[dict[str, Any]]:
        """One convergence: acquire (claiming `event`, or `prior` first for a leave), the calls, release."""
        token, until = f"lease-{len(self.calls)}", self.now + LEASE_MS
        self.write(uid, token, until, *(prior if claim_later else event))
        made = [self.dms("GetUser", uid)]
        if claim_later:
            self.write(uid, token, until, *event)
        made += [self.dms(action, uid, **params) for action, params in calls]
        self.write(uid, "", 0, *event)
        return made

    def register(self) -> dict[str, Any]:
        rows = []
        for uid, writes in self.rows.items():
            columns = {
                name: [[w["at"], w[name]] for w in reversed(writes)]
                for name in ("version", "event_id", "event_type", "lease_token", "lease_until_ms", "revision")
            }
            rows.append({"primary_key": [uid], "columns": columns})
        return {"tables": [{"name": invariants.REGISTER_TABLE, "rows": rows}]}


def _version(planned: Planned) -> tuple[str, str, str]:
    return invariants.versions([planned])[planned.event_id], planned.event_id, planned.type


def outcome(planned: Planned, status: str, **data: Any) -> dict[str, Any]:
    return {
        "id": outcome_id("soak", planned.event_id),
        "data": {"status": status, "event_id": planned.event_id, "uid": planned.uid, "steps": [], **data},
    }


def steps(calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"operation": c["action"], "result": "done", "request_id": c["request_id"]} for c in calls]


def clean_run(leaver_action: str = "disable") -> invariants.Evidence:
    """Evidence of a run where everything went right, built from the plan itself."""
    sent = plan(80, seed=3, run="t")
    expected = invariants.expected_states(sent, MAPPING)
    distinct = {p.event_id: p for p in sent if not p.duplicate}
    recorder = Recorder()
    outcomes: list[dict[str, Any]] = []
    users: list[dict[str, Any]] = []
    memberships: dict[str, dict[str, str]] = defaultdict(dict)
    held_seen: list[str] = []
    for uid, newest in expected.items():
        mine = sorted((p for p in distinct.values() if p.uid == uid), key=lambda p: _version(p)[0])
        last = distinct[newest.event_id]
        desired = newest.desired
        if desired.active:
            target = desired.workspace
            grants = [("RegisterUser", {"RoleNames": ",".join(desired.roles)})]
            if target is not None:
                grants.append(
                    ("AddUserToDataAgentWorkspace", {"WorkspaceId": target.workspace_id, "RoleName": target.role})
                )
            made = recorder.converge(uid, _version(last), grants)
            if target is not None and target.workspace_id == MISSING_WORKSPACE:
                made[-1]["code"] = "WorkspaceNotExist"
            elif target is not None:
                memberships[target.workspace_id][uid] = target.role
            users.append({"uid": uid, "state": "NORMAL", "role_names": list(desired.roles), "nick": desired.nickname})
            status = "quarantined" if last.kind == "poison" else "provisioned"
            outcomes.append(outcome(last, status, steps=steps(made[1:])))
            applied = {last.event_id}
        else:
            hire = mine[0]
            made = recorder.converge(uid, _version(hire), [("RegisterUser", {"RoleNames": "USER"})])
            outcomes.append(outcome(hire, "provisioned", steps=steps(made[1:])))
            revoke = "DeleteUser" if leaver_action == "delete" else "DisableUser"
            made = recorder.converge(uid, _version(last), [(revoke, {})], prior=_version(hire), claim_later=True)
            outcomes.append(outcome(last, "deprovisioned", steps=steps(made[1:])))
            if not held_seen:
                held_seen.append(last.event_id)
                outcomes.insert(0, outcome(last, "held"))
            users.append({"uid": uid, "state": leaver_action.upper(), "role_names": ["USER"], "nick": "x"})
            applied = {last.event_id, hire.event_id}
        for planned in mine:
            if planned.event_id not in applied and planned.kind == "valid":
                outcomes.append(outcome(planned, "superseded", superseded_by=last.event_id))
    answers, parked = {}, []
    for index, planned in enumerate(sent):
        if planned.route == "webhook":
            answers[index] = (
                (400, {"errors": [{"field": "f", "reason": "r"}]}) if planned.kind == "invalid" else (202, {})
            )
        if planned.duplicate:
            outcomes.append(next(o for o in outcomes if o["data"]["event_id"] == planned.event_id))
        if planned.kind == "invalid" and planned.route != "webhook":
            outcomes.append(outcome(planned, "rejected"))
        if planned.kind in ("invalid", "poison") and (planned.kind == "poison" or planned.route != "webhook"):
            parked.append({"MessageBody": json.dumps({"message": wrap(planned.document, None, 3), "replays": 3})})
    workspaces = [
        {"workspace_id": w, "members": [{"MemberId": u, "RoleName": r} for u, r in memberships[w].items()]}
        for w in SEEDED_WORKSPACES
    ]
    queues: list[dict[str, Any]] = [{"QueueName": name, "Messages": []} for name in ("in", "dlq", "held")]
    return invariants.Evidence(
        sent=sent,
        webhook_answers=answers,
        outcomes=outcomes,
        calls=recorder.calls,
        dms_state={"users": users, "workspaces": workspaces},
        mns_state={"queues": [*queues, {"QueueName": "park", "Messages": parked}]},
        queues={"input": "in", "dead_letter": "dlq", "parking": "park", "hold": "held"},
        register=recorder.register(),
        held_seen=held_seen,
        clock={"offset_seconds": 0.0},
        leaver_action=leaver_action,
    )


def violations(evidence: invariants.Evidence) -> list[str]:
    return invariants.check_all(evidence, MAPPING)


def changed(evidence: invariants.Evidence, **fields: Any) -> invariants.Evidence:
    return dataclasses.replace(evidence, **fields)


def first(evidence: invariants.Evidence, kind: str) -> Planned:
    return next(p for p in evidence.sent if p.kind == kind and not p.duplicate)


def newest_of(evidence: invariants.Evidence, *, active: bool) -> invariants.Expected:
    expected = invariants.expected_states(evidence.sent, MAPPING)
    return next(
        e
        for uid, e in expected.items()
        if e.desired.active == active
        and first_kind(evidence, uid) == "valid"
        and (not active or (e.desired.workspace is not None and e.desired.workspace.workspace_id in SEEDED_WORKSPACES))
    )


def first_kind(evidence: invariants.Evidence, uid: str) -> str:
    return next(p.kind for p in evidence.sent if p.uid == uid)


def history(evidence: invariants.Evidence) -> invariants.History:
    return invariants.History.of(evidence)


def test_a_clean_run_has_no_violations() -> None:
    evidence = clean_run()
    assert {p.kind for p in evidence.sent} == {"valid", "invalid", "poison"}
    assert {p.route for p in evidence.sent} == {"webhook", "queue", "late"}
    assert any(not e.desired.active for e in invariants.expected_states(evidence.sent, MAPPING).values())
    assert violations(evidence) == []


def test_a_clean_run_with_deleting_leavers_has_no_violations() -> None:
    assert violations(clean_run("delete")) == []


# Outcomes


def test_two_different_terminal_outcome_ids_for_one_event_are_caught() -> None:
    evidence = clean_run()
    stray = {"id": "other-id", "data": {"status": "updated", "event_id": first(evidence, "valid").event_id}}
    found = invariants.check_outcomes(changed(evidence, outcomes=[*evidence.outcomes, stray]))
    assert any("differ from the stable" in v for v in found)
    assert any("2 terminal outcome ids" in v for v in found)


def test_a_valid_event_without_an_outcome_is_caught() -> None:
    evidence = clean_run()
    lost = first(evidence, "valid").event_id
    kept = [o for o in evidence.outcomes if o["data"]["event_id"] != lost]
    assert any(lost in v for v in invariants.check_outcomes(changed(evidence, outcomes=kept)))


def test_a_valid_event_that_ended_quarantined_is_caught() -> None:
    evidence = clean_run()
    event = first(evidence, "valid")
    found = invariants.check_outcomes(changed(evidence, outcomes=[*evidence.outcomes, outcome(event, "quarantined")]))
    assert any(f"{event.event_id}: a valid event ended" in v for v in found)


def test_a_persons_newest_event_that_was_superseded_is_caught() -> None:
    evidence = clean_run()
    newest = newest_of(evidence, active=True)
    planned = next(p for p in evidence.sent if p.event_id == newest.event_id)
    kept = [o for o in evidence.outcomes if o["data"]["event_id"] != newest.event_id]
    kept.append(outcome(planned, "superseded", superseded_by=newest.event_id))
    found = invariants.check_order(changed(evidence, outcomes=kept), invariants.expected_states(evidence.sent, MAPPING))
    assert any(f"its newest event {newest.event_id} was superseded" in v for v in found)
    assert any("which is not newer" in v for v in found)


def test_a_superseded_event_that_made_dms_calls_is_caught() -> None:
    evidence = clean_run()
    superseded = next(o for o in evidence.outcomes if o["data"]["status"] == "superseded")
    noisy = {**superseded, "data": {**superseded["data"], "steps": [{"operation": "GetUser", "result": "read"}]}}
    found = invariants.check_order(
        changed(evidence, outcomes=[noisy]), invariants.expected_states(evidence.sent, MAPPING)
    )
    assert any("superseded, yet its outcome lists 1 DMS steps" in v for v in found)


def test_a_held_leave_that_never_was_on_the_hold_queue_is_caught() -> None:
    evidence = clean_run()
    assert evidence.held_seen
    assert invariants.check_held(evidence) == []
    found = invariants.check_held(changed(evidence, held_seen=[]))
    assert found == [f"{evidence.held_seen[0]}: held, but never found on the hold queue"]


def test_a_held_leave_never_applied_after_the_release_is_caught() -> None:
    evidence = clean_run()
    leave = evidence.held_seen[0]
    kept = [o for o in evidence.outcomes if o["data"]["event_id"] != leave or o["data"]["status"] == "held"]
    found = invariants.check_held(changed(evidence, outcomes=kept))
    assert found == [f"{leave}: held, and never applied after the release (['held'])"]


def test_the_hold_queue_records_name_their_leaves() -> None:
    event = {"event_id": "e-1", "employee": {"uid": "1"}}
    record = {"MessageBody": held(wrap(event, None), "breaker tripped")}
    assert invariants.held_event_ids([record, {"MessageBody": "not a record"}]) == ["e-1"]


# The state DMS ends in


def test_a_wrong_workspace_role_is_caught() -> None:
    evidence = clean_run()
    dms = json.loads(json.dumps(evidence.dms_state))
    member = next(w for w in dms["workspaces"] if w["members"])["members"][0]
    member["RoleName"] = "ADMIN" if member["RoleName"].upper() != "ADMIN" else "MEMBER"
    found = invariants.check_final_state(
        changed(evidence, dms_state=dms), invariants.expected_states(evidence.sent, MAPPING)
    )
    assert any("workspace membership" in v for v in found)


def test_wrong_roles_and_nickname_are_caught() -> None:
    evidence = clean_run()
    newest = newest_of(evidence, active=True)
    dms = json.loads(json.dumps(evidence.dms_state))
    user = next(
        u for u in dms["users"] if u["uid"] == next(p.uid for p in evidence.sent if p.event_id == newest.event_id)
    )
    user.update(role_names=["ADMIN"], nick="someone else")
    found = invariants.check_final_state(
        changed(evidence, dms_state=dms), invariants.expected_states(evidence.sent, MAPPING)
    )
    assert any("DMS roles ['ADMIN']" in v for v in found)
    assert any("DMS nickname 'someone else'" in v for v in found)


def test_a_leaver_still_enabled_and_in_a_workspace_is_caught() -> None:
    evidence = clean_run()
    expected = invariants.expected_states(evidence.sent, MAPPING)
    uid = next(uid for uid, e in expected.items() if not e.desired.active)
    dms = json.loads(json.dumps(evidence.dms_state))
    next(u for u in dms["users"] if u["uid"] == uid)["state"] = "NORMAL"
    dms["workspaces"][0]["members"].append({"MemberId": uid, "RoleName": "MEMBER"})
    found = invariants.check_final_state(changed(evidence, dms_state=dms), expected)
    assert any(f"uid {uid}: left, yet the DMS user is NORMAL, not DISABLE" in v for v in found)
    assert any(f"uid {uid}: left, yet still a member of" in v for v in found)


def test_a_leaver_disabled_when_leavers_are_deleted_is_caught() -> None:
    evidence = clean_run()
    found = invariants.check_final_state(
        changed(evidence, leaver_action="delete"), invariants.expected_states(evidence.sent, MAPPING)
    )
    assert found
    assert all("not DELETE" in v for v in found)


def test_a_second_registration_without_a_deletion_between_is_caught() -> None:
    evidence = clean_run()
    register = next(c for c in evidence.calls if c["action"] == "RegisterUser")
    again = {**register, "seq": 10**6, "time": register["time"] + 1}
    found = invariants.check_registrations(changed(evidence, calls=[*evidence.calls, again]))
    assert found == [f"uid {register['params']['Uid']}: RegisterUser took effect again (seq {10**6})"]
    deleted = {**register, "action": "DeleteUser", "time": register["time"] + 0.5}
    assert invariants.check_registrations(changed(evidence, calls=[*evidence.calls, deleted, again])) == []


# The register's history


def one_person(build: Any) -> invariants.Evidence:
    """Evidence holding only what `build(recorder)` recorded: for the history checks."""
    recorder = Recorder()
    build(recorder)
    return invariants.Evidence(
        sent=[],
        webhook_answers={},
        outcomes=[],
        calls=recorder.calls,
        dms_state={},
        mns_state={},
        queues={},
        register=recorder.register(),
        clock={"offset_seconds": 0.0},
    )


UID = "41000000000001"
OLD = ("00000000000000000001|old", "old", "employee.updated")
NEW = ("00000000000000000002|new", "new", "employee.updated")
LEAVE = ("00000000000000000003|leave", "leave", LEFT)
REHIRE = ("00000000000000000004|rehire", "rehire", "employee.hired")


def test_the_history_replays_leases_and_claims_from_cell_versions() -> None:
    def build(recorder: Recorder) -> None:
        recorder.converge(UID, OLD, [("RegisterUser", {"RoleNames": "USER"})])
        recorder.converge(UID, LEAVE, [("DisableUser", {})], prior=OLD, claim_later=True)

    evidence = one_person(build)
    found = history(evidence)
    assert [w.revision for w in found.writes[UID]] == [1, 2, 3, 4, 5]
    first_lease, second = found.leases[UID]
    assert first_lease.released_ms is not None
    assert first_lease.end_ms == first_lease.released_ms
    assert [w.event_id for w in second.writes] == ["old", "leave"]
    disable = next(c for c in evidence.calls if c["action"] == "DisableUser")
    assert second.claim_at(int(disable["time"] * 1000)).event_id == "leave"
    for check in (invariants.check_leases, invariants.check_calls_in_leases, invariants.check_no_stale_writes):
        assert check(evidence, found) == []
    assert invariants.check_leaves_stick(evidence, found) == []
    assert invariants.check_clock(evidence) == []


def test_a_lease_acquired_while_another_still_held_the_person_is_caught() -> None:
    def build(recorder: Recorder) -> None:
        recorder.write(UID, "first", recorder.now + LEASE_MS, *OLD)
        recorder.write(UID, "second", recorder.now + LEASE_MS, *NEW)
        recorder.write(UID, "", 0, *NEW)

    evidence = one_person(build)
    (found,) = invariants.check_leases(evidence, history(evidence))
    assert found.startswith(f"uid {UID}: lease second acquired at")
    assert "while lease first" in found


def test_a_lease_taken_over_after_it_ran_out_is_no_overlap() -> None:
    def build(recorder: Recorder) -> None:
        recorder.write(UID, "crashed", recorder.now + 50, *OLD)
        recorder.now += 100
        recorder.write(UID, "next", recorder.now + LEASE_MS, *NEW)
        recorder.write(UID, "", 0, *NEW)

    evidence = one_person(build)
    assert invariants.check_leases(evidence, history(evidence)) == []


def test_a_claimed_version_that_goes_backwards_is_caught() -> None:
    def build(recorder: Recorder) -> None:
        recorder.converge(UID, NEW, [])
        recorder.converge(UID, OLD, [])

    evidence = one_person(build)
    (found,) = invariants.check_leases(evidence, history(evidence))
    assert "claimed old" in found
    assert "older than new" in found


def test_a_release_lost_to_a_write_in_the_same_millisecond_is_read_as_a_release_and_counted() -> None:
    def build(recorder: Recorder) -> None:
        recorder.write(UID, "first", recorder.now + LEASE_MS, *OLD)
        recorder.write(UID, "", 0, *OLD)
        recorder.now -= 11  # the next save lands in the release's millisecond and overwrites its cells
        recorder.write(UID, "second", recorder.now + LEASE_MS, *NEW)
        recorder.write(UID, "", 0, *NEW)

    evidence = one_person(build)
    register = json.loads(json.dumps(evidence.register))
    columns = register["tables"][0]["rows"][0]["columns"]
    stamp = columns["revision"][1][0]
    for name, versions in columns.items():
        # Newest first: of the two versions stamped alike, the second (revision 2's) is the one replaced.
        columns[name] = [v for i, v in enumerate(versions) if not (v[0] == stamp and versions[i - 1][0] == stamp)]
    found = history(changed(evidence, register=register))
    assert [w.revision for w in found.writes[UID]] == [1, 3, 4]
    assert found.lost == [f"uid {UID}: revisions [2] overwritten in the same millisecond, at {stamp} ms"]
    first_lease, second = found.leases[UID]
    assert first_lease.released_ms == second.acquired_ms
    assert invariants.check_leases(evidence, found) == []


def test_a_takeover_whose_first_cells_replaced_the_release_before_it_is_no_overlap() -> None:
    later = T0 + 2000
    columns = {
        "revision": [[later + 1, 3], [later, 2], [T0, 1]],
        "lease_token": [[later, "second"], [T0, "first"]],
        "lease_until_ms": [[later, later + LEASE_MS], [T0, T0 + LEASE_MS]],
        "version": [[later, NEW[0]], [T0, OLD[0]]],
        "event_id": [[later, NEW[1]], [T0, OLD[1]]],
    }
    register = {"tables": [{"name": invariants.REGISTER_TABLE, "rows": [{"primary_key": [UID], "columns": columns}]}]}
    evidence = changed(one_person(lambda recorder: None), register=register)
    found = history(evidence)
    assert [w.uncertain for w in found.writes[UID]] == [False, True, False]
    assert found.leases[UID][0].released_ms == later
    assert invariants.check_leases(evidence, found) == []


def test_a_dms_call_outside_every_lease_is_caught() -> None:
    def build(recorder: Recorder) -> None:
        recorder.converge(UID, OLD, [("RegisterUser", {})])
        recorder.dms("UpdateUser", UID, RoleNames="USER,DBA")

    evidence = one_person(build)
    (found,) = invariants.check_calls_in_leases(evidence, history(evidence))
    assert found.startswith(f"uid {UID}: 1 DMS calls outside any lease of that person: UpdateUser (seq")


def test_a_crashed_convergences_calls_are_covered_by_its_lease_until_it_runs_out() -> None:
    def build(recorder: Recorder) -> None:
        recorder.write(UID, "crashed", recorder.now + 50, *OLD)
        recorder.dms("RegisterUser", UID)
        recorder.now += 100
        recorder.dms("GetUser", UID)

    evidence = one_person(build)
    (found,) = invariants.check_calls_in_leases(evidence, history(evidence))
    assert "1 DMS calls outside" in found
    assert "GetUser" in found


def test_a_write_under_a_lease_whose_claim_was_overtaken_is_caught() -> None:
    def build(recorder: Recorder) -> None:
        recorder.write(UID, "stale", recorder.now + LEASE_MS, *OLD)
        recorder.write(UID, "newer", recorder.now + LEASE_MS, *NEW)
        recorder.dms("UpdateUser", UID, RoleNames="USER")

    evidence = one_person(build)
    found = invariants.check_no_stale_writes(evidence, history(evidence))
    assert found == [
        f"uid {UID}: UpdateUser (seq 3, at {T0 + 30 + 2} ms) under the lease of old while new was claimed "
        "already: a write for a superseded event"
    ]


def test_an_outcome_reporting_a_write_made_under_another_events_lease_is_caught() -> None:
    recorded: list[dict[str, Any]] = []

    def build(recorder: Recorder) -> None:
        recorded.extend(recorder.converge(UID, NEW, [("UpdateUser", {"RoleNames": "USER"})]))

    evidence = one_person(build)
    update = recorded[1]
    stale = {"id": "x", "data": {"status": "updated", "event_id": "old", "uid": UID, "steps": steps([update])}}
    found = invariants.check_no_stale_writes(changed(evidence, outcomes=[stale]), history(evidence))
    assert found == [f"uid {UID}: the outcome of old reports {invariants._what(update)}, made under the lease of new"]


def test_access_given_back_after_a_leave_took_effect_is_caught_unless_a_newer_event_did_it() -> None:
    def build(recorder: Recorder) -> None:
        recorder.converge(UID, OLD, [("RegisterUser", {}), ("AddUserToDataAgentWorkspace", {"RoleName": "ADMIN"})])
        recorder.converge(
            UID,
            LEAVE,
            [("RemoveUserToDataAgentWorkspace", {}), ("DisableUser", {}), ("EnableUser", {})],
            prior=OLD,
            claim_later=True,
        )
        recorder.converge(UID, REHIRE, [("EnableUser", {}), ("AddUserToDataAgentWorkspace", {"RoleName": "MEMBER"})])

    evidence = one_person(build)
    found = invariants.check_leaves_stick(evidence, history(evidence))
    assert len(found) == 1
    assert "EnableUser" in found[0]
    assert "after leave leave took effect" in found[0]
    assert "under leave" in found[0]


def test_a_downgrade_or_a_nickname_after_a_leave_gives_no_access() -> None:
    def build(recorder: Recorder) -> None:
        recorder.converge(UID, OLD, [("RegisterUser", {})])
        recorder.converge(
            UID,
            LEAVE,
            [
                ("DisableUser", {}),
                ("UpdateUser", {"UserNick": "x"}),
                ("UpdateDataAgentWorkspaceMemberRole", {"RoleName": "MEMBER"}),
            ],
            prior=OLD,
            claim_later=True,
        )

    evidence = one_person(build)
    assert invariants.check_leaves_stick(evidence, history(evidence)) == []


def test_a_moved_clock_or_a_register_write_without_its_call_is_caught() -> None:
    def build(recorder: Recorder) -> None:
        recorder.converge(UID, OLD, [])

    evidence = one_person(build)
    moved = invariants.check_clock(changed(evidence, clock={"offset_seconds": 30.0}))
    assert moved == ["the local cloud's clock was moved 30 s: Tablestore's versions no longer match the call log"]
    unrelated = [c for c in evidence.calls if c["service"] != "tablestore"]
    (found,) = invariants.check_clock(changed(evidence, calls=unrelated))
    assert found.startswith("2 register writes (first: uid")
    assert "do not share a clock" in found


# Queues, the wire, the harness


def test_a_message_left_in_the_dead_letter_or_hold_queue_is_caught() -> None:
    evidence = clean_run()
    state = json.loads(json.dumps(evidence.mns_state))
    state["queues"][1]["Messages"].append({"MessageBody": "{}"})
    state["queues"][2]["Messages"].append({"MessageBody": "{}"})
    found = invariants.check_queues(changed(evidence, mns_state=state))
    assert found == ["dlq: 1 messages left, not empty", "held: 1 messages left, not empty"]


def test_a_poison_event_that_was_not_parked_is_caught() -> None:
    evidence = clean_run()
    state = json.loads(json.dumps(evidence.mns_state))
    state["queues"][3]["Messages"] = []
    found = invariants.check_queues(changed(evidence, mns_state=state))
    assert any("a poison event is not in the parking queue" in v for v in found)


def test_an_invalid_event_the_webhook_accepted_is_caught() -> None:
    evidence = clean_run()
    index = next(i for i, p in enumerate(evidence.sent) if p.kind == "invalid")
    sent = list(evidence.sent)
    sent[index] = dataclasses.replace(sent[index], route="webhook")
    answers = {**evidence.webhook_answers, index: (202, {})}
    found = invariants.check_webhook_answers(changed(evidence, sent=sent, webhook_answers=answers))
    assert any("not 400 naming the field" in v for v in found)


def test_a_garbled_mns_request_without_an_injected_fault_is_caught() -> None:
    evidence = clean_run()
    garbled = {"service": "mns", "action": "SendMessage", "status": 400, "code": "MalformedXML", "fault": ""}
    garbled["time"] = T0 / 1000
    injected = {**garbled, "fault": "error:3"}
    found = invariants.check_wire(changed(evidence, calls=[*evidence.calls, garbled, injected]))
    assert found == ["MNS refused 1 x SendMessage MalformedXML with no fault injected: a garbled request"]


def test_a_request_cut_short_by_a_crash_is_not_a_garbled_one() -> None:
    evidence = clean_run()
    kill = {"service": "tablestore", "action": "PutRow", "status": 200, "code": "", "fault": "crash", "time": 100.0}
    cut = {"service": "mns", "action": "PublishMessage", "status": 400, "code": "MalformedXML", "fault": ""}
    calls = [*evidence.calls, kill, {**cut, "time": 100.01}]
    assert invariants.check_wire(changed(evidence, calls=calls)) == []
    later = [*calls, {**cut, "time": 102.0}]
    assert len(invariants.check_wire(changed(evidence, calls=later))) == 1


def test_an_event_the_harness_could_not_send_and_a_call_log_gap_are_caught() -> None:
    evidence = clean_run()
    stuck = first(evidence, "valid").event_id
    found = violations(changed(evidence, unsent={stuck: "refused 30 times"}, lost_calls=3))
    assert f"{stuck}: not delivered by the harness (refused 30 times)" in found
    assert "the call log dropped 3 records before they were read" in found


# The workload


@pytest.mark.parametrize("count", [20, 100, 1000])
def test_the_plan_has_the_asked_shares_and_every_event_at_most_twice(count: int) -> None:
    sent = plan(count, seed=count)
    assert len(sent) == count
    assert sum(p.duplicate for p in sent) == round(count * 0.10)
    assert sum(p.kind == "invalid" for p in sent) == round(count * 0.05)
    assert sum(p.kind == "poison" for p in sent) == round(count * 0.02)
    assert all(
        json.loads(p.body)["employee"].get("dms", {}).get("workspace_id") == MISSING_WORKSPACE
        for p in sent
        if p.kind == "poison"
    )
    sends = Counter(p.event_id for p in sent)
    assert max(sends.values()) <= 2
    bodies = {p.event_id: p.body for p in sent if not p.duplicate}
    assert all(p.body == bodies[p.event_id] for p in sent if p.duplicate)


def test_each_life_is_in_order_starts_with_a_hire_and_rehires_only_after_a_leave() -> None:
    sent = plan(1000, seed=7)
    lives: dict[str, list[Planned]] = defaultdict(list)
    for planned in sent:
        if planned.kind == "valid" and not planned.duplicate:
            lives[planned.uid].append(planned)
    types: Counter[str] = Counter()
    for events in lives.values():
        events.sort(key=lambda p: p.event_id.rsplit(":", 1)[1])
        stamps = [p.document["occurred_at"] for p in events]
        assert stamps == sorted(stamps)
        assert len(set(stamps)) == len(stamps)
        kinds = [p.type for p in events]
        assert kinds[0] == "employee.hired"
        assert kinds.count(LEFT) <= 1
        if "employee.hired" in kinds[1:]:
            assert kinds[kinds.index("employee.hired", 1) - 1] == LEFT
        types.update(kinds)
    assert types[LEFT] > 50
    assert types["employee.updated"] > 200
    workspaces = {
        (e.desired.workspace.workspace_id if e.desired.workspace else None)
        for e in invariants.expected_states(sent, MAPPING).values()
    }
    assert {None, *SEEDED_WORKSPACES} <= workspaces


def test_sends_come_shuffled_so_older_events_often_arrive_after_newer_ones() -> None:
    sent = [p for p in plan(1000, seed=11) if p.kind == "valid"]
    order = invariants.versions(sent)
    latest: dict[str, str] = {}
    late = 0
    for planned in sent:
        if planned.uid in latest and order[planned.event_id] < latest[planned.uid]:
            late += 1
        latest[planned.uid] = max(latest.get(planned.uid, ""), order[planned.event_id])
    assert late > 100
    assert Counter(p.route for p in sent).keys() == {"webhook", "queue", "late"}


def test_people_sends_whole_lives_and_sizes_the_rest_from_them() -> None:
    sent = plan(people=30, seed=2)
    valid = {p.uid for p in sent if p.kind == "valid"}
    assert len(valid) == 30
    assert sum(p.kind == "invalid" for p in sent) == round(len(sent) * 0.05)


def test_kept_evidence_rechecks_to_the_same_violations() -> None:
    evidence = clean_run()
    stuck = first(evidence, "valid").event_id
    broken = changed(evidence, unsent={stuck: "refused"})
    kept = invariants.Evidence.from_json(json.loads(json.dumps(broken.to_json())))
    assert violations(kept) == violations(broken) == [f"{stuck}: not delivered by the harness (refused)"]

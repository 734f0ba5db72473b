"""The soak's checks must catch each way things can go wrong, or a clean soak proves nothing."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from shared.lifecycle.mapping import load_mapping
from shared.lifecycle.outcome import outcome_id
from shared.messaging.formats import wrap
from soak import invariants
from soak.workload import MISSING_WORKSPACE, Planned, plan

WORKSPACES = [{"workspace_id": "209230000007291", "members": []}, {"workspace_id": "209230000007305", "members": []}]


def outcome(planned: Planned, status: str) -> dict[str, Any]:
    return {"id": outcome_id("soak", planned.event_id), "data": {"status": status, "event_id": planned.event_id}}


def clean_run() -> invariants.Evidence:
    """Evidence of a run where everything went right, built from the plan itself."""
    sent = plan(40, seed=3, run="t")
    plans = invariants.expected_plans(sent, load_mapping())
    outcomes, answers, parked = [], {}, []
    for index, planned in enumerate(sent):
        if planned.route == "webhook":
            answers[index] = (
                (400, {"errors": [{"field": "f", "reason": "r"}]}) if planned.kind == "invalid" else (202, {})
            )
        if planned.duplicate:
            outcomes.append(outcome(planned, "already_provisioned"))
        elif planned.kind == "valid":
            outcomes.append(outcome(planned, "provisioned"))
        elif planned.kind == "poison" or planned.route == "queue":
            outcomes.append(outcome(planned, "quarantined" if planned.kind == "poison" else "rejected"))
            record = {"message": wrap(planned.document, None, 3), "replays": 3}
            parked.append({"MessageBody": json.dumps(record)})
    users, workspaces = [], json.loads(json.dumps(WORKSPACES))
    for uid, expected in plans.items():
        users.append({"uid": uid, "role_names": list(expected.roles)})
        for workspace in workspaces:
            if workspace["workspace_id"] == expected.workspace_id:
                workspace["members"].append({"MemberId": uid, "RoleName": expected.workspace_role})
    calls = [
        {"action": "RegisterUser", "status": 200, "code": "", "params": {"Uid": uid}, "service": "dms-enterprise"}
        for uid in plans
    ]
    queues = [{"QueueName": "in", "Messages": []}, {"QueueName": "dlq", "Messages": []}]
    return invariants.Evidence(
        sent=sent,
        webhook_answers=answers,
        outcomes=outcomes,
        calls=calls,
        dms_state={"users": users, "workspaces": workspaces},
        mns_state={"queues": [*queues, {"QueueName": "park", "Messages": parked}]},
        queues={"input": "in", "dead_letter": "dlq", "parking": "park"},
    )


def violations(evidence: invariants.Evidence) -> list[str]:
    return invariants.check_all(evidence, load_mapping())


def first(evidence: invariants.Evidence, kind: str) -> Planned:
    return next(p for p in evidence.sent if p.kind == kind and not p.duplicate)


def test_a_clean_run_has_no_violations() -> None:
    evidence = clean_run()
    assert {p.kind for p in evidence.sent} == {"valid", "invalid", "poison"}
    assert violations(evidence) == []


def test_two_different_terminal_outcome_ids_for_one_event_are_caught() -> None:
    evidence = clean_run()
    stray = {"id": "other-id", "data": {"status": "provisioned", "event_id": first(evidence, "valid").event_id}}
    found = violations(invariants.Evidence(**{**vars(evidence), "outcomes": [*evidence.outcomes, stray]}))
    assert any("differ from the stable" in v for v in found)
    assert any("2 terminal outcome ids" in v for v in found)


def test_a_valid_event_without_an_outcome_is_caught() -> None:
    evidence = clean_run()
    lost = first(evidence, "valid").event_id
    kept = [o for o in evidence.outcomes if o["data"]["event_id"] != lost]
    assert any(lost in v for v in violations(invariants.Evidence(**{**vars(evidence), "outcomes": kept})))


def test_a_second_successful_register_user_is_caught() -> None:
    evidence = clean_run()
    again = dict(evidence.calls[0])
    found = violations(invariants.Evidence(**{**vars(evidence), "calls": [*evidence.calls, again]}))
    assert any("2 successful RegisterUser calls" in v for v in found)


def test_a_message_left_in_the_dead_letter_queue_is_caught() -> None:
    evidence = clean_run()
    state = json.loads(json.dumps(evidence.mns_state))
    state["queues"][1]["Messages"].append({"MessageBody": "{}"})
    found = violations(invariants.Evidence(**{**vars(evidence), "mns_state": state}))
    assert "dlq: 1 messages left, not empty" in found


def test_a_poison_event_that_was_not_parked_is_caught() -> None:
    evidence = clean_run()
    state = json.loads(json.dumps(evidence.mns_state))
    state["queues"][2]["Messages"] = []
    found = violations(invariants.Evidence(**{**vars(evidence), "mns_state": state}))
    assert any("a poison event is not in the parking queue" in v for v in found)


def test_a_wrong_workspace_role_is_caught() -> None:
    evidence = clean_run()
    dms = json.loads(json.dumps(evidence.dms_state))
    member = next(w for w in dms["workspaces"] if w["members"])["members"][0]
    member["RoleName"] = "ADMIN" if member["RoleName"] != "ADMIN" else "MEMBER"
    found = violations(invariants.Evidence(**{**vars(evidence), "dms_state": dms}))
    assert any("workspace membership" in v for v in found)


def test_an_invalid_event_the_webhook_accepted_is_caught() -> None:
    evidence = clean_run()
    index = next(i for i, p in enumerate(evidence.sent) if p.kind == "invalid")
    sent = list(evidence.sent)
    sent[index] = dataclasses.replace(sent[index], route="webhook")
    answers = {**evidence.webhook_answers, index: (202, {})}
    found = violations(invariants.Evidence(**{**vars(evidence), "sent": sent, "webhook_answers": answers}))
    assert any("not 400 naming the field" in v for v in found)


def test_a_garbled_mns_request_without_an_injected_fault_is_caught() -> None:
    evidence = clean_run()
    garbled = {"service": "mns", "action": "SendMessage", "status": 400, "code": "MalformedXML", "fault": ""}
    injected = {**garbled, "fault": "error:3"}
    found = violations(invariants.Evidence(**{**vars(evidence), "calls": [*evidence.calls, garbled, injected]}))
    assert found == ["MNS refused 1 x SendMessage MalformedXML with no fault injected: a garbled request"]


def test_an_event_the_harness_could_not_send_is_caught() -> None:
    evidence = clean_run()
    stuck = first(evidence, "valid").event_id
    found = violations(invariants.Evidence(**{**vars(evidence), "unsent": {stuck: "refused 30 times"}}))
    assert f"{stuck}: not delivered by the harness (refused 30 times)" in found


@pytest.mark.parametrize("count", [20, 100, 1000])
def test_the_plan_has_the_asked_shares_and_duplicates_follow_their_original(count: int) -> None:
    sent = plan(count, seed=count)
    assert len(sent) == count
    assert sum(p.duplicate for p in sent) == round(count * 0.10)
    assert sum(p.kind == "invalid" for p in sent) == round(count * 0.05)
    assert all(
        json.loads(p.body)["employee"].get("dms", {}).get("workspace_id") == MISSING_WORKSPACE
        for p in sent
        if p.kind == "poison"
    )
    seen: set[str] = set()
    for planned in sent:
        assert not planned.duplicate or planned.event_id in seen
        seen.add(planned.event_id)

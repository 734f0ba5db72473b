"""The outcome CloudEvent: a stable id per input, the status the steps add up to, typed until serialised."""

from __future__ import annotations

import uuid
from typing import get_args

from shared.lifecycle.outcome import MESSAGE_TAGS, OUTCOME_NAMESPACE, Outcome, Status, outcome_id, status_from_steps
from shared.lifecycle.steps import StepName, StepResult, StepResultName


def test_outcome_id_is_stable_per_input_and_differs_between_inputs() -> None:
    assert outcome_id("workday", "evt-1") == outcome_id("workday", "evt-1")
    assert outcome_id("workday", "evt-1") != outcome_id("workday", "evt-2")
    assert outcome_id("workday", "evt-1") != outcome_id("feishu", "evt-1")


def test_outcome_id_is_the_uuid5_of_source_and_event_id() -> None:
    for source, event_id in [("dingtalk", "e1"), ("soak", "s:1:2"), ("飞书", "事件-9"), ("", "")]:
        expected = uuid.uuid5(uuid.UUID(OUTCOME_NAMESPACE), f"{source}\n{event_id}")
        assert outcome_id(source, event_id) == str(expected)


def test_outcome_is_a_cloudevent_with_status_steps_and_attempts() -> None:
    steps = [
        StepResult("register_user", "already", "RegisterUser", 2, "already"),
        StepResult("add_to_workspace", "done", "AddUserToDataAgentWorkspace", 1, "ok"),
    ]
    outcome = Outcome(status_from_steps(steps), "evt-1", "workday", "corr-1", uid="2000000000001", steps=steps)
    event = outcome.to_cloudevent()
    assert event["specversion"] == "1.0"
    assert event["id"] == outcome_id("workday", "evt-1")
    assert event["correlationid"] == "corr-1"
    assert event["data"]["status"] == "provisioned"
    assert event["data"]["attempts"] == 3
    assert event["data"]["steps"] == [
        {"step": "register_user", "operation": "RegisterUser", "result": "already", "attempts": 2},
        {"step": "add_to_workspace", "operation": "AddUserToDataAgentWorkspace", "result": "done", "attempts": 1},
    ]


def step(name: StepName, result: StepResultName) -> StepResult:
    return StepResult(name, result, name, 1)


def test_status_says_what_the_writes_did() -> None:
    read = step("get_user", "read")
    assert status_from_steps([read]) == "unchanged"
    assert status_from_steps([read, step("register_user", "done"), step("add_to_workspace", "done")]) == "provisioned"
    assert status_from_steps([read, step("update_user", "done")]) == "updated"
    assert status_from_steps([read, step("enable_user", "already")]) == "updated"
    assert status_from_steps([read, step("disable_user", "done")], active=False) == "deprovisioned"
    assert status_from_steps([read], active=False) == "unchanged"
    assert status_from_steps([read, step("update_user", "done"), step("add_to_workspace", "failed")]) == "failed"
    assert status_from_steps([step("get_user", "failed")]) == "failed"


def test_every_status_has_a_message_tag_short_enough_for_mns() -> None:
    for status in get_args(Status):
        assert 0 < len(MESSAGE_TAGS[status]) <= 16


def test_a_failed_step_says_whether_a_retry_may_help() -> None:
    transient = StepResult(
        "register_user", "failed", "RegisterUser", 4, "transient", "R1", "Throttling.User", "slow down"
    )
    assert transient.to_dict() == {
        "step": "register_user",
        "operation": "RegisterUser",
        "result": "failed",
        "attempts": 4,
        "request_id": "R1",
        "code": "Throttling.User",
        "message": "slow down",
        "retryable": True,
    }
    assert (
        StepResult("add_to_workspace", "failed", "AddUserToDataAgentWorkspace", 1, "permanent").to_dict()["retryable"]
        is False
    )

"""provision(event) end to end against the local cloud: DMS state, outcomes on the result topic, faults, logs."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from localcloud import LocalCloud
from localcloud.credentials import Credential
from localcloud.faults import FaultRule
from shared.lifecycle.outcome import outcome_id
from tests.support.lifecycle import Stack, sample


class Harness(Stack):
    """The lifecycle stack on the session's local cloud (tests/support/lifecycle.py)."""

    def __init__(self, cloud: LocalCloud, read_timeout_ms: int = 2000) -> None:
        super().__init__(cloud, read_timeout_ms=read_timeout_ms)


@pytest.fixture
def harness(cloud: LocalCloud) -> Harness:
    return Harness(cloud)


def test_new_employee_is_registered_and_joins_the_planned_workspace_with_one_outcome(harness: Harness) -> None:
    outcome = harness.provision(sample("hired-explicit-roles.json"))
    assert outcome.status == "provisioned"
    user = harness.user("2000000000001")
    assert user["role_names"] == ["USER", "DBA"]
    assert user["nick"] == "Wang Fang"
    assert [(m["MemberId"], m["RoleName"]) for m in harness.members("209230000007291")] == [("2000000000001", "admin")]
    (published,) = harness.published()
    assert published["id"] == outcome.id
    assert published["data"]["status"] == "provisioned"
    assert [(s["operation"], s["result"]) for s in published["data"]["steps"]] == [
        ("GetUser", "read"),
        ("RegisterUser", "done"),
        ("AddUserToDataAgentWorkspace", "done"),
    ]
    assert published["correlationid"] == "onb-20250303-0001"


def test_mapping_alone_decides_roles_and_workspace(harness: Harness) -> None:
    outcome = harness.provision(sample("hired-mapping-only.json"))
    assert outcome.status == "provisioned"
    assert harness.user("2000000000002")["role_names"] == ["USER"]
    assert [m["RoleName"] for m in harness.members("209230000007305")] == ["member"]
    assert outcome.plan is not None
    assert outcome.plan["rule"] == "data-engineering"


def test_same_event_three_times_registers_once_and_yields_one_outcome_id(harness: Harness) -> None:
    statuses = [harness.provision(sample("hired-explicit-roles.json")).status for _ in range(3)]
    assert statuses == ["provisioned", "unchanged", "unchanged"]
    assert len(harness.cloud.dms.snapshot()["users"]) == 1
    assert len(harness.members("209230000007291")) == 1
    published = harness.published()
    assert len(published) == 3
    assert {p["id"] for p in published} == {
        outcome_id("dingtalk", json.loads(sample("hired-explicit-roles.json"))["event_id"])
    }


def test_invalid_event_is_rejected_with_every_problem_and_still_published(harness: Harness) -> None:
    outcome = harness.provision(sample("invalid-many-problems.json"))
    assert outcome.status == "rejected"
    assert len(outcome.problems) >= 2
    assert harness.cloud.calls.query(service="dms-enterprise") == []
    (published,) = harness.published()
    assert published["data"]["status"] == "rejected"
    assert {p["field"] for p in published["data"]["problems"]} == {p.field for p in outcome.problems}


def test_dry_run_reads_dms_and_plans_the_calls_without_writing(harness: Harness) -> None:
    outcome = harness.provision(sample("hired-explicit-roles.json"), dry_run=True)
    assert outcome.status == "dry_run"
    assert [(s.operation, s.result) for s in outcome.steps] == [
        ("GetUser", "read"),
        ("RegisterUser", "planned"),
        ("AddUserToDataAgentWorkspace", "planned"),
    ]
    assert harness.writes() == []
    assert harness.record("2000000000001") is None
    assert outcome.plan is not None
    assert outcome.plan["workspace_id"] == "209230000007291"


@pytest.mark.parametrize(
    ("rule", "status", "attempts"),
    [
        (FaultRule(kind="error", status=400, code="Throttling.User", retry_after=10, count=1), "provisioned", 2),
        (FaultRule(kind="error", status=503, code="ServiceUnavailable"), "failed", 4),
        (FaultRule(kind="hang", hang_seconds=1.5), "failed", 4),
        (FaultRule(kind="drop", count=1), "provisioned", 2),
    ],
    ids=["throttling", "503", "timeout", "dropped-connection"],
)
def test_each_fault_class_ends_in_the_right_status_and_attempts(
    cloud: LocalCloud, rule: FaultRule, status: str, attempts: int
) -> None:
    harness = Harness(cloud, read_timeout_ms=200)
    cloud.faults.add(replace(rule, service="dms-enterprise", action="RegisterUser"))
    outcome = harness.provision(sample("hired-mapping-only.json"))
    assert outcome.status == status
    (register,) = [step for step in outcome.steps if step.step == "register_user"]
    assert register.attempts == attempts
    (published,) = harness.published()
    assert published["data"]["status"] == status


def test_permission_error_fails_at_once_with_code_and_request_id(harness: Harness) -> None:
    cloud = harness.cloud
    cloud.credentials.put(
        Credential(
            cloud.config.access_key_id,
            cloud.config.access_key_secret,
            cloud.config.security_token,
            allow=["mns:*", "ots:*", "dms:RegisterUser", "dms:GetUser"],
        )
    )
    outcome = harness.provision(sample("hired-explicit-roles.json"))
    assert outcome.status == "failed"
    _, register, join = outcome.steps
    assert register.result == "done"
    assert (join.result, join.code, join.attempts, join.retryable) == ("failed", "Forbidden.RAM", 1, False)
    assert join.request_id


def test_logs_are_json_lines_with_correlation_id_and_nothing_secret(harness: Harness) -> None:
    for name in ("hired-explicit-roles.json", "hired-mapping-only.json", "updated.json", "invalid-many-problems.json"):
        harness.provision(sample(name))
    text = harness.logs.getvalue()
    lines = [json.loads(line) for line in text.splitlines()]
    assert len(lines) == 4
    assert all(line["correlation_id"] for line in lines)
    assert lines[0]["correlation_id"] == "onb-20250303-0001"
    cfg = harness.cloud.config
    for secret in (cfg.access_key_secret, cfg.security_token, "13900001234", "13812345678", "13700005678"):
        assert secret not in text
    published = json.dumps(harness.published())
    for mobile in ("13900001234", "13812345678", "13700005678"):
        assert mobile not in published

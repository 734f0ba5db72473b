"""The soak's fault rules: every dangerous call has its crash, each service meets faults at the asked rate, and the
register table the soak seeds keeps every cell version."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from localcloud.faults import FaultRule
from soak import chaos
from soak.run import SEED, SoakOptions, _seed_file, leaver_limit
from soak.workload import plan


def test_every_dms_write_register_write_outcome_and_send_has_a_crash_rule_on_the_worker() -> None:
    rules = chaos.crash_rules(2, 0.1)
    assert {(r["service"], r["action"]) for r in rules} == {
        *(("dms*", action) for action in chaos.DMS_WRITES),
        ("tablestore", "PutRow"),
        ("tablestore", "UpdateRow"),
        ("mns", "PublishMessage"),
        ("mns", "SendMessage"),
    }
    assert all(r["function"] == "worker" and r["count"] == 2 and r["probability"] == 0.1 for r in rules)
    assert all(FaultRule.from_dict(rule).kind == "crash" for rule in rules)
    assert [r["action"] for r in rules if chaos.is_late(r)] == ["SendMessage"]
    assert chaos.crash_rules(0, 0.1) == []


def test_the_dms_glob_crashes_after_writes_of_both_dms_products() -> None:
    rule = FaultRule.from_dict(chaos.crash_rules(1, 1.0, (("dms*", "RegisterUser"),))[0])
    assert rule.matches("dms-enterprise", "RegisterUser")
    assert not rule.matches("dms-enterprise", "GetUser")


@pytest.mark.parametrize("rate", [0.05, 0.2])
def test_each_register_call_meets_some_fault_at_the_asked_rate(rate: float) -> None:
    rules = chaos.tablestore_rules(rate, 6.0)
    assert {r["action"] for r in rules} == set(chaos.TABLESTORE_ACTIONS)
    assert {r.get("code") for r in rules if r["kind"] == "error"} == {"OTSServerBusy", "OTSServerUnavailable"}
    assert {r["kind"] for r in rules} == {"error", "drop", "drop_after", "hang"}
    for action in chaos.TABLESTORE_ACTIONS:
        missed = 1.0
        for rule in rules:
            if rule["action"] == action:
                missed *= 1 - rule["probability"]
        assert 1 - missed == pytest.approx(rate)
    assert all(FaultRule.from_dict(rule).service == "tablestore" for rule in rules)


def test_no_rate_means_no_rules() -> None:
    assert chaos.network_rules(0.0, 0.0, 0.0, 3.0, 6.0) == []
    kinds = {r["service"] for r in chaos.network_rules(0.2, 0.05, 0.05, 3.0, 6.0)}
    assert kinds == {"dms*", "mns", "tablestore"}


def test_the_soak_seed_is_the_deployments_with_a_register_that_keeps_every_version(tmp_path: Path) -> None:
    written = json.loads(_seed_file(tmp_path / "functions.log").read_text())
    deployed = json.loads(SEED.read_text())
    (table,) = written.pop("tablestore_tables")
    assert table.pop("max_versions") >= 1_000_000
    assert [table] == deployed.pop("tablestore_tables")
    assert written == deployed


def test_the_leaver_limit_is_small_enough_to_trip_unless_given() -> None:
    sent = plan(1000, seed=1)
    leaves = sum(p.type == "employee.left" for p in sent if not p.duplicate)
    assert 1 <= leaver_limit(SoakOptions(), sent) <= leaves // 4
    assert leaver_limit(SoakOptions(leaver_limit=7), sent) == 7

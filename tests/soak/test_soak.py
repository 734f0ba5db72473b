"""The chaos soak at a small size, and the worker killed after each dangerous call: nothing lost, nothing twice,
no two convergences of a person at once, no write for a superseded event, no access back after a leave."""

from __future__ import annotations

from pathlib import Path

import pytest

from soak.chaos import CRASH_POINTS, crash_rules
from soak.run import SoakOptions, run


@pytest.mark.timeout(240)
def test_small_soak_under_dms_mns_and_tablestore_faults_and_crashes_ends_with_no_violations(tmp_path: Path) -> None:
    options = SoakOptions(events=100, seed=2, leaver_limit=1, time_limit=220, log_path=tmp_path / "functions.log")
    result = run(options, progress=print)
    assert result.violations == []
    figures = result.figures
    faults = figures["injected_faults"]
    for service in ("dms", "mns", "tablestore"):
        assert sum(n for kind, n in faults.items() if kind.startswith(f"{service}:")) > 0, service
    assert sum(figures["crashes"].values()) > 0
    assert {"provisioned", "superseded", "rejected", "quarantined"} <= set(figures["outcomes_by_status"])
    assert figures["routes"].keys() == {"webhook", "queue", "late"}
    assert figures["held"] >= 1
    assert figures["released"] >= 1
    assert figures["replays"].get("parked", 0) >= figures["poison"]


CRASH_RUNS: dict[str, tuple[str, tuple[str, ...]]] = {
    # LEAVER_ACTION, and the calls after which the worker dies, once each. Lives are sent in order here: a crash
    # holds a batch back (its people leased and deferred, or the batch dead-lettered after four tries and replayed
    # late), and a call that needs its predecessor applied first (EnableUser after a leave, a workspace role
    # change after the join) must still surely come. The shuffled order is the other soaks' business.
    "dms-grants": ("disable", ("RegisterUser", "UpdateUser", "AddUserToDataAgentWorkspace")),
    "dms-revocations": (
        "disable",
        ("UpdateDataAgentWorkspaceMemberRole", "RemoveUserToDataAgentWorkspace", "DisableUser"),
    ),
    "dms-rehire": ("disable", ("EnableUser",)),
    "register-writes-and-delete": ("delete", ("PutRow", "UpdateRow", "DeleteUser")),
    "outcome-and-sends": ("disable", ("PublishMessage", "SendMessage")),
}


@pytest.mark.timeout(150)
@pytest.mark.parametrize("name", CRASH_RUNS)
def test_worker_killed_after_each_dangerous_call_is_redelivered_and_every_invariant_holds(
    tmp_path: Path, name: str
) -> None:
    leaver_action, actions = CRASH_RUNS[name]
    points = tuple(point for point in CRASH_POINTS if point[1] in actions)
    options = SoakOptions(
        people=30,
        duplicates=0.1,
        invalid=0.1,
        poison=0.0,
        dms_faults=0.0,
        mns_faults=0.0,
        tablestore_faults=0.0,
        crashes=0,
        crash=crash_rules(1, 1.0, points),
        lease_seconds=5,
        leaver_action=leaver_action,
        leaver_limit=100,
        in_order=1.0,
        seed=121,
        time_limit=140,
        log_path=tmp_path / "functions.log",
    )
    result = run(options, progress=print)
    assert result.violations == []
    assert result.figures["crashes"] == dict.fromkeys(sorted(actions), 1)
    assert result.figures["trigger_redeliveries"] >= 1

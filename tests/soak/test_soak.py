"""The chaos soak at a small size, and the worker killed at each dangerous point: nothing lost, nothing twice."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from soak.run import SoakOptions, run


def test_small_soak_under_dms_and_mns_faults_ends_with_no_violations(tmp_path: Path) -> None:
    result = run(SoakOptions(events=100, time_limit=240, log_path=tmp_path / "functions.log"), progress=print)
    assert result.violations == []
    figures = result.figures
    faults = figures["injected_faults"]
    assert sum(n for kind, n in faults.items() if kind.startswith("dms:")) > 0
    assert sum(n for kind, n in faults.items() if kind.startswith("mns:")) > 0
    assert {"provisioned", "rejected", "quarantined"} <= set(figures["outcomes_by_status"])
    assert figures["replays"].get("parked", 0) >= figures["poison"]


CRASH_POINTS: list[dict[str, Any]] = [
    {"service": "dms-enterprise", "action": "RegisterUser"},
    {"service": "dms", "action": "AddUserToDataAgentWorkspace"},
    {"service": "mns", "action": "PublishMessage"},
]


@pytest.mark.parametrize(
    "point", CRASH_POINTS, ids=["after-register-user", "after-add-to-workspace", "after-publishing-the-outcome"]
)
def test_worker_killed_at_a_dangerous_point_is_redelivered_and_nothing_is_lost_or_done_twice(
    tmp_path: Path, point: dict[str, Any]
) -> None:
    crash = {"kind": "crash", "function": "worker", "count": 1, **point}
    options = SoakOptions(
        events=24,
        invalid=0.0,
        poison=0.0,
        dms_faults=0.0,
        mns_faults=0.0,
        crash=[crash],
        time_limit=120,
        log_path=tmp_path / "functions.log",
    )
    result = run(options, progress=print)
    assert result.violations == []
    service = "dms" if point["service"].startswith("dms") else "mns"
    assert result.figures["injected_faults"] == {f"{service}:crash": 1}
    assert result.figures["trigger_redeliveries"] >= 1

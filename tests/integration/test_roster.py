"""The roster import, `python -m functions.roster`, against the local cloud: initial load, re-runs, leavers, the
mass-leaver breaker, dry runs and bad rows.

The command runs in-process with the deployment's environment (tests/integration/deployment.py, as `make dev`
prints it); DMS is judged through the control plane (its state, and its call log for what was written), the hold
queue and the result topic through the official MNS SDK.
"""

from __future__ import annotations

import io
import json
import re
import time
from pathlib import Path
from typing import Any

import pytest

from functions.roster.__main__ import main
from functions.worker.index import handler as worker_handler
from localcloud.control.client import ControlClient
from shared.messaging.formats import read_held
from tests.integration.deployment import QUEUES, Deployment, batch

ROSTERS = Path(__file__).resolve().parents[2] / "events" / "roster"
PEOPLE = ROSTERS / "people.csv"
ANALYTICS, ENGINEERING = "209230000007291", "209230000007305"
UIDS = [f"200000000010{n}" for n in range(1, 6)]
READS = {"GetUser", "ListDataAgentWorkspaceMember", "GetDataAgentWorkspaceInfo", "ListUsers"}


class Ran:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err

    def json(self) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(self.out)
        return document


def roster(*args: str | Path) -> Ran:
    out, err = io.StringIO(), io.StringIO()
    code = main([str(arg) for arg in args], stdout=out, stderr=err)
    return Ran(code, out.getvalue(), err.getvalue())


def table(out: str) -> dict[str, int]:
    """The summary's counts per status, as printed."""
    return {m[1]: int(m[2]) for m in re.finditer(r"^  ([a-z_]+) +([0-9]+)$", out, re.MULTILINE)}


def control(deployment: Deployment) -> ControlClient:
    return ControlClient(deployment.cloud.control_url)


def users(deployment: Deployment) -> dict[str, dict[str, Any]]:
    return {user["uid"]: user for user in control(deployment).state("dms")["users"]}


def memberships(deployment: Deployment) -> dict[str, dict[str, str]]:
    """uid -> workspace -> role, upper case."""
    found: dict[str, dict[str, str]] = {}
    for workspace in control(deployment).state("dms")["workspaces"]:
        for member in workspace["members"]:
            found.setdefault(member["MemberId"], {})[workspace["workspace_id"]] = str(member["RoleName"]).upper()
    return found


def dms_actions(deployment: Deployment, since: int = 0) -> set[str]:
    return {
        str(call["action"]) for call in control(deployment).calls(since=since) if str(call["service"]).startswith("dms")
    }


def last_call(deployment: Deployment) -> int:
    return max((int(call["seq"]) for call in control(deployment).calls()), default=0)


def without(tmp_path: Path, *uids: str, source: Path = PEOPLE, extra: str = "") -> Path:
    """The sample roster less some people, plus any extra lines."""
    lines = [line for line in source.read_text().splitlines() if not any(line.startswith(uid) for uid in uids)]
    path = tmp_path / f"roster-{len(list(tmp_path.iterdir()))}.csv"
    path.write_text("\n".join(lines) + "\n" + extra)
    return path


@pytest.fixture
def loaded(deployment: Deployment) -> Deployment:
    """The sample roster loaded once, its outcomes read off the topic."""
    assert roster(PEOPLE).code == 0
    deployment.outcomes()
    return deployment


# Initial load and re-runs


def test_initial_load_provisions_everyone_the_roster_lists(deployment: Deployment) -> None:
    ran = roster(PEOPLE)
    assert (ran.code, ran.err) == (0, ""), ran.out
    assert table(ran.out)["provisioned"] == 5
    found = users(deployment)
    assert {uid: found[uid]["state"] for uid in UIDS} == dict.fromkeys(UIDS, "NORMAL")
    assert found["2000000000101"]["role_names"] == ["USER"]
    assert found["2000000000104"]["role_names"] == ["USER", "DBA"], "the title maps Senior DBA to DBA"
    assert found["2000000000105"]["role_names"] == ["USER", "DBA"], "the roles column overrides the mapping"
    assert found["2000000000105"]["nick"] == "Wong, Ka Yan"
    assert memberships(deployment) == {
        "2000000000101": {ENGINEERING: "MEMBER"},
        "2000000000102": {ENGINEERING: "ADMIN"},
        "2000000000103": {ANALYTICS: "MEMBER"},
        "2000000000104": {ENGINEERING: "MEMBER"},
        "2000000000105": {ANALYTICS: "MEMBER"},
    }
    outcomes = deployment.outcomes()
    assert sorted(o["data"]["uid"] for o in outcomes) == UIDS
    assert {(o["data"]["status"], o["data"]["event_type"], o["data"]["event_source"]) for o in outcomes} == {
        ("provisioned", "employee.hired", "roster")
    }


def test_the_same_roster_run_again_makes_no_dms_write(loaded: Deployment) -> None:
    since = last_call(loaded)
    ran = roster(PEOPLE)
    assert ran.code == 0
    assert table(ran.out)["unchanged"] == 5
    assert dms_actions(loaded, since) <= READS
    assert {o["data"]["event_type"] for o in loaded.outcomes()} == {"employee.updated"}


def test_a_jsonl_roster_of_the_same_people_finds_nothing_to_change(loaded: Deployment) -> None:
    since = last_call(loaded)
    ran = roster(ROSTERS / "people.jsonl", "--json")
    assert ran.code == 0
    assert ran.json()["statuses"]["unchanged"] == 5
    assert dms_actions(loaded, since) <= READS


# Leavers


def test_person_absent_from_complete_roster_leaves(loaded: Deployment, tmp_path: Path) -> None:
    ran = roster(without(tmp_path, "2000000000105"))
    assert ran.code == 0, ran.out
    assert table(ran.out)["deprovisioned"] == 1
    assert "2000000000105" in ran.out
    assert users(loaded)["2000000000105"]["state"] == "DISABLE"
    assert "2000000000105" not in memberships(loaded), "the workspace it granted is taken back"
    assert {uid: u["state"] for uid, u in users(loaded).items() if uid != "2000000000105"} == dict.fromkeys(
        UIDS[:4], "NORMAL"
    )
    (left,) = [o for o in loaded.outcomes() if o["data"]["event_type"] == "employee.left"]
    assert (left["data"]["uid"], left["data"]["status"]) == ("2000000000105", "deprovisioned")


def test_no_leavers_keeps_people_absent_from_the_roster(loaded: Deployment, tmp_path: Path) -> None:
    ran = roster(without(tmp_path, "2000000000105"), "--no-leavers")
    assert ran.code == 0
    assert "skipped (--no-leavers)" in ran.out
    assert "2000000000105" in ran.out
    assert users(loaded)["2000000000105"]["state"] == "NORMAL"


def test_leavers_past_the_limit_are_held_on_the_hold_queue_not_applied(
    loaded: Deployment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEAVER_LIMIT", "1")
    ran = roster(without(tmp_path, *UIDS[2:]), "--json")
    assert ran.code == 0, "held leaves wait for an operator; nothing failed"
    summary = ran.json()
    assert (summary["statuses"]["deprovisioned"], summary["statuses"]["held"]) == (1, 2)
    states = {uid: users(loaded)[uid]["state"] for uid in UIDS[2:]}
    assert sorted(states.values()) == ["DISABLE", "NORMAL", "NORMAL"]
    held = [read_held(body) for body in loaded.drain(QUEUES["HOLD_QUEUE"])]
    held_uids = {json.loads(str(record["message"]))["event"]["employee"]["uid"] for record in held if record}
    assert held_uids == {uid for uid, state in states.items() if state == "NORMAL"}


def test_the_text_summary_says_how_to_release_held_leaves(
    loaded: Deployment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEAVER_LIMIT", "0")
    ran = roster(without(tmp_path, "2000000000105"))
    assert table(ran.out)["held"] == 1
    assert "python -m functions.replay --held list" in ran.out
    assert users(loaded)["2000000000105"]["state"] == "NORMAL"


# Dry runs


def test_dry_run_of_an_initial_load_plans_hires_and_changes_nothing(deployment: Deployment) -> None:
    ran = roster(PEOPLE, "--dry-run")
    assert ran.code == 0
    assert "Dry run: nothing was written" in ran.out
    assert table(ran.out)["hire"] == 5
    assert "join workspace 209230000007305 as ADMIN" in ran.out
    assert dms_actions(deployment) <= READS
    assert UIDS[0] not in users(deployment)
    assert deployment.outcomes() == []
    assert "+8613800138101" not in ran.out


def test_dry_run_prints_each_persons_difference_against_dms(loaded: Deployment, tmp_path: Path) -> None:
    text = PEOPLE.read_text().replace("Data Engineer,", "Data Engineering Lead,").replace("Liu Yang", "Liu Yang2")
    changed = tmp_path / "changed.csv"
    changed.write_text(
        "\n".join(line for line in text.splitlines() if not line.startswith("2000000000105"))
        + "\n2000000000106,Ma Li,13700137106,Analytics,Analyst,,,,,\n"
    )
    since = last_call(loaded)
    ran = roster(changed, "--dry-run")
    assert ran.code == 0, ran.out
    lines = {line.split()[1]: line for line in ran.out.splitlines() if line.startswith("  ") and "20000000001" in line}
    assert lines["2000000000101"].split()[0] == "update"
    assert f"workspace {ENGINEERING} role MEMBER -> ADMIN" in lines["2000000000101"]
    assert "nickname -> Liu Yang2" in lines["2000000000102"]
    assert lines["2000000000103"].split()[0] == "unchanged"
    assert lines["2000000000105"].split()[:3] == ["leave", "2000000000105", "leaver"]
    assert f"leave workspace {ANALYTICS}; disable the user" in lines["2000000000105"]
    assert lines["2000000000106"].split()[0] == "hire"
    assert dms_actions(loaded, since) <= READS
    assert users(loaded)["2000000000105"]["state"] == "NORMAL"
    assert "2000000000106" not in users(loaded)
    assert loaded.outcomes() == []
    assert "13700137106" not in ran.out


def test_dry_run_says_which_leaves_the_breaker_would_hold(
    loaded: Deployment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEAVER_LIMIT", "1")
    summary = roster(without(tmp_path, *UIDS[2:]), "--dry-run", "--json").json()
    assert (summary["statuses"]["leave"], summary["statuses"]["hold"]) == (1, 2)
    assert {u["state"] for uid, u in users(loaded).items()} == {"NORMAL"}
    assert loaded.drain(QUEUES["HOLD_QUEUE"]) == []


# Bad rows


def test_a_bad_row_is_reported_with_its_line_and_the_others_still_converge(
    deployment: Deployment, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "uid,nickname,mobile,department,roles\n"
        "2000000000101,Chen Jing,+8613800138101,Data Engineering,\n"
        "2000000000102,Liu Yang,+86 139 0013,Data Engineering,USER;ROOT\n"
        "2000000000103,Priya Raman,+6591234567,Analytics,\n"
    )
    ran = roster(bad)
    assert ran.code == 1
    (problem_line,) = [line for line in ran.out.splitlines() if "line 3" in line and "rejected" in line]
    assert "mobile:" in problem_line
    assert "roles.1: must be one of" in problem_line
    assert "0013" not in ran.out
    assert {uid for uid in users(deployment)} == {"2000000000101", "2000000000103"}
    statuses = sorted(o["data"]["status"] for o in deployment.outcomes())
    assert statuses == ["provisioned", "provisioned", "rejected"]


def test_a_roster_with_a_rejected_row_takes_nobody_for_a_leaver(loaded: Deployment, tmp_path: Path) -> None:
    ran = roster(without(tmp_path, "2000000000105", extra="2000000000106,,,Analytics,,,,,,\n"), "--json")
    assert ran.code == 1
    summary = ran.json()
    assert summary["leavers"]["decision"] == "refused"
    assert summary["leavers"]["absent"] == ["2000000000105"]
    assert summary["problems"] == [
        {
            "status": "rejected",
            "uid": "2000000000106",
            "line": 6,
            "problems": [{"field": "nickname", "reason": "is required"}],
        }
    ]
    assert users(loaded)["2000000000105"]["state"] == "NORMAL"


def test_an_unknown_column_refuses_the_whole_file_before_any_call(deployment: Deployment, tmp_path: Path) -> None:
    typo = tmp_path / "typo.csv"
    typo.write_text("uid,nickname,role\n2000000000101,Chen Jing,DBA\n")
    since = last_call(deployment)
    ran = roster(typo)
    assert ran.code == 2
    assert "typo.csv:1: unknown column 'role' (did you mean roles?)" in ran.err
    assert "nothing was done" in ran.err
    assert ran.out == ""
    assert control(deployment).calls(since=since) == []


# Ordering


def test_an_hr_event_newer_than_the_rosters_as_of_time_stays_applied(deployment: Deployment) -> None:
    as_of = "2025-03-01T09:00:00+08:00"
    assert roster(PEOPLE, "--as-of", as_of).code == 0
    moved = {
        "schema_version": 1,
        "event_id": "dingtalk:moved:0101",
        "source": "dingtalk",
        "type": "employee.updated",
        "occurred_at": "2025-03-02T09:00:00+08:00",
        "employee": {"uid": "2000000000101", "nickname": "Chen Jing", "department": "Analytics"},
    }
    worker_handler(batch([(json.dumps(moved), "m1")]), None)
    assert memberships(deployment)["2000000000101"] == {ANALYTICS: "MEMBER"}
    summary = roster(PEOPLE, "--as-of", as_of, "--json").json()
    (chen,) = [p for p in summary["people"] if p["uid"] == "2000000000101"]
    assert chen["status"] == "superseded"
    assert "dingtalk:moved:0101" in chen["reason"]
    assert memberships(deployment)["2000000000101"] == {ANALYTICS: "MEMBER"}


def test_a_person_another_convergence_holds_is_waited_for_not_failed(deployment: Deployment) -> None:
    from dataclasses import replace

    from shared.infra.retry import Deadline
    from shared.state.register import PersonRecord
    from shared.wiring import Wiring

    register = Wiring().register
    now = register.now_ms()
    register.save(
        replace(PersonRecord(UIDS[0]), lease_token="an-hr-event", lease_until_ms=now + 1500), Deadline.after(5)
    )
    started = time.monotonic()
    summary = roster(PEOPLE, "--json").json()
    assert summary["statuses"]["provisioned"] == 5
    assert time.monotonic() - started >= 1.0, "waited out the other convergence's lease"
    assert users(deployment)[UIDS[0]]["state"] == "NORMAL"


# The command's surroundings


def test_dry_run_from_the_environment_is_honoured_as_the_functions_honour_it(
    deployment: Deployment, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DRY_RUN", "true")
    ran = roster(PEOPLE)
    assert ran.code == 0
    assert ran.out.startswith("Dry run: nothing was written")
    assert dms_actions(deployment) <= READS


def test_the_log_lines_go_to_the_file_named_and_never_hold_a_mobile(deployment: Deployment, tmp_path: Path) -> None:
    log = tmp_path / "roster.log"
    ran = roster(PEOPLE, "--log", log)
    assert ran.code == 0
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert sorted(line["uid"] for line in lines if line["message"] == "outcome") == UIDS
    assert {line["function"] for line in lines} == {"roster"}
    assert not re.search(r"138001381|13900139|91234567|186001861", log.read_text())
    assert "{" not in ran.out.splitlines()[0], "the log stays out of the summary on stdout"

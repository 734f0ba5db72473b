"""What an operator runs: the hold queue's release and discard, and reconcile, through the real handlers.

The handlers run in-process with the deployment's environment on the local cloud (tests/integration/deployment.py);
events reach the worker as the EventBridge trigger would hand them over.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from functions.reconcile.index import handler as reconcile_handler
from functions.replay.index import handler as replay_handler
from functions.worker.index import handler as worker_handler
from localcloud import LocalCloud
from shared.messaging.formats import HELD_KIND
from tests.integration.deployment import QUEUES, Deployment, batch, sample

UID = "2000000000001"
OTHER = "2000000000009"
ANALYTICS = "209230000007291"


def work(*bodies: bytes | str) -> dict[str, Any]:
    texts = [body.decode() if isinstance(body, bytes) else body for body in bodies]
    report: dict[str, Any] = json.loads(worker_handler(batch([(t, f"m{i}") for i, t in enumerate(texts)]), None))
    return report


def other_person(name: str, event_id: str) -> str:
    document = json.loads(sample(name))
    document["event_id"] = event_id
    document["employee"]["uid"] = OTHER
    document["employee"].pop("mobile", None)
    return json.dumps(document)


def user(cloud: LocalCloud, uid: str) -> dict[str, Any]:
    (found,) = [u for u in cloud.dms.snapshot()["users"] if u["uid"] == uid]
    return dict(found)


@pytest.fixture
def two_leavers_past_a_limit_of_one(deployment: Deployment, monkeypatch: pytest.MonkeyPatch) -> Deployment:
    monkeypatch.setenv("LEAVER_LIMIT", "1")
    from shared import wiring

    wiring.reset()
    work(sample("hired-explicit-roles.json"), other_person("hired-explicit-roles.json", "dingtalk:add:other"))
    work(sample("left.json"))
    work(other_person("left.json", "dingtalk:leave:other"))
    deployment.outcomes()
    return deployment


def test_a_held_leave_waits_whole_on_the_hold_queue_and_is_listed(two_leavers_past_a_limit_of_one: Deployment) -> None:
    deployment = two_leavers_past_a_limit_of_one
    assert user(deployment.cloud, UID)["state"] == "DISABLE"
    assert user(deployment.cloud, OTHER)["state"] == "NORMAL", "the second leaver is held"
    listed = json.loads(replay_handler(b'{"held": "list"}', None))
    (record,) = listed["records"]
    assert (record["uid"], record["event_id"]) == (OTHER, "dingtalk:leave:other")
    assert "breaker" in record["reason"]
    assert listed["breaker"]["tripped_at"] is not None
    hold = deployment.account.get_queue(QUEUES["HOLD_QUEUE"])
    hold.set_encoding(False)
    (kept,) = hold.batch_peek_message(16)
    assert json.loads(kept.message_body)["kind"] == HELD_KIND


def test_released_leaves_are_applied_and_the_breaker_closes(two_leavers_past_a_limit_of_one: Deployment) -> None:
    deployment = two_leavers_past_a_limit_of_one
    report = json.loads(replay_handler(b'{"held": "release"}', None))
    assert (report["actions"], report["breaker_reset"]) == ({"released": 1}, True)
    (requeued,) = deployment.drain(QUEUES["INPUT_QUEUE"])
    assert json.loads(requeued)["released"] is True
    work(requeued)
    assert user(deployment.cloud, OTHER)["state"] == "DISABLE"
    assert [o["data"]["status"] for o in deployment.outcomes()] == ["deprovisioned"]
    assert json.loads(replay_handler(b'{"held": "list"}', None))["breaker"]["tripped_at"] is None


def test_discarded_leaves_are_parked_with_a_quarantined_outcome(two_leavers_past_a_limit_of_one: Deployment) -> None:
    deployment = two_leavers_past_a_limit_of_one
    report = json.loads(replay_handler(b'{"held": "discard"}', None))
    assert report["actions"] == {"discarded": 1}
    (parked,) = deployment.drain(QUEUES["PARKING_QUEUE"])
    assert "dingtalk:leave:other" in json.loads(parked)["message"]
    (outcome,) = deployment.outcomes()
    assert (outcome["data"]["status"], outcome["data"]["event_id"]) == ("quarantined", "dingtalk:leave:other")
    assert user(deployment.cloud, OTHER)["state"] == "NORMAL"
    assert deployment.drain(QUEUES["HOLD_QUEUE"]) == []


def test_reconcile_repairs_roles_changed_by_hand_and_reports_the_drift(deployment: Deployment) -> None:
    work(sample("hired-explicit-roles.json"))
    deployment.outcomes()
    deployment.cloud.dms.update_user(10001, UID, role_names="USER,ADMIN")
    report = json.loads(reconcile_handler(b"{}", None))
    assert (report["people"], report["statuses"], report["complete"]) == (1, {"updated": 1}, True)
    assert user(deployment.cloud, UID)["role_names"] == ["USER", "DBA"]
    (outcome,) = deployment.outcomes()
    assert outcome["data"]["status"] == "updated"
    assert outcome["data"]["drift"] == ["roles ADMIN,USER -> USER,DBA"]
    assert outcome["data"]["event_type"] == "reconcile"


def test_reconcile_in_report_mode_changes_nothing(deployment: Deployment) -> None:
    work(sample("hired-explicit-roles.json"))
    deployment.outcomes()
    deployment.cloud.dms.remove_workspace_member(ANALYTICS, UID)
    report = json.loads(reconcile_handler(b'{"mode": "report"}', None))
    assert report["statuses"] == {"drifted": 1}
    assert deployment.cloud.dms.snapshot()["workspaces"][0]["members"] == []
    (outcome,) = deployment.outcomes()
    assert [(s["operation"], s["result"]) for s in outcome["data"]["steps"] if s["result"] == "planned"] == [
        ("AddUserToDataAgentWorkspace", "planned")
    ]


def test_reconcile_disables_a_leaver_someone_re_enabled_by_hand(deployment: Deployment) -> None:
    work(sample("hired-explicit-roles.json"))
    work(sample("left.json"))
    deployment.cloud.dms.enable_user(10001, UID)
    deployment.outcomes()
    report = json.loads(reconcile_handler(b"{}", None))
    assert report["statuses"] == {"deprovisioned": 1}
    assert user(deployment.cloud, UID)["state"] == "DISABLE"


def test_reconcile_reports_a_membership_added_by_hand_in_a_mapped_workspace_and_leaves_it(
    deployment: Deployment,
) -> None:
    work(sample("hired-mapping-only.json"))
    deployment.outcomes()
    deployment.cloud.dms.add_workspace_member(ANALYTICS, "2000000000002", "ADMIN")
    report = json.loads(reconcile_handler(b"{}", None))
    assert report["statuses"] == {"unchanged": 1}
    (outcome,) = deployment.outcomes()
    assert outcome["data"]["foreign_memberships"] == [ANALYTICS]
    members = {w["workspace_id"]: w["members"] for w in deployment.cloud.dms.snapshot()["workspaces"]}
    assert [m["MemberId"] for m in members[ANALYTICS]] == ["2000000000002"]


def test_reconcile_finishes_what_an_outage_left_half_done(deployment: Deployment) -> None:
    from localcloud.faults import FaultRule

    deployment.cloud.faults.add(
        FaultRule(
            kind="error", service="dms", action="AddUserToDataAgentWorkspace", status=503, code="ServiceUnavailable"
        )
    )
    work(sample("hired-explicit-roles.json"))
    assert [o["data"]["status"] for o in deployment.outcomes()] == ["failed"]
    deployment.cloud.faults.clear()
    report = json.loads(reconcile_handler(b"{}", None))
    assert report["statuses"] == {"updated": 1}
    members = {w["workspace_id"]: w["members"] for w in deployment.cloud.dms.snapshot()["workspaces"]}
    assert [m["MemberId"] for m in members[ANALYTICS]] == [UID]


def test_reconcile_runs_from_the_command_line(deployment: Deployment, capsys: pytest.CaptureFixture[str]) -> None:
    from functions.reconcile.__main__ import main

    work(sample("hired-explicit-roles.json"))
    assert main(["--report", "--uid", UID]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["statuses"] == {"unchanged": 1}


def test_reconcile_reports_a_row_damaged_by_hand_and_walks_on_to_everyone_else(deployment: Deployment) -> None:
    from tablestore import Row

    from tests.support.tablestore_clients import ots_client

    work(sample("hired-explicit-roles.json"))
    deployment.outcomes()
    deployment.cloud.dms.update_user(10001, UID, role_names="USER,ADMIN")
    damaged = Row([("uid", "1000000000001")], [("desired", "{not json"), ("revision", 3)])
    ots_client(deployment.cloud).put_row("dms_onboarding_people", damaged)
    report = json.loads(reconcile_handler(b"{}", None))
    assert (report["people"], report["statuses"], report["complete"]) == (1, {"unreadable": 1, "updated": 1}, True)
    assert user(deployment.cloud, UID)["role_names"] == ["USER", "DBA"]


def test_an_event_for_a_person_whose_row_is_damaged_fails_naming_the_row(deployment: Deployment) -> None:
    from tablestore import Row

    from tests.support.tablestore_clients import ots_client

    damaged = Row([("uid", UID)], [("desired", "{not json"), ("revision", 3)])
    ots_client(deployment.cloud).put_row("dms_onboarding_people", damaged)
    work(sample("hired-explicit-roles.json"))
    (outcome,) = deployment.outcomes()
    assert outcome["data"]["status"] == "failed"
    assert f"OTSCorruptRow: row '{UID}' cannot be read" in json.dumps(outcome["data"])
    assert [u for u in deployment.cloud.dms.snapshot()["users"] if u["uid"] == UID] == []

"""The queue worker with the lifecycle: a batch in any order, a busy person, a register that fails, a leave held."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from functions.replay.index import handler as replay_handler
from functions.worker.index import handler as worker_handler
from localcloud.faults import FaultRule
from shared import wiring
from shared.infra.retry import Deadline
from shared.messaging.formats import unwrap
from tests.integration.deployment import QUEUES, Deployment, batch, sample

UID = "2000000000001"


def work(*bodies: bytes | str) -> dict[str, Any]:
    texts = [body.decode() if isinstance(body, bytes) else body for body in bodies]
    report: dict[str, Any] = json.loads(worker_handler(batch([(t, f"m{i}") for i, t in enumerate(texts)]), None))
    return report


def user(deployment: Deployment) -> dict[str, Any]:
    (found,) = [u for u in deployment.cloud.dms.snapshot()["users"] if u["uid"] == UID]
    return dict(found)


def test_a_batch_delivered_out_of_order_applies_only_the_newest_event(deployment: Deployment) -> None:
    report = work(sample("updated-stale.json"), sample("hired-explicit-roles.json"), sample("updated-moved.json"))
    assert report["statuses"] == {"provisioned": 1, "superseded": 2}
    assert (user(deployment)["role_names"], user(deployment)["nick"]) == (["USER"], "Wang Fang (Analytics)")
    by_event = {o["data"]["event_id"]: o["data"] for o in deployment.outcomes()}
    moved = json.loads(sample("updated-moved.json"))["event_id"]
    assert by_event[moved]["status"] == "provisioned"
    assert {d["superseded_by"] for d in by_event.values() if d["status"] == "superseded"} == {moved}
    dms_writes = [c["action"] for c in deployment.cloud.calls.query(service="dms-enterprise")]
    assert dms_writes.count("RegisterUser") == 1


def test_an_event_for_a_busy_person_is_deferred_on_the_queue_not_failed(deployment: Deployment) -> None:
    work(sample("hired-explicit-roles.json"))
    deployment.outcomes()
    register = wiring.get().register
    record = register.read(UID, Deadline.after(5))
    assert record is not None
    register.save(replace(record, lease_token="other", lease_until_ms=register.now_ms() + 20_000), Deadline.after(5))
    report = work(sample("updated-moved.json"))
    assert report["statuses"] == {"deferred": 1}
    assert deployment.outcomes() == []
    assert deployment.drain(QUEUES["DEAD_LETTER_QUEUE"]) == []
    queue = deployment.cloud.mns.snapshot()["queues"]
    (waiting,) = [q for q in queue if q["QueueName"] == QUEUES["INPUT_QUEUE"]]
    (message,) = waiting["Messages"]
    assert unwrap(message["MessageBody"]).event["event_id"] == json.loads(sample("updated-moved.json"))["event_id"]
    assert message["State"] == "delayed", "it comes back when the other convergence should be done"


def test_a_register_outage_fails_the_event_into_the_dead_letter_queue_and_replay_finishes_it(
    deployment: Deployment,
) -> None:
    deployment.cloud.faults.add(
        FaultRule(kind="error", service="tablestore", action="GetRow", status=503, code="OTSServerUnavailable")
    )
    work(sample("hired-explicit-roles.json"))
    (failed,) = deployment.outcomes()
    (step,) = failed["data"]["steps"]
    assert (failed["data"]["status"], step["step"], step["result"], step["retryable"]) == (
        "failed",
        "register",
        "failed",
        True,
    )
    assert deployment.cloud.dms.snapshot()["users"] == [], "nothing reaches DMS without the register"
    deployment.cloud.faults.clear()
    json.loads(replay_handler(b"{}", None))
    (requeued,) = deployment.drain(QUEUES["INPUT_QUEUE"])
    work(requeued)
    assert [o["data"]["status"] for o in deployment.outcomes()] == ["provisioned"]

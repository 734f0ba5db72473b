"""The handlers, called with FC-shaped events, against the local cloud."""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path

import pytest
from mns.account import Account
from mns.mns_exception import MNSServerException
from mns.queue import Message

from functions.replay.index import handler as replay_handler
from functions.webhook.index import handler as webhook_handler
from functions.worker.index import handler as worker_handler
from localcloud.faults import FaultRule
from shared.messaging.formats import EVENT_KIND
from shared.worker import BatchIncompleteError
from tests.integration.deployment import EVENTS, QUEUES, SECRET, Deployment, batch, http_event, post, sample, signed


def test_signed_event_is_accepted_and_queued_with_its_correlation_id(deployment: Deployment) -> None:
    body = sample("hired-explicit-roles.json")
    answer = post("/events", body, signed(body))
    assert answer["statusCode"] == 202
    assert json.loads(answer["body"])["correlation_id"] == "onb-20250303-0001"
    (queued,) = deployment.drain(QUEUES["INPUT_QUEUE"])
    envelope = json.loads(queued)
    assert envelope["kind"] == EVENT_KIND
    assert envelope["event"]["employee"]["mobile"] == "+86 139 0000 1234"
    assert [c for c in deployment.cloud.calls.query() if str(c["service"]).startswith("dms")] == []


def test_invalid_event_is_a_400_naming_each_field(deployment: Deployment) -> None:
    body = sample("invalid-uid-number.json")
    answer = post("/events", body, signed(body))
    assert answer["statusCode"] == 400
    problem = json.loads(answer["body"])
    assert problem["errors"][0]["field"] == "employee.uid"
    assert deployment.drain(QUEUES["INPUT_QUEUE"]) == []


def test_routes_methods_and_health(deployment: Deployment) -> None:
    assert webhook_handler(http_event("GET", "/healthz"), None)["statusCode"] == 200
    wrong = webhook_handler(http_event("GET", "/events"), None)
    assert (wrong["statusCode"], wrong["headers"]["Allow"]) == (405, "POST")
    assert webhook_handler(http_event("POST", "/nowhere"), None)["statusCode"] == 404
    assert webhook_handler(b"not an http event", None)["statusCode"] == 400


def test_provision_endpoint_answers_with_the_outcome_and_can_dry_run(deployment: Deployment) -> None:
    body = sample("hired-mapping-only.json")
    dry = post("/provision", body, signed(body), {"dry_run": "true"})
    planned = json.loads(dry["body"])["data"]
    assert planned["status"] == "dry_run"
    assert [s["operation"] for s in planned["steps"] if s["result"] == "planned"] == [
        "RegisterUser",
        "AddUserToDataAgentWorkspace",
    ]
    assert {c["action"] for c in deployment.cloud.calls.query() if str(c["service"]).startswith("dms")} == {"GetUser"}
    done = post("/provision", body, signed(body))
    assert (done["statusCode"], json.loads(done["body"])["data"]["status"]) == (200, "provisioned")


def test_mixed_batch_gets_one_right_outcome_per_message(deployment: Deployment) -> None:
    good = sample("hired-explicit-roles.json").decode()
    encoded = base64.b64encode(sample("updated.json")).decode()
    events = batch([(good, "a"), (good, "b"), (sample("invalid-role.json").decode(), "c"), (encoded, "d")])
    report = json.loads(worker_handler(events, None))
    assert report["messages"] == 4
    assert report["dead_lettered"] == 1
    statuses = sorted(o["data"]["status"] for o in deployment.outcomes())
    assert statuses == ["provisioned", "provisioned", "rejected", "unchanged"]
    (record,) = deployment.drain(QUEUES["DEAD_LETTER_QUEUE"])
    assert json.loads(record)["reason"]["status"] == "rejected"


def test_raw_data_and_single_event_shapes_are_accepted(deployment: Deployment) -> None:
    raw_data = json.dumps([{"requestId": "R", "messageId": "m1", "messageBody": sample("updated.json").decode()}])
    assert json.loads(worker_handler(raw_data.encode(), None))["statuses"] == {"provisioned": 1}
    assert json.loads(worker_handler(sample("hired-mapping-only.json"), None))["statuses"] == {"provisioned": 1}


def test_transient_failure_is_dead_lettered_then_replayed_to_success(deployment: Deployment) -> None:
    cloud = deployment.cloud
    cloud.faults.add(FaultRule(kind="error", service="dms-enterprise", status=503, code="ServiceUnavailable"))
    body = sample("hired-explicit-roles.json")
    post("/events", body, signed(body))
    worker_handler(deployment.cloudevents_from_input(), None)
    assert [o["data"]["status"] for o in deployment.outcomes()] == ["failed"]
    cloud.faults.clear()
    report = json.loads(replay_handler(b'{"triggerTime": "2026-11-22T00:00:00Z", "payload": ""}', None))
    assert report["actions"] == {"replayed": 1}
    requeued = deployment.drain(QUEUES["INPUT_QUEUE"])
    assert json.loads(requeued[0])["replays"] == 1
    worker_handler(batch([(requeued[0], "r1")]), None)
    (outcome,) = deployment.outcomes()
    assert outcome["data"]["status"] == "provisioned"
    assert deployment.drain(QUEUES["DEAD_LETTER_QUEUE"]) == []


def test_poison_message_is_parked_with_a_quarantined_outcome(deployment: Deployment) -> None:
    message = sample("invalid-many-problems.json").decode()
    actions = []
    for round_ in range(4):
        worker_handler(batch([(message, f"p{round_}")]), None)
        actions.append(json.loads(replay_handler(b"{}", None))["actions"])
        message = next(iter(deployment.drain(QUEUES["INPUT_QUEUE"])), "")
    assert actions == [{"replayed": 1}] * 3 + [{"parked": 1}]
    (parked,) = deployment.drain(QUEUES["PARKING_QUEUE"])
    assert json.loads(parked)["replays"] == 3
    statuses = [o["data"]["status"] for o in deployment.outcomes()]
    assert statuses == ["rejected"] * 4 + ["quarantined"]


def test_a_record_dead_lettered_again_during_the_replay_run_is_left_for_the_next_run(deployment: Deployment) -> None:
    """With several worker instances, a replayed poison message can fail and come back while the run still drains;
    replaying it again at once would spend its MAX_REPLAYS in seconds."""
    import threading

    worker_handler(batch([(sample("invalid-many-problems.json").decode(), "p0")]), None)
    stop = threading.Event()

    def a_fast_worker() -> None:
        cloud = deployment.cloud
        config = cloud.config
        account = Account(cloud.mns_endpoint, config.access_key_id, config.access_key_secret, config.security_token)
        inbox = account.get_queue(QUEUES["INPUT_QUEUE"])
        inbox.set_encoding(False)
        while not stop.is_set():
            try:
                received = inbox.batch_receive_message(16, 1)
            except MNSServerException:
                continue
            inbox.batch_delete_message([m.receipt_handle for m in received])
            worker_handler(batch([(m.message_body, m.message_id) for m in received]), None)

    fast = threading.Thread(target=a_fast_worker)
    fast.start()
    try:
        report = json.loads(replay_handler(b"{}", None))
    finally:
        stop.set()
        fast.join()
    assert report["actions"] == {"replayed": 1, "left_for_next_run": 1}
    assert [o["data"]["status"] for o in deployment.outcomes()] == ["rejected", "rejected"]


def test_replay_reads_fc_async_failure_and_eventbridge_records(deployment: Deployment) -> None:
    event = sample("updated.json").decode()
    fc_record = {
        "timestamp": 1660120276975,
        "requestContext": {
            "requestId": "x",
            "functionArn": "acs:fc:cn-hangzhou:1:functions/worker",
            "condition": "UnhandledInvocationError",
            "approximateInvokeCount": 4,
        },
        "requestPayload": batch([(event, "m1")]).decode(),
        "responseContext": {"statusCode": 200, "functionError": "boom"},
        "responsePayload": "",
    }
    eventbridge_record = json.loads(batch([(event, "m2")]))[0]
    dlq = deployment.account.get_queue(QUEUES["DEAD_LETTER_QUEUE"])
    dlq.set_encoding(False)
    for record in (fc_record, eventbridge_record):
        dlq.send_message(Message(json.dumps(record)))
    assert json.loads(replay_handler(b'{"dry_run": true}', None))["actions"] == {"would_replay": 2}
    assert json.loads(replay_handler(b"{}", None))["actions"] == {"replayed": 2}
    requeued = [json.loads(b) for b in deployment.drain(QUEUES["INPUT_QUEUE"])]
    assert [r["event"]["event_id"] for r in requeued] == ["workday:worker.changed:WD-7731045"] * 2


def test_batch_fails_when_a_dead_letter_record_cannot_be_written(deployment: Deployment) -> None:
    deployment.account.get_queue(QUEUES["DEAD_LETTER_QUEUE"]).delete()
    with pytest.raises(BatchIncompleteError):
        worker_handler(batch([(sample("invalid-role.json").decode(), "x")]), None)


COLD_WEBHOOK = """
import json, sys, time
from functions.webhook.index import handler
from shared.webhook.auth import sign
body = open(sys.argv[1], "rb").read()
stamp = str(int(time.time()))
headers = {"Content-Type": "application/json", "X-Timestamp": stamp, "X-Signature": sign(sys.argv[2], stamp, body)}
event = {"body": body.decode(), "isBase64Encoded": False, "headers": headers, "queryParameters": {},
         "requestContext": {"requestId": "cold", "http": {"method": "POST", "path": "/events"}}}
answer = handler(json.dumps(event).encode(), None)
heavy = ("alibabacloud_dms", "alibabacloud_tea_openapi", "darabonba", "pydantic", "tablestore", "numpy", "phonenumbers")
loaded = sorted(m for m in sys.modules if m.startswith(heavy))
print(json.dumps({"status": answer["statusCode"], "loaded": loaded}))
"""


def test_webhook_cold_path_imports_neither_pydantic_nor_a_dms_or_tablestore_sdk(deployment: Deployment) -> None:
    import subprocess
    import sys

    env = {**deployment.env(), "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-c", COLD_WEBHOOK, str(EVENTS / "hired-explicit-roles.json"), SECRET],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report == {"status": 202, "loaded": []}


AS_PACKAGED = """
import json, sys
from functions.worker.index import handler
event = open(sys.argv[1], "rb").read().decode()
batch = [{"id": "1", "specversion": "1.0", "data": {"messageId": "1", "messageBody": event}}]
report = json.loads(handler(json.dumps(batch).encode(), None))
print(json.dumps({"statuses": report["statuses"], "paths": [m.__file__ for m in list(sys.modules.values())
    if getattr(m, "__file__", None)]}))
"""


def packaged_site(site: Path, into: Path) -> Path:
    """The installed packages as `make build` ships them: everything but what scripts/build.py leaves out."""
    from scripts.build import NOT_SHIPPED

    into.mkdir()
    nested = [pattern for pattern in NOT_SHIPPED if "/" in pattern]

    def left_out(folder: str, names: list[str]) -> set[str]:
        relative = Path(folder).relative_to(site)
        return {name for name in names if any((relative / name).match(pattern) for pattern in nested)}

    for entry in site.iterdir():
        if any(entry.match(pattern) for pattern in NOT_SHIPPED if "/" not in pattern):
            continue
        target = into / entry.name
        if any(pattern.startswith(entry.name + "/") for pattern in nested):
            shutil.copytree(entry, target, ignore=left_out)
        else:
            target.symlink_to(entry)
    return into


def test_the_worker_converges_without_what_the_build_leaves_out_of_its_package(
    deployment: Deployment, tmp_path: Path
) -> None:
    import subprocess
    import sys
    import sysconfig

    site = packaged_site(Path(sysconfig.get_paths()["purelib"]), tmp_path / "python")
    root = Path(__file__).resolve().parents[2]
    env = {**deployment.env(), "PATH": "/usr/bin:/bin", "PYTHONPATH": f"{root}:{site}"}
    result = subprocess.run(
        [sys.executable, "-S", "-c", AS_PACKAGED, str(EVENTS / "hired-explicit-roles.json")],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["statuses"] == {"provisioned": 1}
    assert [path for path in report["paths"] if "site-packages" in path] == []
    gone = ("numpy", "/Crypto/", "/future/", "ots_sdk.so", "_http_parser.cpython", "_multidict.cpython")
    loaded = [p for p in report["paths"] if any(part in p for part in gone)]
    assert loaded == []
    assert "Native C++ decoder not available" not in result.stderr


def test_replay_runs_from_the_command_line(deployment: Deployment, capsys: pytest.CaptureFixture[str]) -> None:
    from functions.replay.__main__ import main

    worker_handler(batch([(sample("invalid-role.json").decode(), "x")]), None)
    assert main(["--dry-run"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["actions"] == {"would_replay": 1}
    assert main(["--limit", "1"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["actions"] == {"replayed": 1}

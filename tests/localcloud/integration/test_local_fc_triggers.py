"""The local FC runtime's queue pollers against the local cloud: one MNS client each, and the events they send."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mns.mns_exception import MNSServerException
from mns.queue import Message

from localcloud import LocalCloud
from localcloud.fc.runtime import LocalFunctionRuntime
from localcloud.fc.spec import FunctionSpec
from localcloud.fc.triggers.mns import MnsAccount
from tests.support.fc_events import load, shape
from tests.support.mns_clients import account
from tests.support.waiting import wait_for

HANDLER = """
import os


def handler(event, context):
    with open(os.environ["EVENTS_FILE"], "a", encoding="utf-8") as out:
        out.write(event.decode("utf-8") + "\\n")
    if os.environ.get("FAIL"):
        raise RuntimeError("failing on purpose")
    return "ok"
"""


def mns_trigger(queue: str, dead_letter: str = "", retries: int = 3, count: int = 2) -> dict[str, Any]:
    run: dict[str, Any] = {
        "batchWindow": {"CountBasedWindow": count, "TimeBasedWindow": 1},
        "retryStrategy": {"MaximumRetryAttempts": retries},
    }
    if dead_letter:
        run["deadLetterQueue"] = {"Arn": f"acs:mns:cn-hangzhou:1:/queues/{dead_letter}"}
    return {
        "triggerName": f"{queue}-trigger",
        "triggerType": "eventbridge",
        "triggerConfig": {
            "eventSourceConfig": {
                "eventSourceType": "MNS",
                "eventSourceParameters": {"sourceMNSParameters": {"QueueName": queue, "IsBase64Decode": True}},
            },
            "eventSinkConfig": {"deliveryOption": {"mode": "event-streaming", "eventSchema": "CloudEvents"}},
            "runOptions": run,
        },
    }


def function(resource: str, events: Path, triggers: list[dict[str, Any]], fail: bool = False) -> FunctionSpec:
    environment = {"EVENTS_FILE": str(events), **({"FAIL": "1"} if fail else {})}
    props = {
        "functionName": f"test-{resource}",
        "handler": "index.handler",
        "runtime": "python3.12",
        "code": "code",
        "environmentVariables": environment,
        "triggers": triggers,
    }
    return FunctionSpec(resource, props)


def deliveries(path: Path) -> list[Any]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


@pytest.fixture
def runtime(cloud: LocalCloud, tmp_path: Path) -> Iterator[tuple[LocalFunctionRuntime, list[Any]]]:
    (tmp_path / "code").mkdir()
    (tmp_path / "code" / "index.py").write_text(HANDLER, encoding="utf-8")
    cloud.apply_seed({"queues": [{"name": name} for name in ("q-a", "q-b", "q-c", "q-dead")]})
    specs = [
        function("echo", tmp_path / "echo.jsonl", [mns_trigger("q-a"), mns_trigger("q-b")]),
        function("failing", tmp_path / "failing.jsonl", [mns_trigger("q-c", "q-dead", retries=0, count=1)], fail=True),
    ]
    env = {k: v for k, v in cloud.client_env().items() if k.startswith(("MNS_", "ALIBABA_CLOUD_"))}
    made: list[Any] = []

    def new_account() -> MnsAccount:
        client = account(cloud)
        made.append(client)
        created: MnsAccount = client
        return created

    functions = LocalFunctionRuntime(specs, tmp_path, env, log=lambda line: None, timers=False)
    functions.start(new_account)
    try:
        yield functions, made
    finally:
        functions.stop()


def send(cloud: LocalCloud, queue: str, *bodies: str) -> None:
    target = account(cloud).get_queue(queue)
    target.set_encoding(False)
    target.batch_send_message([Message(body) for body in bodies])


def test_every_queue_poller_has_an_mns_client_and_connection_of_its_own(
    runtime: tuple[LocalFunctionRuntime, list[Any]],
) -> None:
    functions, made = runtime
    clients = [poller.account for poller in functions.pollers]
    assert [poller.queue for poller in functions.pollers] == ["q-a", "q-b", "q-c"]
    assert len({id(client) for client in clients}) == 3
    assert {id(client) for client in clients} == {id(client) for client in made}
    assert len({id(client.mns_client.http.conn) for client in made}) == 3


def test_two_triggers_of_one_function_deliver_cloudevents_batches_in_the_fc_shape(
    cloud: LocalCloud, runtime: tuple[LocalFunctionRuntime, list[Any]], tmp_path: Path
) -> None:
    send(cloud, "q-a", "one", "two")
    send(cloud, "q-b", "three")

    def three_messages() -> list[Any]:
        found = deliveries(tmp_path / "echo.jsonl")
        return found if sum(map(len, found)) >= 3 else []

    batches = wait_for(three_messages)
    bodies = sorted(event["data"]["messageBody"] for batch in batches for event in batch)
    assert bodies == ["one", "three", "two"]
    fixture = shape(load("eventbridge-mns-cloudevents.json"))
    assert all(shape(batch) == fixture for batch in batches)
    subjects = {event["subject"].rsplit("/", 1)[-1] for batch in batches for event in batch}
    assert subjects == {"q-a", "q-b"}


def test_a_batch_that_fails_every_attempt_is_dead_lettered_as_delivered(
    cloud: LocalCloud, runtime: tuple[LocalFunctionRuntime, list[Any]], tmp_path: Path
) -> None:
    send(cloud, "q-c", "bad")
    dead = account(cloud).get_queue("q-dead")
    dead.set_encoding(False)

    def dead_letters() -> list[str]:
        try:
            return [m.message_body for m in dead.batch_peek_message(16)]
        except MNSServerException:
            return []

    (body,) = wait_for(dead_letters)
    record = json.loads(body)
    assert shape(record) == shape(load("eventbridge-dead-letter.json"))
    assert [record] == deliveries(tmp_path / "failing.jsonl")[0]


SLOW_HANDLER = """
import json, os, time


def handler(event, context):
    time.sleep(0.4)
    with open(os.environ["EVENTS_FILE"], "a", encoding="utf-8") as out:
        out.write(json.dumps({"instance": os.environ["FC_INSTANCE_ID"], "pid": os.getpid()}) + "\\n")
    return "ok"
"""


def run_scaled(
    cloud: LocalCloud, tmp_path: Path, tasks: int, reserved: int | None, messages: int, override: int | None = None
) -> tuple[LocalFunctionRuntime, list[Any]]:
    (tmp_path / "code").mkdir(exist_ok=True)
    (tmp_path / "code" / "index.py").write_text(SLOW_HANDLER, encoding="utf-8")
    cloud.apply_seed({"queues": [{"name": "q-scale"}]})
    trigger = mns_trigger("q-scale", count=1)
    trigger["triggerConfig"]["runOptions"]["maximumTasks"] = tasks
    spec = function("scaled", tmp_path / "scaled.jsonl", [trigger])
    if reserved is not None:
        spec.props["concurrencyConfig"] = {"reservedConcurrency": reserved}
    env = {k: v for k, v in cloud.client_env().items() if k.startswith(("MNS_", "ALIBABA_CLOUD_"))}
    tasks_over = {"scaled": override} if override else None
    functions = LocalFunctionRuntime([spec], tmp_path, env, log=lambda line: None, timers=False, tasks=tasks_over)
    functions.start(lambda: account(cloud))
    try:
        send(cloud, "q-scale", *(f"m{i}" for i in range(messages)))

        def all_delivered() -> list[Any]:
            found = deliveries(tmp_path / "scaled.jsonl")
            return found if len(found) >= messages else []

        done = wait_for(all_delivered)
    finally:
        functions.stop()
    return functions, done


def test_maximum_tasks_pollers_invoke_at_once_each_on_an_instance_of_its_own(cloud: LocalCloud, tmp_path: Path) -> None:
    functions, done = run_scaled(cloud, tmp_path, tasks=3, reserved=None, messages=9)
    assert len(functions.pollers) == 3
    assert functions.instances["scaled"].peak == 3
    assert len({record["instance"] for record in done}) == len({record["pid"] for record in done}) == 3


def test_reserved_concurrency_caps_the_instances_and_the_rest_wait(cloud: LocalCloud, tmp_path: Path) -> None:
    functions, done = run_scaled(cloud, tmp_path, tasks=3, reserved=2, messages=6)
    assert functions.instances["scaled"].peak == 2
    assert len({record["pid"] for record in done}) == 2
    assert len(done) == 6


def test_a_run_can_scale_a_function_over_what_s_yaml_says(cloud: LocalCloud, tmp_path: Path) -> None:
    functions, done = run_scaled(cloud, tmp_path, tasks=3, reserved=None, messages=4, override=1)
    assert len(functions.pollers) == 1
    assert functions.instances["scaled"].peak == 1
    assert len(done) == 4

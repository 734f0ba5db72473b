"""s.yaml resolved as Serverless Devs would, then checked for what the product depends on."""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path

import pytest

from localcloud.fc.spec import FunctionSpec, SpecError, load

ROOT = Path(__file__).resolve().parents[2]
SUPPORTED_PYTHON = {"python3.10", "python3.12"}
QUEUES_AND_TOPIC = ("INPUT_QUEUE", "DEAD_LETTER_QUEUE", "PARKING_QUEUE", "HOLD_QUEUE", "RESULT_TOPIC")
ENV = {"WEBHOOK_SECRET": "from-the-deployer", "REGION": "cn-shanghai"}


@pytest.fixture(scope="module")
def functions() -> list[FunctionSpec]:
    return load(ROOT / "s.yaml", environ=ENV)


def test_four_functions_are_declared(functions: list[FunctionSpec]) -> None:
    assert {f.resource for f in functions} == {"webhook", "worker", "replay", "reconcile"}


def test_reconcile_runs_on_a_timer(functions: list[FunctionSpec]) -> None:
    reconcile = next(f for f in functions if f.resource == "reconcile")
    (trigger,) = reconcile.triggers
    assert trigger["triggerType"] == "timer"
    assert reconcile.environment["RECONCILE_MODE"] in ("report", "repair")


def test_handlers_point_at_real_functions(functions: list[FunctionSpec]) -> None:
    for function in functions:
        module_name, attribute = function.handler.rsplit(".", 1)
        assert function.code == f"./build/{function.resource}"
        module = importlib.import_module(f"functions.{function.resource}.{module_name}")
        assert callable(getattr(module, attribute)), function.resource


def test_runtime_is_a_python_fc_supports(functions: list[FunctionSpec]) -> None:
    assert {f.runtime for f in functions} <= SUPPORTED_PYTHON


def test_every_environment_value_is_a_string(functions: list[FunctionSpec]) -> None:
    for function in functions:
        for name, value in function.environment.items():
            assert isinstance(value, str), f"{function.resource}: {name} is {type(value).__name__}"
            assert re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name)
            assert not name.startswith("FC_"), "the FC_ prefix is reserved"


def test_variables_resolve_from_the_environment(functions: list[FunctionSpec]) -> None:
    worker = next(f for f in functions if f.resource == "worker")
    assert worker.props["region"] == "cn-shanghai"
    assert worker.environment["WEBHOOK_SECRET"] == "from-the-deployer"
    assert "${" not in json.dumps([f.props for f in functions])


def test_every_queue_and_topic_the_code_uses_is_declared(functions: list[FunctionSpec]) -> None:
    for function in functions:
        env = function.environment
        for name in (*QUEUES_AND_TOPIC, "TABLESTORE_INSTANCE", "REGISTER_TABLE"):
            assert env.get(name), f"{function.resource} lacks {name}"


def test_worker_trigger_reads_the_input_queue_and_dead_letters_to_ours(functions: list[FunctionSpec]) -> None:
    worker = next(f for f in functions if f.resource == "worker")
    (trigger,) = worker.triggers
    config = trigger["triggerConfig"]
    source = config["eventSourceConfig"]["eventSourceParameters"]["sourceMNSParameters"]
    assert source["QueueName"] == worker.environment["INPUT_QUEUE"]
    assert config["runOptions"]["mode"] == "event-streaming"
    dlq = worker.environment["DEAD_LETTER_QUEUE"]
    assert config["runOptions"]["deadLetterQueue"]["Arn"].endswith(f":/queues/{dlq}")
    failure = worker.props["asyncInvokeConfig"]["destinationConfig"]["onFailure"]["destination"]
    assert failure.endswith(f":/queues/{dlq}/messages")


def test_ram_policy_grants_only_what_the_functions_use(functions: list[FunctionSpec]) -> None:
    policy = json.loads((ROOT / "deploy" / "ram-policy.json").read_text())
    actions = {a for statement in policy["Statement"] for a in statement["Action"]}
    assert actions == {
        "mns:SendMessage",
        "mns:ReceiveMessage",
        "mns:DeleteMessage",
        "mns:PeekMessage",
        "mns:PublishMessage",
        "dms:RegisterUser",
        "dms:GetUser",
        "dms:UpdateUser",
        "dms:EnableUser",
        "dms:DisableUser",
        "dms:DeleteUser",
        "dms:AddUserToDataAgentWorkspace",
        "dms:UpdateDataAgentWorkspaceMemberRole",
        "dms:RemoveUserToDataAgentWorkspace",
        "dms:ListDataAgentWorkspaceMember",
        "ots:GetRow",
        "ots:PutRow",
        "ots:UpdateRow",
        "ots:GetRange",
        "ram:GetUser",
    }
    resources = json.dumps(policy)
    env = functions[0].environment
    for name in ("INPUT_QUEUE", "DEAD_LETTER_QUEUE", "PARKING_QUEUE", "HOLD_QUEUE"):
        assert f"/queues/{env[name]}" in resources
    assert f"/topics/{env['RESULT_TOPIC']}" in resources


def test_tablestore_actions_reach_only_the_register_table(functions: list[FunctionSpec]) -> None:
    policy = json.loads((ROOT / "deploy" / "ram-policy.json").read_text())
    env = functions[0].environment
    table = f"acs:ots:*:*:instance/{env['TABLESTORE_INSTANCE']}/table/{env['REGISTER_TABLE']}"
    for statement in policy["Statement"]:
        if any(action.startswith("ots:") for action in statement["Action"]):
            assert statement["Resource"] == [table]
            assert all(action.startswith("ots:") for action in statement["Action"])


def test_missing_secret_is_reported_by_name() -> None:
    with pytest.raises(SpecError, match="WEBHOOK_SECRET"):
        load(ROOT / "s.yaml", environ={})


def test_local_seed_creates_every_queue_and_topic_the_functions_use(functions: list[FunctionSpec]) -> None:
    seed = json.loads((ROOT / "deploy" / "local-seed.json").read_text())
    queues = {q["name"] for q in seed["queues"]}
    topics = {t["name"] for t in seed["topics"]}
    env = functions[0].environment
    assert {env["INPUT_QUEUE"], env["DEAD_LETTER_QUEUE"], env["PARKING_QUEUE"], env["HOLD_QUEUE"]} <= queues
    assert env["RESULT_TOPIC"] in topics
    tables = {t["name"] for t in seed["tablestore_tables"]}
    assert env["REGISTER_TABLE"] in tables

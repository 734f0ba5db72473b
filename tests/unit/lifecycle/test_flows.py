"""The flow table drives both the real run and the dry run: the same steps, in order, stopping at a failure.

DMS is a scripted transport here (pure logic, no server); tests/integration drive the same code against the
DMS emulator through the official SDKs.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from shared.config import DmsClientConfig
from shared.contract.event import parse_event
from shared.contract.vocabulary import EVENT_TYPES
from shared.dms.client import DmsClient
from shared.dms.operations import Operation
from shared.infra.credentials import RoleCredentials
from shared.infra.jsonlog import JsonLogger
from shared.infra.retry import Deadline
from shared.lifecycle.flows import FLOWS, JOINER
from shared.lifecycle.mapping import load_mapping, resolve_plan
from shared.lifecycle.provisioner import Provisioner

EVENTS = Path(__file__).resolve().parents[3] / "events" / "hr"


class ScriptedTransport:
    """Answers each action with the body scripted for it, and records what it was asked."""

    def __init__(self, answers: Mapping[str, Mapping[str, Any]]) -> None:
        self.answers = answers
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def invoke(
        self, operation: Operation, parameters: Mapping[str, Any], read_timeout_ms: int, connect_timeout_ms: int
    ) -> Mapping[str, Any]:
        self.calls.append((operation.action, dict(parameters)))
        return self.answers.get(operation.action, {"Success": True, "RequestId": "R"})

    def forget(self) -> None:
        pass


def provisioner(transport: ScriptedTransport) -> Provisioner:
    dms = DmsClient(DmsClientConfig(qps=1000), lambda: RoleCredentials("k", "s"), transport=transport)
    return Provisioner(dms, load_mapping(), JsonLogger("test", io.StringIO()), default_dms_unit="cn-hangzhou")


def test_every_event_type_has_a_flow() -> None:
    assert set(FLOWS) == set(EVENT_TYPES)


def test_the_joiner_registers_then_joins_the_workspace_with_the_plans_parameters() -> None:
    transport = ScriptedTransport({})
    outcome = provisioner(transport).provision((EVENTS / "hired-explicit-roles.json").read_bytes(), Deadline.after(9))
    assert outcome.status == "provisioned"
    assert [action for action, _ in transport.calls] == ["RegisterUser", "AddUserToDataAgentWorkspace"]
    register, join = (parameters for _, parameters in transport.calls)
    assert register == {
        "Uid": "2000000000001",
        "UserNick": "Wang Fang",
        "RoleNames": "USER,DBA",
        "Mobile": "+8613900001234",
        "Tid": 10001,
    }
    assert join == {
        "WorkspaceId": "209230000007291",
        "MemberId": "2000000000001",
        "RoleName": "ADMIN",
        "DMSUnit": "cn-hangzhou",
    }


def test_a_failed_step_ends_the_flow() -> None:
    denied = {"Success": False, "ErrorCode": "Forbidden.RAM", "ErrorMessage": "no", "RequestId": "R9"}
    transport = ScriptedTransport({"RegisterUser": denied})
    outcome = provisioner(transport).provision((EVENTS / "hired-explicit-roles.json").read_bytes(), Deadline.after(9))
    assert outcome.status == "failed"
    assert [action for action, _ in transport.calls] == ["RegisterUser"]
    (step,) = outcome.steps
    assert (step.step, step.result, step.code, step.request_id, step.retryable) == (
        "register_user",
        "failed",
        "Forbidden.RAM",
        "R9",
        False,
    )


@pytest.mark.parametrize("name", ["hired-explicit-roles.json", "hired-mapping-only.json", "updated.json"])
def test_the_dry_run_plans_exactly_the_steps_the_run_makes(name: str) -> None:
    raw = (EVENTS / name).read_bytes()
    transport = ScriptedTransport({})
    planned = provisioner(ScriptedTransport({})).provision(raw, Deadline.after(9), dry_run=True)
    done = provisioner(transport).provision(raw, Deadline.after(9))
    assert [s.step for s in planned.steps] == [s.step for s in done.steps]
    assert {s.result for s in planned.steps} == {"planned"}
    resolved = resolve_plan(parse_event(raw), load_mapping())
    assert [s.step for s in planned.steps] == [step.name for step in JOINER if step.applies(resolved)]

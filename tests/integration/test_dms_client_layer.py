"""The shared DMS client layer against the DMS emulator: classification, retries, deadlines, rate limit."""

from __future__ import annotations

import importlib
import inspect
import threading
from dataclasses import replace

import pytest

from localcloud import LocalCloud
from localcloud.credentials import Credential
from localcloud.dms.quota import QuotaSettings
from localcloud.faults import FaultRule
from shared.config import DmsClientConfig
from shared.dms.client import DmsClient
from shared.dms.operations import (
    ADD_USER_TO_DATA_AGENT_WORKSPACE,
    DISABLE_USER,
    ENABLE_USER,
    OPERATIONS,
    REGISTER_USER,
    Operation,
)
from shared.dms.transport import OpenApiTransport
from shared.infra.credentials import RoleCredentials
from shared.infra.retry import Deadline, RetryPolicy
from shared.lifecycle.steps import StepResult
from tests.support.dms_reference import NEEDS_A_MEMBER, PACKAGES, SAMPLE_PARAMETERS, method_name

UID = "2000000000001"
WORKSPACE = "209230000007291"


class Sleeps:
    """Records backoff waits instead of sleeping them, so retry tests stay fast."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def make_client(
    cloud: LocalCloud, sleeps: Sleeps | None = None, read_timeout_ms: int = 2000, qps: float = 1000.0, **env: str
) -> DmsClient:
    settings = DmsClientConfig.from_env(
        {
            "DMS_ENDPOINT": cloud.dms_endpoint,
            "DMS_ENTERPRISE_ENDPOINT": cloud.dms_enterprise_endpoint,
            "ALIBABA_CLOUD_REGION_ID": cloud.config.region,
            "DMS_READ_TIMEOUT_MS": str(read_timeout_ms),
            **env,
        }
    )
    settings = replace(settings, qps=qps)
    credentials = RoleCredentials(
        cloud.config.access_key_id, cloud.config.access_key_secret, cloud.config.security_token
    )
    return DmsClient(settings, lambda: credentials, sleep=sleeps or Sleeps())


def register(client: DmsClient, uid: str = UID, seconds: float = 30) -> StepResult:
    parameters = {"Uid": uid, "UserNick": "Ada", "RoleNames": "USER,DBA", "Mobile": "+8613812345678", "Tid": None}
    return StepResult.of("register_user", client.call(REGISTER_USER, parameters, Deadline.after(seconds)))


def add_to_workspace(client: DmsClient, workspace: str, role: str, unit: str | None) -> StepResult:
    parameters = {"WorkspaceId": workspace, "MemberId": UID, "RoleName": role, "DMSUnit": unit}
    return StepResult.of(
        "add_to_workspace", client.call(ADD_USER_TO_DATA_AGENT_WORKSPACE, parameters, Deadline.after(30))
    )


def test_new_user_is_done_in_one_attempt(cloud: LocalCloud) -> None:
    result = register(make_client(cloud))
    assert (result.result, result.attempts) == ("done", 1)
    assert result.request_id
    assert cloud.dms.snapshot()["users"][0]["role_names"] == ["USER", "DBA"]


@pytest.mark.parametrize("style", ["body", "body-status", "gateway"])
def test_existing_user_counts_as_already_in_every_error_style(style: str) -> None:
    from localcloud import LocalCloudConfig

    with LocalCloud(LocalCloudConfig.ephemeral(dms_error_style=style)) as cloud:
        client = make_client(cloud)
        register(client)
        result = register(client)
    assert (result.result, result.attempts) == ("already", 1)


def test_throttling_is_retried_honouring_retry_after(cloud: LocalCloud) -> None:
    cloud.faults.add(
        FaultRule(kind="error", service="dms-enterprise", status=400, code="Throttling.User", retry_after=700, count=2)
    )
    sleeps = Sleeps()
    result = register(make_client(cloud, sleeps))
    assert (result.result, result.attempts) == ("done", 3)
    assert len(sleeps.waits) == 2
    assert all(wait >= 0.7 for wait in sleeps.waits)


def test_persistent_503_fails_as_retryable_after_all_attempts(cloud: LocalCloud) -> None:
    cloud.faults.add(FaultRule(kind="error", service="dms-enterprise", status=503, code="ServiceUnavailable"))
    result = register(make_client(cloud))
    assert (result.result, result.kind, result.attempts, result.code) == (
        "failed",
        "transient",
        RetryPolicy().max_attempts,
        "ServiceUnavailable",
    )
    assert result.to_dict()["retryable"] is True


def test_timeouts_are_retried_then_fail_as_retryable(cloud: LocalCloud) -> None:
    cloud.faults.add(FaultRule(kind="hang", service="dms-enterprise", hang_seconds=2))
    result = register(make_client(cloud, read_timeout_ms=200, DMS_MAX_ATTEMPTS="2"))
    assert (result.result, result.kind, result.attempts, result.code) == (
        "failed",
        "transient",
        2,
        "NetworkError",
    )


def test_dropped_connection_is_retried_to_success(cloud: LocalCloud) -> None:
    cloud.faults.add(FaultRule(kind="drop", service="dms-enterprise", count=1))
    result = register(make_client(cloud))
    assert (result.result, result.attempts) == ("done", 2)


def test_lost_answer_after_registration_ends_as_already(cloud: LocalCloud) -> None:
    cloud.faults.add(FaultRule(kind="drop_after", service="dms-enterprise", count=1))
    result = register(make_client(cloud))
    assert (result.result, result.attempts) == ("already", 2)
    assert len(cloud.dms.snapshot()["users"]) == 1


def test_permission_error_fails_at_once_keeping_code_and_request_id(cloud: LocalCloud) -> None:
    cloud.credentials.put(
        Credential(cloud.config.access_key_id, cloud.config.access_key_secret, cloud.config.security_token, allow=[])
    )
    result = register(make_client(cloud))
    assert (result.result, result.kind, result.attempts, result.code) == (
        "failed",
        "permanent",
        1,
        "Forbidden.RAM",
    )
    assert result.request_id


def test_unknown_workspace_fails_at_once(cloud: LocalCloud) -> None:
    client = make_client(cloud)
    register(client)
    result = add_to_workspace(client, "1", "MEMBER", None)
    assert (result.result, result.kind, result.attempts, result.code) == ("failed", "permanent", 1, "DMS-DA-40411")


def test_member_added_twice_counts_as_already(cloud: LocalCloud) -> None:
    client = make_client(cloud)
    register(client)
    cloud.dms.add_workspace(WORKSPACE)
    first = add_to_workspace(client, WORKSPACE, "MEMBER", cloud.config.region)
    second = add_to_workspace(client, WORKSPACE, "MEMBER", cloud.config.region)
    assert (first.result, second.result) == ("done", "already")
    assert first.data["RoleName"] == "member"


def test_no_retry_is_started_that_cannot_finish_before_the_deadline(cloud: LocalCloud) -> None:
    cloud.faults.add(
        FaultRule(kind="error", service="dms-enterprise", status=400, code="Throttling.User", retry_after=5000)
    )
    sleeps = Sleeps()
    result = register(make_client(cloud, sleeps), seconds=2)
    assert (result.result, result.attempts) == ("failed", 1)
    assert sleeps.waits == []


def test_new_sts_token_rebuilds_the_clients(cloud: LocalCloud) -> None:
    current = {"token": cloud.config.security_token}
    settings = DmsClientConfig.from_env(
        {"DMS_ENDPOINT": cloud.dms_endpoint, "DMS_ENTERPRISE_ENDPOINT": cloud.dms_enterprise_endpoint}
    )
    ak, secret = cloud.config.access_key_id, cloud.config.access_key_secret
    transport = OpenApiTransport(settings, lambda: RoleCredentials(ak, secret, current["token"]))
    client = DmsClient(settings, lambda: RoleCredentials(ak, secret, current["token"]), transport=transport)
    first = transport.cores()
    assert transport.cores() is first
    current["token"] = "RotatedToken"
    cloud.credentials.put(Credential(ak, secret, "RotatedToken"))
    assert transport.cores() is not first
    assert register(client).result == "done"


def test_rate_limit_holds_under_a_burst(cloud: LocalCloud) -> None:
    client = make_client(cloud, qps=10)
    threads = [threading.Thread(target=register, args=(client, f"30000000000{i:02d}")) for i in range(25)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    calls = cloud.calls.query(service="dms-enterprise", action="RegisterUser")
    times = sorted(float(str(c["time"])) for c in calls if str(c["params"]["Uid"]).startswith("30000000000"))  # type: ignore[index]
    assert len(times) == 25
    busiest = max(sum(1 for t in times if start <= t < start + 1.0) for start in times)
    assert busiest <= 10


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda operation: operation.action)
def test_each_operation_row_reaches_its_product_with_its_version_and_action(
    cloud: LocalCloud, operation: Operation
) -> None:
    cloud.dms.add_workspace(WORKSPACE)
    client = make_client(cloud)
    if operation is not REGISTER_USER:
        register(client)
    if operation in NEEDS_A_MEMBER:
        cloud.dms.add_workspace_member(WORKSPACE, UID, "MEMBER")
    if operation is ENABLE_USER:
        client.call(DISABLE_USER, {"Uid": UID}, Deadline.after(30))
    result = client.call(operation, SAMPLE_PARAMETERS[operation], Deadline.after(30))
    assert (result.result, result.attempts) == ("done", 1), result.verdict
    (call,) = cloud.calls.query(service=operation.product, action=operation.action)
    assert call["status"] == 200
    module = importlib.import_module(PACKAGES[operation.product] + ".client")
    assert f"'{operation.version}'" in inspect.getsource(getattr(module.Client, method_name(operation)))
    assert f"action = '{operation.action}'" in inspect.getsource(getattr(module.Client, method_name(operation)))


def test_a_throttled_api_slows_only_its_own_pace_and_waits_out_retry_after(cloud: LocalCloud) -> None:
    cloud.dms_quota.configure(QuotaSettings(actions={"RegisterUser": 2}))
    sleeps = Sleeps()
    client = make_client(cloud, sleeps, qps=10)
    results = [register(client, f"3000000000{i:03d}") for i in range(3)]
    assert [(r.result, r.attempts) for r in results] == [("done", 1), ("done", 1), ("done", 2)]
    codes = [c["code"] for c in cloud.calls.query(action="RegisterUser")]
    assert codes == ["", "", "Throttling.User", ""]
    assert client.limiter(REGISTER_USER).qps < 10
    assert client.limiter(DISABLE_USER).qps == 10
    assert len(sleeps.waits) == 1
    assert 0 < sleeps.waits[0] <= 1.0

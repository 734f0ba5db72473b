"""Both official DMS SDK packages against the DMS emulator over loopback HTTP, with real signatures."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from alibabacloud_tea_openapi.exceptions import ClientException, ServerException, ThrottlingException
from darabonba.exceptions import UnretryableException

from localcloud import LocalCloud, LocalCloudConfig
from localcloud.control.client import ControlClient, ControlPlaneError
from localcloud.credentials import Credential
from localcloud.dms.errors import DmsError
from localcloud.faults import FaultRule
from tests.support.dms_clients import call_action, dms_client, dms_models, enterprise_client, enterprise_models

UID = "2000000000001"
WORKSPACE = "209230000007291"
READ_TIMEOUT_MS = 300


def register(cloud: LocalCloud, uid: str | None = UID, **fields: Any) -> Any:
    return enterprise_client(cloud).register_user(enterprise_models.RegisterUserRequest(uid=uid, **fields))


def add_member(cloud: LocalCloud, member_id: str = UID, role: str = "MEMBER", **fields: Any) -> Any:
    fields.setdefault("workspace_id", WORKSPACE)
    request = dms_models.AddUserToDataAgentWorkspaceRequest(member_id=member_id, role_name=role, **fields)
    return dms_client(cloud).add_user_to_data_agent_workspace(request)


def users(cloud: LocalCloud) -> list[dict[str, Any]]:
    return list(cloud.dms.snapshot()["users"])


def wait_for_users(cloud: LocalCloud, count: int, seconds: float = 3.0) -> list[dict[str, Any]]:
    """A request the client gave up on may still be running on the server; wait until it lands."""
    deadline = time.monotonic() + seconds
    while len(found := users(cloud)) < count and time.monotonic() < deadline:
        time.sleep(0.02)
    return found


def test_every_error_row_has_a_source_and_fills_its_placeholders() -> None:
    for row in DmsError:
        error = row.error(name="Uid", reason="r", role="ROOT", uid="u", workspace="1")
        assert "{" not in error.code + error.message, row.name
        assert row.value.source, row.name
        assert 400 <= error.status < 600, row.name
    assert len({row.code for row in DmsError}) == len(DmsError)


# Registration


def test_registered_user_appears_with_roles_and_masked_mobile(cloud: LocalCloud) -> None:
    answer = register(cloud, user_nick="Ada", role_names="USER,DBA", mobile="+8613812345678")
    assert answer.status_code == 200
    assert answer.body.success is True
    assert answer.body.error_code is None
    assert len(answer.body.request_id) == 36
    assert answer.body.request_id == answer.body.request_id.upper()
    (user,) = users(cloud)
    assert (user["tid"], user["uid"], user["nick"]) == (cloud.config.dms_tid, UID, "Ada")
    assert user["role_names"] == ["USER", "DBA"]
    assert user["mobile"] == "+861********78"


def test_nick_with_reserved_characters_survives_the_signature(cloud: LocalCloud) -> None:
    nick = "Ada Lovelace+ü~*,/%20&=?"
    register(cloud, user_nick=nick)
    assert users(cloud)[0]["nick"] == nick


def test_user_without_roles_gets_user_role(cloud: LocalCloud) -> None:
    register(cloud)
    assert users(cloud)[0]["role_names"] == ["USER"]


def test_repeated_role_is_kept_once(cloud: LocalCloud) -> None:
    register(cloud, role_names="DBA, USER,DBA")
    assert users(cloud)[0]["role_names"] == ["DBA", "USER"]


@pytest.mark.parametrize(("role_names", "bad"), [("USER,ROOT", "ROOT"), ("dba", "dba")])
def test_unknown_role_is_refused_naming_it(cloud: LocalCloud, role_names: str, bad: str) -> None:
    body = register(cloud, role_names=role_names).body
    assert (body.success, body.error_code) == (False, "InvalidRoleName")
    assert bad in body.error_message
    assert users(cloud) == []


def test_uid_that_is_not_digits_is_refused(cloud: LocalCloud) -> None:
    body = register(cloud, uid="ada@example.com").body
    assert (body.success, body.error_code) == (False, "InvalidUid")


def test_missing_uid_is_refused_by_the_gateway(cloud: LocalCloud) -> None:
    with pytest.raises(ClientException) as caught:
        register(cloud, uid=None, user_nick="nobody")
    assert (caught.value.code, caught.value.status_code) == ("MissingUid", 400)
    assert caught.value.data["Message"] == "Uid is mandatory for this action."


def test_unknown_tenant_is_refused(cloud: LocalCloud) -> None:
    body = register(cloud, tid=424242).body
    assert (body.success, body.error_code) == (False, "TenantNotExist")
    assert users(cloud) == []


def test_tid_that_is_not_an_integer_is_refused_naming_it(cloud: LocalCloud) -> None:
    with pytest.raises(ClientException) as caught:
        register(cloud, tid="ten")
    assert (caught.value.code, caught.value.status_code) == ("InvalidParameter", 400)
    assert "Tid" in caught.value.data["Message"]


def test_same_uid_may_be_registered_in_two_tenants(cloud: LocalCloud) -> None:
    cloud.dms.add_tenant(424242, "second")
    register(cloud)
    register(cloud, tid=424242)
    assert sorted(u["tid"] for u in users(cloud)) == sorted([cloud.config.dms_tid, 424242])


# Credentials, signature and RAM


def test_plain_access_key_without_token_is_accepted(cloud: LocalCloud) -> None:
    cloud.credentials.put(Credential("LTAIplainkey", "plain-secret"))
    plain = {"access_key_id": "LTAIplainkey", "access_key_secret": "plain-secret", "security_token": None}
    enterprise_client(cloud, **plain).register_user(enterprise_models.RegisterUserRequest(uid=UID))
    assert len(users(cloud)) == 1


def test_plain_access_key_sent_with_a_token_is_refused(cloud: LocalCloud) -> None:
    cloud.credentials.put(Credential("LTAIplainkey", "plain-secret"))
    stale = {"access_key_id": "LTAIplainkey", "access_key_secret": "plain-secret", "security_token": "left-over"}
    with pytest.raises(ClientException) as caught:
        enterprise_client(cloud, **stale).register_user(enterprise_models.RegisterUserRequest(uid=UID))
    assert caught.value.code == "InvalidSecurityToken.MismatchWithAccessKey"


@pytest.mark.parametrize(
    ("overrides", "code", "status"),
    [
        ({"access_key_secret": "wrong-secret"}, "SignatureDoesNotMatch", 400),
        ({"access_key_id": "STS.Unknown"}, "InvalidAccessKeyId.NotFound", 404),
        ({"security_token": "another-token"}, "InvalidSecurityToken.MismatchWithAccessKey", 400),
        ({"security_token": None}, "MissingSecurityToken", 400),
    ],
    ids=["wrong-secret", "unknown-access-key", "token-mismatch", "token-missing"],
)
def test_bad_credentials_are_refused_by_the_gateway(
    cloud: LocalCloud, overrides: dict[str, Any], code: str, status: int
) -> None:
    with pytest.raises(ClientException) as caught:
        enterprise_client(cloud, **overrides).register_user(enterprise_models.RegisterUserRequest(uid=UID))
    assert (caught.value.code, caught.value.status_code) == (code, status)
    assert caught.value.request_id
    assert users(cloud) == []


def test_expired_security_token_is_refused(cloud: LocalCloud) -> None:
    credential = cloud.credentials.get(cloud.config.access_key_id)
    assert credential is not None
    credential.expired = True
    with pytest.raises(ClientException) as caught:
        register(cloud)
    assert (caught.value.code, caught.value.status_code) == ("InvalidSecurityToken.Expired", 400)


def test_gateway_error_body_names_host_and_troubleshooting_link(cloud: LocalCloud) -> None:
    with pytest.raises(ClientException) as caught:
        enterprise_client(cloud, access_key_secret="wrong-secret").register_user(
            enterprise_models.RegisterUserRequest(uid=UID)
        )
    data = caught.value.data
    assert data["HostId"] == cloud.dms_enterprise_endpoint.removeprefix("http://")
    assert data["Recommend"] == (
        f"https://api.aliyun.com/troubleshoot?q=SignatureDoesNotMatch&product=dms-enterprise"
        f"&requestId={data['RequestId']}"
    )


def test_ram_policy_without_the_action_is_forbidden(cloud: LocalCloud) -> None:
    cloud.credentials.put(Credential("STS.narrow", "narrow-secret", "narrow-token", allow=["dms:RegisterUser"]))
    narrow = {"access_key_id": "STS.narrow", "access_key_secret": "narrow-secret", "security_token": "narrow-token"}
    enterprise_client(cloud, **narrow).register_user(enterprise_models.RegisterUserRequest(uid=UID))
    cloud.dms.add_workspace(WORKSPACE)
    request = dms_models.AddUserToDataAgentWorkspaceRequest(workspace_id=WORKSPACE, member_id=UID, role_name="MEMBER")
    with pytest.raises(ClientException) as caught:
        dms_client(cloud, **narrow).add_user_to_data_agent_workspace(request)
    assert (caught.value.code, caught.value.status_code) == ("Forbidden.RAM", 403)
    detail = caught.value.access_denied_detail
    assert (detail["AuthAction"], detail["NoPermissionType"]) == ("dms:AddUserToDataAgentWorkspace", "ImplicitDeny")
    assert cloud.dms.snapshot()["workspaces"][0]["members"] == []


# Error styles


@pytest.fixture(scope="module", params=["body", "body-status", "gateway"])
def _styled(request: pytest.FixtureRequest) -> Iterator[LocalCloud]:
    with LocalCloud(LocalCloudConfig.ephemeral(dms_error_style=request.param)) as cloud:
        yield cloud


@pytest.fixture
def styled_cloud(_styled: LocalCloud) -> LocalCloud:
    _styled.reset()
    return _styled


def test_second_registration_reports_user_exists_in_each_error_style(styled_cloud: LocalCloud) -> None:
    register(styled_cloud)
    style = styled_cloud.config.dms_error_style
    if style == "gateway":
        with pytest.raises(ClientException) as caught:
            register(styled_cloud)
        assert (caught.value.code, caught.value.status_code) == ("UserExisted", 403)
        assert caught.value.data["Message"] == "The specified user already exists."
        return
    answer = register(styled_cloud)
    assert answer.status_code == 200
    assert answer.body.success is False
    assert answer.body.error_code == ("UserExisted" if style == "body" else "403")
    assert answer.body.error_message == "The specified user already exists."


def test_injected_business_error_follows_the_error_style(styled_cloud: LocalCloud) -> None:
    styled_cloud.faults.add(FaultRule(kind="error", service="dms-enterprise", status=403, code="NoPermission"))
    style = styled_cloud.config.dms_error_style
    if style == "gateway":
        with pytest.raises(ClientException) as caught:
            register(styled_cloud)
        assert (caught.value.code, caught.value.status_code) == ("NoPermission", 403)
        return
    body = register(styled_cloud).body
    assert (body.success, body.error_code) == (False, "NoPermission" if style == "body" else "403")


# Workspaces


def test_member_joins_workspace_with_role_and_join_time(cloud: LocalCloud) -> None:
    register(cloud, user_nick="Ada")
    cloud.dms.add_workspace(WORKSPACE, name="analytics")
    cloud.clock.advance(3600)
    expected_join = int(time.time()) + 3600
    answer = add_member(cloud, role="admin", dmsunit="cn-hangzhou")
    assert answer.body.success is True
    data = answer.body.data
    assert (data.member_id, data.user_name, data.role_name) == (UID, "Ada", "admin")
    assert expected_join <= data.join_time <= expected_join + 2
    assert (data.running_task_number, data.total_task_number) == (0, 0)
    (workspace,) = cloud.dms.snapshot()["workspaces"]
    assert [m["MemberId"] for m in workspace["members"]] == [UID]


def test_workspace_role_is_matched_case_insensitively_and_echoed_lower_case(cloud: LocalCloud) -> None:
    register(cloud)
    cloud.dms.add_workspace(WORKSPACE)
    assert add_member(cloud, role="MEMBER").body.data.role_name == "member"


def test_unknown_workspace_is_reported_in_the_body(cloud: LocalCloud) -> None:
    register(cloud)
    body = add_member(cloud, workspace_id="1").body
    assert (body.success, body.error_code) == (False, "DMS-DA-40411")
    assert body.data is None


@pytest.mark.parametrize("second_role", ["MEMBER", "ADMIN"])
def test_adding_a_member_twice_reports_member_exists(cloud: LocalCloud, second_role: str) -> None:
    register(cloud)
    cloud.dms.add_workspace(WORKSPACE)
    add_member(cloud, role="MEMBER")
    body = add_member(cloud, role=second_role).body
    assert (body.success, body.error_code) == (False, "DMS-DA-40901")
    assert "already a member" in body.error_message
    assert cloud.dms.snapshot()["workspaces"][0]["members"][0]["RoleName"] == "member"


def test_workspace_member_must_be_a_registered_user(cloud: LocalCloud) -> None:
    cloud.dms.add_workspace(WORKSPACE)
    body = add_member(cloud).body
    assert (body.success, body.error_code) == (False, "UserNotExist")


def test_user_of_another_tenant_cannot_join_the_workspace(cloud: LocalCloud) -> None:
    cloud.dms.add_tenant(424242)
    register(cloud, tid=424242)
    cloud.dms.add_workspace(WORKSPACE)
    assert add_member(cloud).body.error_code == "UserNotExist"


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"role": "OWNER"}, "OWNER"),
        ({"member_id": "ada"}, "MemberId"),
        ({"dmsunit": "ap-southeast-1"}, "ap-southeast-1"),
        ({"role": ""}, "RoleName"),
    ],
    ids=["role", "member-id", "dms-unit", "no-role"],
)
def test_invalid_workspace_parameter_is_reported_naming_it(
    cloud: LocalCloud, fields: dict[str, str], named: str
) -> None:
    register(cloud)
    cloud.dms.add_workspace(WORKSPACE)
    body = add_member(cloud, **fields).body
    assert (body.success, body.error_code) == (False, "DMS-DA-40114")
    assert named in body.error_message


# Routing


def test_unknown_action_gets_api_not_found(cloud: LocalCloud) -> None:
    with pytest.raises(ClientException) as caught:
        call_action(cloud, "dms", "DeleteEveryWorkspace", "2025-04-14", {"WorkspaceId": WORKSPACE})
    assert (caught.value.code, caught.value.status_code) == ("InvalidApi.NotFound", 404)


def test_action_of_the_other_product_is_not_found(cloud: LocalCloud) -> None:
    with pytest.raises(ClientException) as caught:
        call_action(cloud, "dms", "RegisterUser", "2025-04-14", {"Uid": UID})
    assert caught.value.code == "InvalidApi.NotFound"
    assert users(cloud) == []


def test_version_the_product_does_not_offer_is_refused(cloud: LocalCloud) -> None:
    with pytest.raises(ClientException) as caught:
        call_action(cloud, "dms", "RegisterUser", "2018-11-01", {"Uid": UID})
    assert (caught.value.code, caught.value.status_code) == ("InvalidVersion", 400)


# Faults


def test_throttling_with_retry_after_raises_throttling_exception(cloud: LocalCloud) -> None:
    cloud.faults.add(
        FaultRule(kind="error", service="dms-enterprise", status=400, code="Throttling.User", retry_after=250)
    )
    with pytest.raises(ThrottlingException) as caught:
        register(cloud)
    assert (caught.value.code, caught.value.retry_after) == ("Throttling.User", 250)
    assert users(cloud) == []


def test_throttling_without_retry_after_is_a_client_exception(cloud: LocalCloud) -> None:
    cloud.faults.add(FaultRule(kind="error", service="dms-enterprise", status=400, code="Throttling.User"))
    with pytest.raises(ClientException) as caught:
        register(cloud)
    assert (caught.value.code, caught.value.status_code) == ("Throttling.User", 400)
    assert not isinstance(caught.value, ThrottlingException)


def test_service_unavailable_is_a_server_exception(cloud: LocalCloud) -> None:
    cloud.faults.add(FaultRule(kind="error", service="dms", status=503, code="ServiceUnavailable"))
    register(cloud)
    cloud.dms.add_workspace(WORKSPACE)
    with pytest.raises(ServerException) as caught:
        add_member(cloud)
    assert (caught.value.code, caught.value.status_code) == ("ServiceUnavailable", 503)
    assert cloud.dms.snapshot()["workspaces"][0]["members"] == []


def test_latency_past_the_read_timeout_times_out_yet_registers(cloud: LocalCloud) -> None:
    cloud.faults.add(FaultRule(kind="latency", service="dms-enterprise", latency_ms=READ_TIMEOUT_MS + 400))
    client = enterprise_client(cloud, read_timeout_ms=READ_TIMEOUT_MS)
    with pytest.raises(UnretryableException) as caught:
        client.register_user(enterprise_models.RegisterUserRequest(uid=UID))
    assert "timed out" in str(caught.value)
    assert [u["uid"] for u in wait_for_users(cloud, 1)] == [UID]


def test_latency_within_the_read_timeout_only_slows_the_call(cloud: LocalCloud) -> None:
    cloud.faults.add(FaultRule(kind="latency", service="dms-enterprise", latency_ms=150))
    started = time.monotonic()
    assert register(cloud).body.success is True
    assert time.monotonic() - started >= 0.15


def test_hang_times_out_and_registers_nothing(cloud: LocalCloud) -> None:
    cloud.faults.add(FaultRule(kind="hang", service="dms-enterprise", hang_seconds=1))
    client = enterprise_client(cloud, read_timeout_ms=READ_TIMEOUT_MS)
    with pytest.raises(UnretryableException) as caught:
        client.register_user(enterprise_models.RegisterUserRequest(uid=UID))
    assert "timed out" in str(caught.value)
    assert users(cloud) == []


def test_drop_is_a_connection_error_and_registers_nothing(cloud: LocalCloud) -> None:
    cloud.faults.add(FaultRule(kind="drop", service="dms-enterprise"))
    with pytest.raises(UnretryableException) as caught:
        register(cloud)
    assert "Connection aborted" in str(caught.value)
    assert users(cloud) == []


def test_drop_after_registers_but_the_caller_never_hears(cloud: LocalCloud) -> None:
    cloud.faults.add(FaultRule(kind="drop_after", service="dms-enterprise", action="RegisterUser", count=1))
    with pytest.raises(UnretryableException) as caught:
        register(cloud)
    assert "Connection aborted" in str(caught.value)
    assert [u["uid"] for u in users(cloud)] == [UID]
    assert register(cloud).body.error_code == "UserExisted"


def test_fault_with_count_one_fires_once(cloud: LocalCloud) -> None:
    cloud.faults.add(FaultRule(kind="error", service="dms-enterprise", status=503, code="ServiceUnavailable", count=1))
    with pytest.raises(ServerException):
        register(cloud)
    assert register(cloud).body.success is True


def test_call_log_records_actions_with_masked_mobile(cloud: LocalCloud) -> None:
    answer = register(cloud, mobile="13812345678")
    (call,) = cloud.calls.query(service="dms-enterprise")
    assert (call["action"], call["status"]) == ("RegisterUser", 200)
    params = call["params"]
    assert isinstance(params, dict)
    assert params["Mobile"] == "138******78"
    assert call["access_key_id"] == cloud.config.access_key_id
    assert call["request_id"] == answer.body.request_id


# The account's flow control


def test_calls_beyond_the_quota_are_throttled_with_the_wait_until_the_window_has_room(cloud: LocalCloud) -> None:
    control = ControlClient(cloud.control_url)
    control.set_dms_quota(2)
    register(cloud, "2000000000001")
    register(cloud, "2000000000002")
    with pytest.raises(ThrottlingException) as caught:
        register(cloud, "2000000000003")
    assert caught.value.code == "Throttling.User"
    assert 0 < caught.value.retry_after <= 1000
    assert len(users(cloud)) == 2
    quota = control.dms_quota()
    assert (quota["admitted"], quota["throttled"]) == ({"RegisterUser": 2}, {"RegisterUser": 1})


def test_the_quota_counts_each_api_apart_across_both_products(cloud: LocalCloud) -> None:
    cloud.dms.add_workspace(WORKSPACE)
    ControlClient(cloud.control_url).set_dms_quota(1)
    register(cloud)
    add_member(cloud)
    with pytest.raises(ThrottlingException):
        add_member(cloud, "2000000000002")


def test_a_per_action_limit_replaces_the_quota_and_retry_after_can_be_left_out(cloud: LocalCloud) -> None:
    ControlClient(cloud.control_url).set_dms_quota(None, actions={"RegisterUser": 1}, retry_after=False)
    register(cloud)
    with pytest.raises(ClientException) as caught:
        register(cloud, "2000000000002")
    assert (caught.value.code, caught.value.status_code) == ("Throttling.User", 400)
    assert not isinstance(caught.value, ThrottlingException)


def test_the_window_slides_so_a_throttled_client_that_waits_gets_through(cloud: LocalCloud) -> None:
    ControlClient(cloud.control_url).set_dms_quota(1)
    register(cloud)
    with pytest.raises(ThrottlingException) as caught:
        register(cloud, "2000000000002")
    time.sleep(caught.value.retry_after / 1000)
    register(cloud, "2000000000002")
    assert len(users(cloud)) == 2


def test_a_nonsense_quota_is_refused_by_the_control_plane(cloud: LocalCloud) -> None:
    with pytest.raises(ControlPlaneError) as caught:
        ControlClient(cloud.control_url).set_dms_quota(-1)
    assert caught.value.status == 400


def test_the_quota_can_be_set_when_the_local_cloud_starts() -> None:
    with LocalCloud(LocalCloudConfig.ephemeral(dms_quota=1.0)) as started:
        register(started)
        with pytest.raises(ThrottlingException):
            register(started, "2000000000002")
        started.reset()
        assert started.dms_quota.snapshot()["qps"] == 1.0

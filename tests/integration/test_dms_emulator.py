"""Both official DMS SDK packages against the DMS emulator over loopback HTTP."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from alibabacloud_tea_openapi import models as open_api_models
from alibabacloud_tea_openapi.exceptions import ClientException, ServerException, ThrottlingException
from darabonba.exceptions import UnretryableException
from darabonba.runtime import RuntimeOptions

from localcloud import LocalCloud, LocalCloudConfig
from localcloud.credentials import Credential
from localcloud.faults import FaultRule
from tests.integration.dms_clients import dms_client, dms_models, enterprise_client, enterprise_models

UID = "2000000000001"
WORKSPACE = "209230000007291"


def register(cloud: LocalCloud, uid: str = UID, **fields: object) -> object:
    request = enterprise_models.RegisterUserRequest(uid=uid, **fields)
    return enterprise_client(cloud).register_user(request)


def add_member(cloud: LocalCloud, member_id: str = UID, role: str = "MEMBER", workspace: str = WORKSPACE) -> object:
    request = dms_models.AddUserToDataAgentWorkspaceRequest(workspace_id=workspace, member_id=member_id, role_name=role)
    return dms_client(cloud).add_user_to_data_agent_workspace(request)


def users(cloud: LocalCloud) -> list[dict[str, object]]:
    return list(cloud.dms.snapshot()["users"])


def test_registered_user_appears_with_roles_and_masked_mobile(cloud: LocalCloud) -> None:
    answer = register(cloud, user_nick="Ada", role_names="USER,DBA", mobile="+8613812345678")
    assert answer.body.success is True  # type: ignore[attr-defined]
    assert answer.body.request_id  # type: ignore[attr-defined]
    (user,) = users(cloud)
    assert user["uid"] == UID
    assert user["role_names"] == ["USER", "DBA"]
    assert user["tid"] == cloud.config.dms_tid
    assert user["mobile"] == "+861********78"


def test_nick_with_reserved_characters_survives_the_signature(cloud: LocalCloud) -> None:
    nick = "Ada Lovelace+ü~*,/"
    register(cloud, user_nick=nick)
    assert users(cloud)[0]["nick"] == nick


def test_user_without_roles_gets_user_role(cloud: LocalCloud) -> None:
    register(cloud)
    assert users(cloud)[0]["role_names"] == ["USER"]


def test_plain_access_key_without_token_is_accepted(cloud: LocalCloud) -> None:
    cloud.credentials.put(Credential("LTAIplainkey", "plain-secret"))
    client = enterprise_client(
        cloud, access_key_id="LTAIplainkey", access_key_secret="plain-secret", security_token=None
    )
    client.register_user(enterprise_models.RegisterUserRequest(uid=UID))
    assert len(users(cloud)) == 1


@pytest.mark.parametrize(
    ("overrides", "code", "status"),
    [
        ({"access_key_secret": "wrong-secret"}, "SignatureDoesNotMatch", 400),
        ({"access_key_id": "STS.Unknown"}, "InvalidAccessKeyId.NotFound", 404),
        ({"security_token": "another-token"}, "InvalidSecurityToken.MismatchWithAccessKey", 400),
        ({"security_token": None}, "MissingSecurityToken", 400),
    ],
)
def test_bad_credentials_are_refused_by_the_gateway(
    cloud: LocalCloud, overrides: dict[str, object], code: str, status: int
) -> None:
    with pytest.raises(ClientException) as caught:
        enterprise_client(cloud, **overrides).register_user(enterprise_models.RegisterUserRequest(uid=UID))
    assert caught.value.code == code
    assert caught.value.status_code == status
    assert caught.value.request_id
    assert users(cloud) == []


def test_expired_security_token_is_refused(cloud: LocalCloud) -> None:
    credential = cloud.credentials.get(cloud.config.access_key_id)
    assert credential is not None
    credential.expired = True
    with pytest.raises(ClientException) as caught:
        register(cloud)
    assert caught.value.code == "InvalidSecurityToken.Expired"


def test_ram_policy_without_the_action_is_forbidden(cloud: LocalCloud) -> None:
    cloud.credentials.put(Credential("STS.narrow", "narrow-secret", "narrow-token", allow=["dms:RegisterUser"]))
    narrow = {"access_key_id": "STS.narrow", "access_key_secret": "narrow-secret", "security_token": "narrow-token"}
    enterprise_client(cloud, **narrow).register_user(enterprise_models.RegisterUserRequest(uid=UID))
    cloud.dms.add_workspace(WORKSPACE)
    request = dms_models.AddUserToDataAgentWorkspaceRequest(workspace_id=WORKSPACE, member_id=UID, role_name="MEMBER")
    with pytest.raises(ClientException) as caught:
        dms_client(cloud, **narrow).add_user_to_data_agent_workspace(request)
    assert caught.value.code == "Forbidden.RAM"
    assert caught.value.status_code == 403
    assert caught.value.access_denied_detail["AuthAction"] == "dms:AddUserToDataAgentWorkspace"


@pytest.fixture(params=["body", "body-status", "gateway"])
def styled_cloud(request: pytest.FixtureRequest) -> Iterator[LocalCloud]:
    with LocalCloud(LocalCloudConfig.ephemeral(dms_error_style=request.param)) as cloud:
        yield cloud


def test_second_registration_reports_user_exists_in_each_error_style(styled_cloud: LocalCloud) -> None:
    register(styled_cloud)
    style = styled_cloud.config.dms_error_style
    if style == "gateway":
        with pytest.raises(ClientException) as caught:
            register(styled_cloud)
        assert (caught.value.code, caught.value.status_code) == ("UserExisted", 403)
        assert "already exists" in caught.value.data["Message"]
        return
    body = register(styled_cloud).body  # type: ignore[attr-defined]
    assert body.success is False
    assert body.error_code == ("UserExisted" if style == "body" else "403")
    assert body.error_message == "The specified user already exists."


def test_unknown_role_is_refused_naming_it(cloud: LocalCloud) -> None:
    body = register(cloud, role_names="USER,ROOT").body  # type: ignore[attr-defined]
    assert (body.success, body.error_code) == (False, "InvalidRoleName")
    assert "ROOT" in body.error_message
    assert users(cloud) == []


def test_unknown_tenant_is_refused(cloud: LocalCloud) -> None:
    body = register(cloud, tid=424242).body  # type: ignore[attr-defined]
    assert (body.success, body.error_code) == (False, "TenantNotExist")


def test_seeded_tenant_accepts_users(cloud: LocalCloud) -> None:
    cloud.dms.add_tenant(424242, "second")
    register(cloud, tid=424242)
    assert users(cloud)[0]["tid"] == 424242


def test_missing_uid_is_refused_by_the_gateway(cloud: LocalCloud) -> None:
    with pytest.raises(ClientException) as caught:
        enterprise_client(cloud).register_user(enterprise_models.RegisterUserRequest(user_nick="nobody"))
    assert (caught.value.code, caught.value.status_code) == ("MissingUid", 400)


def test_member_joins_workspace_with_role_and_join_time(cloud: LocalCloud) -> None:
    register(cloud, user_nick="Ada")
    cloud.dms.add_workspace(WORKSPACE, name="analytics")
    before = int(time.time())
    data = add_member(cloud, role="admin").body.data  # type: ignore[attr-defined]
    assert (data.member_id, data.user_name, data.role_name) == (UID, "Ada", "admin")
    assert before <= data.join_time <= int(time.time()) + 1
    assert (data.running_task_number, data.total_task_number) == (0, 0)
    (workspace,) = cloud.dms.snapshot()["workspaces"]
    assert workspace["members"][0]["MemberId"] == UID


def test_unknown_workspace_is_reported_in_the_body(cloud: LocalCloud) -> None:
    register(cloud)
    body = add_member(cloud, workspace="1").body  # type: ignore[attr-defined]
    assert (body.success, body.error_code) == (False, "DMS-DA-40411")


def test_adding_a_member_twice_reports_member_exists(cloud: LocalCloud) -> None:
    register(cloud)
    cloud.dms.add_workspace(WORKSPACE)
    add_member(cloud)
    body = add_member(cloud).body  # type: ignore[attr-defined]
    assert (body.success, body.error_code) == (False, "DMS-DA-40901")


def test_workspace_member_must_be_a_registered_user(cloud: LocalCloud) -> None:
    cloud.dms.add_workspace(WORKSPACE)
    body = add_member(cloud).body  # type: ignore[attr-defined]
    assert (body.success, body.error_code) == (False, "UserNotExist")


def test_invalid_workspace_role_is_an_invalid_parameter(cloud: LocalCloud) -> None:
    register(cloud)
    cloud.dms.add_workspace(WORKSPACE)
    body = add_member(cloud, role="OWNER").body  # type: ignore[attr-defined]
    assert (body.success, body.error_code) == (False, "DMS-DA-40114")


def call_generic(cloud: LocalCloud, action: str, version: str) -> None:
    params = open_api_models.Params(
        action=action,
        version=version,
        protocol="HTTPS",
        pathname="/",
        method="POST",
        auth_type="AK",
        style="RPC",
        req_body_type="formData",
        body_type="json",
    )
    request = open_api_models.OpenApiRequest(query={"WorkspaceId": WORKSPACE})
    dms_client(cloud).call_api(params, request, RuntimeOptions())


def test_unknown_action_gets_api_not_found(cloud: LocalCloud) -> None:
    with pytest.raises(ClientException) as caught:
        call_generic(cloud, "DeleteEveryWorkspace", "2025-04-14")
    assert (caught.value.code, caught.value.status_code) == ("InvalidApi.NotFound", 404)


def test_version_the_product_does_not_offer_is_refused(cloud: LocalCloud) -> None:
    with pytest.raises(ClientException) as caught:
        call_generic(cloud, "RegisterUser", "2018-11-01")
    assert caught.value.code == "InvalidVersion"


def test_throttling_with_retry_after_raises_throttling_exception(cloud: LocalCloud) -> None:
    cloud.faults.add(
        FaultRule(kind="error", service="dms-enterprise", status=400, code="Throttling.User", retry_after=250)
    )
    with pytest.raises(ThrottlingException) as caught:
        register(cloud)
    assert (caught.value.code, caught.value.retry_after) == ("Throttling.User", 250)


def test_throttling_without_retry_after_is_a_client_exception(cloud: LocalCloud) -> None:
    cloud.faults.add(FaultRule(kind="error", service="dms-enterprise", status=400, code="Throttling.User"))
    with pytest.raises(ClientException) as caught:
        register(cloud)
    assert caught.value.code == "Throttling.User"
    assert not isinstance(caught.value, ThrottlingException)


def test_service_unavailable_is_a_server_exception(cloud: LocalCloud) -> None:
    cloud.faults.add(FaultRule(kind="error", service="dms", status=503, code="ServiceUnavailable"))
    register(cloud)
    cloud.dms.add_workspace(WORKSPACE)
    with pytest.raises(ServerException) as caught:
        add_member(cloud)
    assert (caught.value.code, caught.value.status_code) == ("ServiceUnavailable", 503)


@pytest.mark.parametrize(
    "rule",
    [
        FaultRule(kind="latency", service="dms-enterprise", latency_ms=1500),
        FaultRule(kind="hang", service="dms-enterprise", hang_seconds=3),
        FaultRule(kind="drop", service="dms-enterprise"),
    ],
    ids=["latency-past-timeout", "hang", "drop"],
)
def test_network_faults_surface_as_unretryable_exception(cloud: LocalCloud, rule: FaultRule) -> None:
    cloud.faults.add(rule)
    client = enterprise_client(cloud, read_timeout_ms=500)
    with pytest.raises(UnretryableException):
        client.register_user(enterprise_models.RegisterUserRequest(uid=UID))
    if rule.kind == "drop":
        assert users(cloud) == []


def test_drop_after_registers_but_the_caller_never_hears(cloud: LocalCloud) -> None:
    cloud.faults.add(FaultRule(kind="drop_after", service="dms-enterprise", action="RegisterUser", count=1))
    with pytest.raises(UnretryableException):
        register(cloud)
    assert [u["uid"] for u in users(cloud)] == [UID]
    assert register(cloud).body.error_code == "UserExisted"  # type: ignore[attr-defined]


def test_fault_with_count_one_fires_once(cloud: LocalCloud) -> None:
    cloud.faults.add(FaultRule(kind="error", service="dms-enterprise", status=503, code="ServiceUnavailable", count=1))
    with pytest.raises(ServerException):
        register(cloud)
    assert register(cloud).body.success is True  # type: ignore[attr-defined]


def test_call_log_records_actions_with_masked_mobile(cloud: LocalCloud) -> None:
    register(cloud, mobile="13812345678")
    (call,) = cloud.calls.query(service="dms-enterprise")
    assert (call["action"], call["status"]) == ("RegisterUser", 200)
    assert call["params"]["Mobile"] == "138******78"  # type: ignore[index]
    assert call["access_key_id"] == cloud.config.access_key_id

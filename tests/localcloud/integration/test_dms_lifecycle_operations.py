"""Joiner, mover and leaver operations of both DMS products through the official SDKs, over loopback HTTP.

dms-enterprise 2018-11-01: GetUser, ListUsers, UpdateUser, DisableUser, EnableUser, DeleteUser; dms 2025-04-14:
UpdateDataAgentWorkspaceMemberRole, RemoveUserToDataAgentWorkspace, ListDataAgentWorkspaceMember,
GetDataAgentWorkspaceInfo. Where the docs are silent, the rule tested is the one localcloud/dms/models.py states.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from alibabacloud_tea_openapi.exceptions import ClientException

from localcloud import LocalCloud, LocalCloudConfig
from localcloud.control.client import ControlClient
from localcloud.credentials import Credential
from tests.support.dms_clients import dms_client, dms_models, enterprise_client, enterprise_models

UID = "2000000000001"
OTHER = "2000000000002"
WORKSPACE = "209230000007291"


def register(cloud: LocalCloud, uid: str = UID, **fields: Any) -> Any:
    return enterprise_client(cloud).register_user(enterprise_models.RegisterUserRequest(uid=uid, **fields)).body


def get_user(cloud: LocalCloud, uid: str | None = UID, **fields: Any) -> Any:
    return enterprise_client(cloud).get_user(enterprise_models.GetUserRequest(uid=uid, **fields)).body


def list_users(cloud: LocalCloud, **fields: Any) -> Any:
    return enterprise_client(cloud).list_users(enterprise_models.ListUsersRequest(**fields)).body


def update_user(cloud: LocalCloud, uid: int | None = int(UID), **fields: Any) -> Any:
    return enterprise_client(cloud).update_user(enterprise_models.UpdateUserRequest(uid=uid, **fields)).body


def disable(cloud: LocalCloud, uid: str = UID, **fields: Any) -> Any:
    return enterprise_client(cloud).disable_user(enterprise_models.DisableUserRequest(uid=uid, **fields)).body


def enable(cloud: LocalCloud, uid: str = UID, **fields: Any) -> Any:
    return enterprise_client(cloud).enable_user(enterprise_models.EnableUserRequest(uid=uid, **fields)).body


def delete(cloud: LocalCloud, uid: str = UID, **fields: Any) -> Any:
    return enterprise_client(cloud).delete_user(enterprise_models.DeleteUserRequest(uid=uid, **fields)).body


def add_member(cloud: LocalCloud, member_id: str = UID, role: str = "MEMBER") -> Any:
    request = dms_models.AddUserToDataAgentWorkspaceRequest(workspace_id=WORKSPACE, member_id=member_id, role_name=role)
    return dms_client(cloud).add_user_to_data_agent_workspace(request).body


def update_role(cloud: LocalCloud, member_id: str = UID, role: str = "ADMIN", **fields: Any) -> Any:
    fields.setdefault("workspace_id", WORKSPACE)
    request = dms_models.UpdateDataAgentWorkspaceMemberRoleRequest(member_id=member_id, role_name=role, **fields)
    return dms_client(cloud).update_data_agent_workspace_member_role(request).body


def remove_member(cloud: LocalCloud, member_id: str = UID, **fields: Any) -> Any:
    fields.setdefault("workspace_id", WORKSPACE)
    request = dms_models.RemoveUserToDataAgentWorkspaceRequest(member_id=member_id, **fields)
    return dms_client(cloud).remove_user_to_data_agent_workspace(request).body


def list_members(cloud: LocalCloud, **fields: Any) -> Any:
    fields.setdefault("workspace_id", WORKSPACE)
    request = dms_models.ListDataAgentWorkspaceMemberRequest(**fields)
    return dms_client(cloud).list_data_agent_workspace_member(request).body


def workspace_info(cloud: LocalCloud, **fields: Any) -> Any:
    fields.setdefault("workspace_id", WORKSPACE)
    request = dms_models.GetDataAgentWorkspaceInfoRequest(**fields)
    return dms_client(cloud).get_data_agent_workspace_info(request).body


def state_of(cloud: LocalCloud, uid: str = UID) -> str:
    (user,) = [u for u in cloud.dms.snapshot()["users"] if u["uid"] == uid]
    return str(user["state"])


def members(cloud: LocalCloud) -> dict[str, str]:
    (workspace,) = cloud.dms.snapshot()["workspaces"]
    return {m["MemberId"]: m["RoleName"] for m in workspace["members"]}


def assert_error(body: Any, code: str, words: str = "") -> None:
    assert (body.success, body.error_code) == (False, code)
    assert words in body.error_message


@pytest.fixture
def member(cloud: LocalCloud) -> LocalCloud:
    """A registered user, member of the seeded workspace with role member."""
    register(cloud, user_nick="Ada")
    cloud.dms.add_workspace(WORKSPACE, name="analytics")
    add_member(cloud)
    return cloud


# GetUser


def test_get_user_answers_roles_as_role_name_list_and_role_ids(cloud: LocalCloud) -> None:
    register(cloud, user_nick="Ada", role_names="USER,DBA", mobile="+8613812345678")
    body = get_user(cloud)
    assert (body.success, body.error_code) == (True, None)
    user = body.user
    assert (user.uid, user.nick_name, user.state, user.mobile) == (UID, "Ada", "NORMAL", "+8613812345678")
    assert user.role_name_list.role_names == ["USER", "DBA"]
    assert user.role_id_list.role_ids == [1, 2]
    assert user.parent_uid == int(cloud.config.account_id)
    assert user.user_id
    assert user.user_id != UID


def test_get_user_answer_nests_roles_as_the_wire_spells_them(cloud: LocalCloud) -> None:
    register(cloud, role_names="ADMIN")
    user = enterprise_client(cloud).get_user(enterprise_models.GetUserRequest(uid=UID)).body.to_map()["User"]
    assert user["RoleNameList"] == {"RoleNames": ["ADMIN"]}
    assert user["RoleIdList"] == {"RoleIds": [3]}
    assert "Mobile" not in user


def test_get_user_by_dms_user_id(cloud: LocalCloud) -> None:
    register(cloud)
    register(cloud, uid=OTHER)
    user_id = get_user(cloud, uid=OTHER).user.user_id
    assert get_user(cloud, uid=None, user_id=user_id).user.uid == OTHER


def test_get_user_with_uid_and_another_users_id_finds_no_one(cloud: LocalCloud) -> None:
    register(cloud)
    register(cloud, uid=OTHER)
    other_id = get_user(cloud, uid=OTHER).user.user_id
    assert_error(get_user(cloud, user_id=other_id), "TargetUserNotExist")


def test_get_user_of_unknown_uid_is_user_not_exists(cloud: LocalCloud) -> None:
    body = get_user(cloud)
    assert_error(body, "TargetUserNotExist", "The specified user not exists.")
    assert body.user is None


def test_get_user_without_uid_or_user_id_is_refused_by_the_gateway(cloud: LocalCloud) -> None:
    with pytest.raises(ClientException) as caught:
        get_user(cloud, uid=None)
    assert (caught.value.code, caught.value.status_code) == ("MissingUid", 400)


def test_get_user_in_unknown_tenant_is_refused(cloud: LocalCloud) -> None:
    register(cloud)
    assert_error(get_user(cloud, tid=424242), "TenantNotExist")


# ListUsers


def test_list_users_pages_with_total_count(cloud: LocalCloud) -> None:
    uids = [f"30000000000{i:02d}" for i in range(25)]
    for uid in uids:
        register(cloud, uid=uid)
    first = list_users(cloud)
    assert (first.success, first.total_count) == (True, 25)
    assert [u.uid for u in first.user_list.user] == uids[:10]
    third = list_users(cloud, page_number=3, page_size=10)
    assert [u.uid for u in third.user_list.user] == uids[20:]
    assert list_users(cloud, page_number=2, page_size=20).user_list.user[0].uid == uids[20]
    assert list_users(cloud, page_number=4).user_list.user == []


def test_list_users_items_are_shaped_as_user_list_of_user(cloud: LocalCloud) -> None:
    register(cloud, role_names="DBA")
    body = enterprise_client(cloud).list_users(enterprise_models.ListUsersRequest()).body.to_map()
    (item,) = body["UserList"]["User"]
    assert item["RoleNameList"] == {"RoleNames": ["DBA"]}
    assert item["ParentUid"] == cloud.config.account_id
    assert body["TotalCount"] == 1


def test_list_users_filters_by_role_state_and_search_key(cloud: LocalCloud) -> None:
    register(cloud, user_nick="Ada Lovelace", role_names="USER,DBA")
    register(cloud, uid=OTHER, user_nick="Grace Hopper")
    register(cloud, uid="2000000000003", user_nick="Alan Turing")
    disable(cloud, uid=OTHER)
    delete(cloud, uid="2000000000003")
    assert [u.uid for u in list_users(cloud, role="DBA").user_list.user] == [UID]
    assert [u.uid for u in list_users(cloud, user_state="DISABLE").user_list.user] == [OTHER]
    assert [u.uid for u in list_users(cloud, user_state="DELETE").user_list.user] == ["2000000000003"]
    assert list_users(cloud, search_key="hopper").total_count == 1
    assert list_users(cloud, search_key="0000000000").total_count == 3
    assert list_users(cloud).total_count == 3


@pytest.mark.parametrize("page_size", [15, 0, 1000])
def test_list_users_page_size_outside_the_documented_values_is_refused(cloud: LocalCloud, page_size: int) -> None:
    with pytest.raises(ClientException) as caught:
        list_users(cloud, page_size=page_size)
    assert caught.value.code == "InvalidParameter"
    assert "PageSize" in caught.value.data["Message"]


def test_list_users_with_unknown_role_or_state_is_refused(cloud: LocalCloud) -> None:
    assert_error(list_users(cloud, role="ROOT"), "InvalidRoleName", "ROOT")
    with pytest.raises(ClientException) as caught:
        list_users(cloud, user_state="GONE")
    assert "UserState" in caught.value.data["Message"]


def test_list_users_of_unknown_tenant_is_invalid_tid(cloud: LocalCloud) -> None:
    assert_error(list_users(cloud, tid=424242), "InvalidTid", "Specified parameter Tid is not valid.")


def test_list_users_keeps_tenants_apart(cloud: LocalCloud) -> None:
    cloud.dms.add_tenant(424242)
    register(cloud)
    register(cloud, uid=OTHER, tid=424242)
    assert [u.uid for u in list_users(cloud, tid=424242).user_list.user] == [OTHER]


# UpdateUser


def test_update_user_replaces_the_role_set(cloud: LocalCloud) -> None:
    register(cloud, role_names="USER,DBA")
    assert update_user(cloud, role_names="ADMIN,SECURITY_ADMIN").success is True
    assert get_user(cloud).user.role_name_list.role_names == ["ADMIN", "SECURITY_ADMIN"]


def test_update_user_changes_nickname_and_mobile_and_keeps_the_rest(cloud: LocalCloud) -> None:
    register(cloud, user_nick="Ada", role_names="DBA", mobile="+8613800000000")
    update_user(cloud, user_nick="Ada King", mobile="+8613911112222")
    user = get_user(cloud).user
    assert (user.nick_name, user.mobile) == ("Ada King", "+8613911112222")
    assert user.role_name_list.role_names == ["DBA"]
    snapshot = cloud.dms.snapshot()["users"][0]
    assert snapshot["mobile"] == "+861********22"


def test_update_user_by_uid_string(cloud: LocalCloud) -> None:
    register(cloud)
    update_user(cloud, uid=None, uid_string=UID, role_names="DBA")
    assert get_user(cloud).user.role_name_list.role_names == ["DBA"]


def test_update_user_sets_daily_caps(cloud: LocalCloud) -> None:
    register(cloud)
    update_user(cloud, max_execute_count=100, max_result_count=5000)
    user = get_user(cloud).user
    assert (user.max_execute_count, user.max_result_count) == (100, 5000)


def test_update_user_with_unknown_role_changes_nothing(cloud: LocalCloud) -> None:
    register(cloud, role_names="DBA")
    assert_error(update_user(cloud, role_names="DBA,ROOT"), "InvalidRoleName", "ROOT")
    assert get_user(cloud).user.role_name_list.role_names == ["DBA"]


def test_update_user_of_unknown_user_is_user_not_exists(cloud: LocalCloud) -> None:
    assert_error(update_user(cloud, role_names="DBA"), "TargetUserNotExist")


def test_update_user_without_uid_is_refused_by_the_gateway(cloud: LocalCloud) -> None:
    with pytest.raises(ClientException) as caught:
        update_user(cloud, uid=None, role_names="DBA")
    assert caught.value.code == "MissingUid"


def test_update_of_a_disabled_user_keeps_it_disabled(cloud: LocalCloud) -> None:
    register(cloud)
    disable(cloud)
    update_user(cloud, role_names="DBA")
    assert (get_user(cloud).user.state, get_user(cloud).user.role_name_list.role_names) == ("DISABLE", ["DBA"])


# DisableUser, EnableUser


def test_disable_then_enable_moves_the_state_and_keeps_roles_and_memberships(member: LocalCloud) -> None:
    update_user(member, role_names="USER,DBA")
    assert disable(member).success is True
    assert get_user(member).user.state == "DISABLE"
    assert state_of(member) == "DISABLE"
    assert members(member) == {UID: "member"}
    assert enable(member).success is True
    user = get_user(member).user
    assert (user.state, user.role_name_list.role_names) == ("NORMAL", ["USER", "DBA"])


def test_disabling_a_disabled_user_is_user_status_illegal(cloud: LocalCloud) -> None:
    register(cloud)
    disable(cloud)
    assert_error(disable(cloud), "UserStatusIllegal", "already disabled")
    assert state_of(cloud) == "DISABLE"


def test_enabling_a_normal_user_is_user_status_illegal(cloud: LocalCloud) -> None:
    register(cloud)
    assert_error(enable(cloud), "UserStatusIllegal", "not disabled")


@pytest.mark.parametrize("operation", [disable, enable, delete], ids=["disable", "enable", "delete"])
def test_unknown_user_is_user_not_exists(cloud: LocalCloud, operation: Any) -> None:
    assert_error(operation(cloud), "TargetUserNotExist", "The specified user not exists.")


def test_registering_a_disabled_user_is_user_existed(cloud: LocalCloud) -> None:
    register(cloud)
    disable(cloud)
    assert_error(register(cloud), "UserExisted")
    assert state_of(cloud) == "DISABLE"


def test_disabled_user_may_still_be_added_to_a_workspace(cloud: LocalCloud) -> None:
    register(cloud)
    disable(cloud)
    cloud.dms.add_workspace(WORKSPACE)
    assert add_member(cloud).success is True


# DeleteUser


def test_deleted_user_reads_as_delete_and_leaves_every_workspace(member: LocalCloud) -> None:
    assert delete(member).success is True
    assert get_user(member).user.state == "DELETE"
    assert state_of(member) == "DELETE"
    assert members(member) == {}
    assert list_users(member, user_state="NORMAL").total_count == 0


@pytest.mark.parametrize(
    "operation",
    [
        lambda c: delete(c),
        lambda c: disable(c),
        lambda c: enable(c),
        lambda c: update_user(c, role_names="DBA"),
    ],
    ids=["delete", "disable", "enable", "update"],
)
def test_deleted_user_is_user_not_exists_to_every_change(cloud: LocalCloud, operation: Any) -> None:
    register(cloud)
    delete(cloud)
    assert_error(operation(cloud), "TargetUserNotExist")
    assert state_of(cloud) == "DELETE"


def test_deleted_user_cannot_join_a_workspace(cloud: LocalCloud) -> None:
    register(cloud)
    delete(cloud)
    cloud.dms.add_workspace(WORKSPACE)
    assert_error(add_member(cloud), "UserNotExist")


def test_deleted_user_registers_again_with_new_details_and_its_old_user_id(cloud: LocalCloud) -> None:
    register(cloud, user_nick="Ada", role_names="DBA", mobile="+8613800000000")
    user_id = get_user(cloud).user.user_id
    delete(cloud)
    assert register(cloud, user_nick="Ada again").success is True
    user = get_user(cloud).user
    assert (user.state, user.nick_name, user.user_id, user.mobile) == ("NORMAL", "Ada again", user_id, None)
    assert user.role_name_list.role_names == ["USER"]
    assert list_users(cloud).total_count == 1


def test_delete_in_one_tenant_leaves_the_other_alone(cloud: LocalCloud) -> None:
    cloud.dms.add_tenant(424242)
    register(cloud)
    register(cloud, tid=424242)
    delete(cloud, tid=424242)
    assert get_user(cloud).user.state == "NORMAL"
    assert get_user(cloud, tid=424242).user.state == "DELETE"


# UpdateDataAgentWorkspaceMemberRole


def test_member_role_update_answers_the_member_with_its_new_role(member: LocalCloud) -> None:
    body = update_role(member, role="ADMIN", dmsunit="cn-hangzhou")
    assert body.success is True
    data = body.data
    assert (data.member_id, data.user_name, data.role_name) == (UID, "Ada", "admin")
    assert isinstance(data.join_time, int)
    assert members(member) == {UID: "admin"}


def test_member_role_update_to_the_same_role_succeeds(member: LocalCloud) -> None:
    assert update_role(member, role="member").data.role_name == "member"


def test_member_role_update_of_a_non_member_is_not_a_member(member: LocalCloud) -> None:
    register(member, uid=OTHER)
    body = update_role(member, member_id=OTHER)
    assert_error(body, "DMS-DA-40412", "not a member")
    assert body.data is None
    assert members(member) == {UID: "member"}


@pytest.mark.parametrize(
    ("fields", "code", "named"),
    [
        ({"role": "OWNER"}, "DMS-DA-40114", "OWNER"),
        ({"member_id": "ada"}, "DMS-DA-40114", "MemberId"),
        ({"dmsunit": "ap-southeast-1"}, "DMS-DA-40114", "ap-southeast-1"),
        ({"workspace_id": "1"}, "DMS-DA-40411", "1"),
    ],
    ids=["role", "member-id", "dms-unit", "workspace"],
)
def test_member_role_update_with_a_bad_parameter_is_refused_naming_it(
    member: LocalCloud, fields: dict[str, str], code: str, named: str
) -> None:
    assert_error(update_role(member, **fields), code, named)
    assert members(member) == {UID: "member"}


# RemoveUserToDataAgentWorkspace


def test_removed_member_leaves_the_workspace_and_stays_a_dms_user(member: LocalCloud) -> None:
    body = remove_member(member, dmsunit="cn-hangzhou")
    assert (body.success, body.error_code) == (True, None)
    assert members(member) == {}
    assert get_user(member).user.state == "NORMAL"


def test_removing_a_non_member_is_not_a_member(member: LocalCloud) -> None:
    remove_member(member)
    assert_error(remove_member(member), "DMS-DA-40412", "not a member")


def test_removed_member_may_be_added_again(member: LocalCloud) -> None:
    remove_member(member)
    assert add_member(member, role="ADMIN").data.role_name == "admin"


def test_removing_from_an_unknown_workspace_is_workspace_not_found(member: LocalCloud) -> None:
    assert_error(remove_member(member, workspace_id="1"), "DMS-DA-40411")


def test_remove_needs_its_real_odd_action_name(member: LocalCloud) -> None:
    remove_member(member)
    (call,) = member.calls.query(service="dms", action="RemoveUserToDataAgentWorkspace")
    assert call["status"] == 200


# ListDataAgentWorkspaceMember


def add_members(cloud: LocalCloud, count: int) -> list[str]:
    cloud.dms.add_workspace(WORKSPACE)
    ids = [f"40000000000{i:02d}" for i in range(count)]
    for i, member_id in enumerate(ids):
        register(cloud, uid=member_id, user_nick=f"user{i}")
        add_member(cloud, member_id, role="ADMIN" if i % 3 == 0 else "MEMBER")
    return ids


def test_member_list_pages_with_totals(cloud: LocalCloud) -> None:
    ids = add_members(cloud, 12)
    first = list_members(cloud)
    assert first.success is True
    data = first.data
    assert [m.member_id for m in data.content] == ids[:10]
    assert (data.page_number, data.page_size, data.total_elements, data.total_pages) == (1, 10, 12, 2)
    second = list_members(cloud, page_number=2, page_size=5).data
    assert [m.member_id for m in second.content] == ids[5:10]
    assert second.total_pages == 3
    assert list_members(cloud, page_number=9).data.content == []


def test_member_list_items_carry_join_time_as_a_string(cloud: LocalCloud) -> None:
    add_members(cloud, 1)
    (item,) = list_members(cloud).to_map()["Data"]["Content"]
    assert isinstance(item["JoinTime"], str)
    assert item["JoinTime"].isdigit()
    assert (item["UserName"], item["RoleName"], item["RunningTaskNumber"]) == ("user0", "admin", 0)


def test_member_list_filters_by_member_id_prefix(cloud: LocalCloud) -> None:
    ids = add_members(cloud, 12)
    found = list_members(cloud, search_member_id="400000000001").data
    assert [m.member_id for m in found.content] == ids[10:]
    assert found.total_elements == 2
    assert list_members(cloud, search_member_id="5").data.total_elements == 0


def test_member_list_filters_by_role_name_prefix_and_orders(cloud: LocalCloud) -> None:
    ids = add_members(cloud, 6)
    admins = list_members(cloud, search_role_name="ADM").data
    assert [m.member_id for m in admins.content] == [ids[0], ids[3]]
    assert [m.member_id for m in list_members(cloud, order="Desc").data.content] == ids[::-1]


@pytest.mark.parametrize(("fields", "named"), [({"page_number": 0}, "PageNumber"), ({"page_size": 101}, "PageSize")])
def test_member_list_page_out_of_range_is_refused(cloud: LocalCloud, fields: dict[str, int], named: str) -> None:
    add_members(cloud, 1)
    assert_error(list_members(cloud, **fields), "DMS-DA-40114", named)


def test_member_list_of_unknown_workspace_is_workspace_not_found(cloud: LocalCloud) -> None:
    assert_error(list_members(cloud), "DMS-DA-40411")


# GetDataAgentWorkspaceInfo


def test_workspace_info_describes_the_workspace_with_its_member_count(member: LocalCloud) -> None:
    register(member, uid=OTHER)
    add_member(member, OTHER)
    body = workspace_info(member, dmsunit="cn-hangzhou")
    assert body.success is True
    data = body.data
    assert (data.workspace_id, data.workspace_name, data.workspace_status) == (WORKSPACE, "analytics", "active")
    assert (data.total_member, data.creator, data.role_name) == ("2", member.config.account_id, "admin")
    assert data.create_time.isdigit()
    assert int(data.modify_time) >= int(data.create_time)
    assert data.is_session_share_enabled is False


def test_seeded_workspace_creator_and_description_are_its_info(cloud: LocalCloud) -> None:
    ControlClient(cloud.control_url).seed(
        {"workspaces": [{"workspace_id": WORKSPACE, "name": "bi", "creator": "2000000000009", "description": "BI"}]}
    )
    data = workspace_info(cloud).data
    assert (data.workspace_name, data.creator, data.workspace_desc, data.total_member) == (
        "bi",
        "2000000000009",
        "BI",
        "0",
    )


def test_workspace_modify_time_moves_with_membership(member: LocalCloud) -> None:
    before = workspace_info(member).data.modify_time
    member.clock.advance(60)
    remove_member(member)
    after = workspace_info(member).data
    assert int(after.modify_time) >= int(before) + 60
    assert after.total_member == "0"


def test_workspace_info_of_unknown_workspace_or_unit_is_refused(member: LocalCloud) -> None:
    assert_error(workspace_info(member, workspace_id="1"), "DMS-DA-40411")
    assert_error(workspace_info(member, dmsunit="ap-southeast-1"), "DMS-DA-40114", "ap-southeast-1")


# Across the operations


def test_leaver_journey_is_visible_through_the_control_plane(member: LocalCloud) -> None:
    control = ControlClient(member.control_url)
    remove_member(member)
    disable(member)
    state = control.state("dms")
    (user,) = state["users"]
    assert (user["uid"], user["state"], user["user_id"]) == (UID, "DISABLE", get_user(member).user.user_id)
    assert state["workspaces"][0]["members"] == []
    delete(member)
    assert control.state("dms")["users"][0]["state"] == "DELETE"


def test_mover_journey_through_both_products(member: LocalCloud) -> None:
    update_user(member, role_names="USER,DBA", user_nick="Ada Senior")
    update_role(member, role="ADMIN")
    assert get_user(member).user.role_name_list.role_names == ["USER", "DBA"]
    (item,) = list_members(member, search_member_id=UID).data.content
    assert item.role_name == "admin"


def test_each_new_operation_is_its_own_ram_action(member: LocalCloud) -> None:
    cloud = member
    cloud.credentials.put(Credential("STS.reader", "reader-secret", "reader-token", allow=["dms:GetUser"]))
    reader = {"access_key_id": "STS.reader", "access_key_secret": "reader-secret", "security_token": "reader-token"}
    client = enterprise_client(cloud, **reader)
    assert client.get_user(enterprise_models.GetUserRequest(uid=UID)).body.success is True
    with pytest.raises(ClientException) as caught:
        client.disable_user(enterprise_models.DisableUserRequest(uid=UID))
    assert (caught.value.code, caught.value.access_denied_detail["AuthAction"]) == ("Forbidden.RAM", "dms:DisableUser")
    with pytest.raises(ClientException) as caught:
        dms_client(cloud, **reader).remove_user_to_data_agent_workspace(
            dms_models.RemoveUserToDataAgentWorkspaceRequest(workspace_id=WORKSPACE, member_id=UID)
        )
    assert caught.value.access_denied_detail["AuthAction"] == "dms:RemoveUserToDataAgentWorkspace"
    assert state_of(cloud) == "NORMAL"
    assert members(cloud) == {UID: "member"}


def test_user_not_exists_reads_as_the_docs_sample_in_the_body_status_style() -> None:
    with LocalCloud(LocalCloudConfig.ephemeral(dms_error_style="body-status")) as status_cloud:
        body = disable(status_cloud)
    assert (body.success, body.error_code, body.error_message) == (False, "403", "The specified user not exists.")


def test_join_time_of_a_member_is_service_time(cloud: LocalCloud) -> None:
    register(cloud)
    cloud.dms.add_workspace(WORKSPACE)
    cloud.clock.advance(3600)
    add_member(cloud)
    (item,) = list_members(cloud).data.content
    assert int(item.join_time) >= int(time.time()) + 3599


def test_user_not_exists_is_a_403_in_the_gateway_style() -> None:
    with (
        LocalCloud(LocalCloudConfig.ephemeral(dms_error_style="gateway")) as gateway_cloud,
        pytest.raises(ClientException) as caught,
    ):
        delete(gateway_cloud)
    assert (caught.value.code, caught.value.status_code) == ("TargetUserNotExist", 403)
    assert caught.value.data["Message"] == "The specified user not exists."


def test_update_user_mobile_is_masked_in_the_call_log(cloud: LocalCloud) -> None:
    register(cloud)
    update_user(cloud, mobile="13911112222")
    (call,) = cloud.calls.query(service="dms-enterprise", action="UpdateUser")
    params = call["params"]
    assert isinstance(params, dict)
    assert params["Mobile"] == "139******22"

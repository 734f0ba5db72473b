"""RAM GetUser (2015-05-01) through the official SDK and the OpenAPI core's `call_api`, over loopback, signed."""

from __future__ import annotations

import re

import pytest
from alibabacloud_tea_openapi.exceptions import ClientException

from localcloud import LocalCloud
from localcloud.control.client import ControlClient, ControlPlaneError
from localcloud.credentials import Credential
from tests.support.ram_clients import call_get_user, ram_client, ram_models

USER = {
    "user_name": "wang.fang",
    "user_id": "2000000000000001",
    "display_name": "Wang Fang",
    "email": "wang.fang@example.com",
    "mobile_phone": "86-13900001234",
    "comments": "Data Engineering",
}


def control(cloud: LocalCloud) -> ControlClient:
    return ControlClient(cloud.control_url)


def get_user(cloud: LocalCloud, name: str, **overrides: object) -> object:
    return ram_client(cloud, **overrides).get_user(ram_models.GetUserRequest(user_name=name))


# Found


def test_seeded_user_is_answered_with_every_documented_field(cloud: LocalCloud) -> None:
    control(cloud).seed({"ram_users": [USER]})
    answer = ram_client(cloud).get_user(ram_models.GetUserRequest(user_name="wang.fang"))
    assert answer.status_code == 200
    user = answer.body.user
    assert (user.user_id, user.user_name, user.display_name) == ("2000000000000001", "wang.fang", "Wang Fang")
    assert (user.email, user.mobile_phone) == ("wang.fang@example.com", "86-13900001234")
    assert user.comments == "Data Engineering"
    assert user.create_date.endswith("Z")
    assert user.update_date == user.create_date
    assert len(answer.body.request_id) == 36


def test_user_added_without_an_id_gets_a_16_digit_one(cloud: LocalCloud) -> None:
    added = control(cloud).add_ram_user("li.lei", display_name="Li Lei")
    user = ram_client(cloud).get_user(ram_models.GetUserRequest(user_name="li.lei")).body.user
    assert user.user_id == added["user_id"]
    assert len(user.user_id) == 16
    assert user.user_id.isdigit()


def test_generic_call_api_gets_the_same_answer_as_the_sdk(cloud: LocalCloud) -> None:
    control(cloud).add_ram_user(**USER)
    answer = call_get_user(cloud, "wang.fang")
    assert answer["statusCode"] == 200
    assert answer["body"]["User"]["UserId"] == "2000000000000001"
    (record,) = control(cloud).calls(service="ram", action="GetUser")
    assert record["params"] == {"UserName": "wang.fang"}
    assert record["headers"]["x-acs-version"] == "2015-05-01"


def test_state_shows_ram_users_with_the_mobile_masked(cloud: LocalCloud) -> None:
    control(cloud).add_ram_user(**USER)
    (user,) = control(cloud).state("ram")["users"]
    assert user["mobile_phone"] == "86-1********34"
    assert "13900001234" not in str(control(cloud).state())


# Not found and refused


def test_unknown_user_is_entity_not_exist_user_404(cloud: LocalCloud) -> None:
    with pytest.raises(ClientException) as raised:
        get_user(cloud, "nobody")
    assert raised.value.code == "EntityNotExist.User"
    assert raised.value.status_code == 404
    assert "The user does not exist." in raised.value.message


def test_removed_user_is_not_found_any_more(cloud: LocalCloud) -> None:
    control(cloud).add_ram_user(**USER)
    control(cloud).remove_ram_user("wang.fang")
    with pytest.raises(ClientException, match=re.escape("EntityNotExist.User")):
        call_get_user(cloud, "wang.fang")


def test_user_name_with_invalid_characters_is_refused_as_ram_does(cloud: LocalCloud) -> None:
    with pytest.raises(ClientException) as raised:
        get_user(cloud, "wang fang!")
    assert (raised.value.code, raised.value.status_code) == ("InvalidParameter.UserName.InvalidChars", 400)


def test_request_signed_with_a_wrong_secret_is_refused(cloud: LocalCloud) -> None:
    control(cloud).add_ram_user(**USER)
    with pytest.raises(ClientException) as raised:
        get_user(cloud, "wang.fang", access_key_secret="not-the-secret")
    assert raised.value.code == "SignatureDoesNotMatch"
    assert [c["code"] for c in cloud.calls.query(service="ram")] == ["SignatureDoesNotMatch"]


def test_unknown_access_key_is_refused(cloud: LocalCloud) -> None:
    with pytest.raises(ClientException, match=re.escape("InvalidAccessKeyId.NotFound")):
        get_user(cloud, "wang.fang", access_key_id="LTAInobody")


def test_key_without_ram_get_user_in_its_policy_is_forbidden(cloud: LocalCloud) -> None:
    cloud.credentials.put(Credential("LTAIdmsonly", "dms-secret", allow=["dms:*"], account_id="1"))
    with pytest.raises(ClientException) as raised:
        get_user(cloud, "wang.fang", access_key_id="LTAIdmsonly", access_key_secret="dms-secret", security_token=None)
    assert (raised.value.code, raised.value.status_code) == ("Forbidden.RAM", 403)


def test_fault_rule_on_ram_is_answered_in_the_pop_format(cloud: LocalCloud) -> None:
    control(cloud).add_ram_user(**USER)
    control(cloud).add_fault(service="ram", action="GetUser", kind="error", status=400, code="Throttling.User")
    with pytest.raises(ClientException, match=re.escape("Throttling.User")):
        call_get_user(cloud, "wang.fang")


def test_seed_item_with_a_bad_user_id_names_the_field(cloud: LocalCloud) -> None:
    with pytest.raises(ControlPlaneError, match="user_id"):
        control(cloud).seed({"ram_users": [{"user_name": "x", "user_id": "12"}]})

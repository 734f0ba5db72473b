"""DingTalk's open API emulator over real HTTP: tokens both ways, topapi/v2/user/get, and DingTalk's own errors."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlencode

import pytest

from localcloud import LocalCloud
from localcloud.control.client import ControlClient, ControlPlaneError

WANG: dict[str, Any] = {
    "userid": "manager7078",
    "name": "王芳",
    "mobile": "13900001234",
    "email": "wang.fang@example.com",
    "title": "Senior Data Engineer",
    "job_number": "E1024",
    "dept_id_list": [1, 42],
    "extension": {"阿里云UID": "2000000000001"},
    "hired_date": 1740965400000,
}


def call(url: str, body: object | None = None, method: str | None = None) -> tuple[int, dict[str, Any]]:
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def gettoken(cloud: LocalCloud, appkey: str | None = None, appsecret: str | None = None) -> tuple[int, dict[str, Any]]:
    query = {
        "appkey": cloud.config.dingtalk_app_key if appkey is None else appkey,
        "appsecret": cloud.config.dingtalk_app_secret if appsecret is None else appsecret,
    }
    return call(f"{cloud.dingtalk_endpoint}/gettoken?{urlencode(query)}")


def token(cloud: LocalCloud) -> str:
    return str(gettoken(cloud)[1]["access_token"])


def user_get(cloud: LocalCloud, userid: str, access_token: str | None) -> tuple[int, dict[str, Any]]:
    query = "" if access_token is None else f"?{urlencode({'access_token': access_token})}"
    return call(f"{cloud.dingtalk_endpoint}/topapi/v2/user/get{query}", {"userid": userid, "language": "zh_CN"})


def control(cloud: LocalCloud) -> ControlClient:
    return ControlClient(cloud.control_url)


# Tokens


def test_gettoken_gives_a_7200_second_token_in_the_old_shape(cloud: LocalCloud) -> None:
    status, body = gettoken(cloud)
    assert status == 200
    assert list(body) == ["errcode", "access_token", "errmsg", "expires_in"]
    assert (body["errcode"], body["errmsg"], body["expires_in"]) == (0, "ok", 7200)


def test_new_access_token_route_gives_the_same_token_in_camel_case(cloud: LocalCloud) -> None:
    old = token(cloud)
    status, body = call(
        f"{cloud.dingtalk_endpoint}/v1.0/oauth2/accessToken",
        {"appKey": cloud.config.dingtalk_app_key, "appSecret": cloud.config.dingtalk_app_secret},
    )
    assert status == 200
    assert body == {"accessToken": old, "expireIn": 7200}


def test_asking_again_while_a_token_lives_renews_the_same_token(cloud: LocalCloud) -> None:
    first = token(cloud)
    cloud.clock.advance(7000)
    assert token(cloud) == first
    cloud.clock.advance(7000)
    assert user_get(cloud, "nobody", first)[1]["errcode"] == 60121


def test_gettoken_with_a_wrong_secret_is_errcode_40096_at_http_200(cloud: LocalCloud) -> None:
    assert gettoken(cloud, appsecret="wrong") == (200, {"errcode": 40096, "errmsg": "不合法的appKey或appSecret"})


def test_gettoken_with_an_unknown_app_key_is_errcode_40096(cloud: LocalCloud) -> None:
    assert gettoken(cloud, appkey="dingnotmyapp")[1]["errcode"] == 40096


def test_gettoken_without_an_app_key_is_errcode_40035(cloud: LocalCloud) -> None:
    status, body = call(f"{cloud.dingtalk_endpoint}/gettoken")
    assert (status, body["errcode"]) == (200, 40035)


def test_new_token_route_with_a_wrong_secret_is_400_invalid_client(cloud: LocalCloud) -> None:
    status, body = call(
        f"{cloud.dingtalk_endpoint}/v1.0/oauth2/accessToken",
        {"appKey": cloud.config.dingtalk_app_key, "appSecret": "wrong"},
    )
    assert status == 400
    assert (body["code"], body["message"]) == ("invalidClientIdOrSecret", "无效的clientId或者clientSecret")
    assert len(body["requestid"]) == 36


# topapi/v2/user/get


def test_user_get_answers_the_person_with_extension_as_a_json_string(cloud: LocalCloud) -> None:
    control(cloud).add_dingtalk_user(**WANG)
    status, body = user_get(cloud, "manager7078", token(cloud))
    assert status == 200
    assert (body["errcode"], body["errmsg"]) == (0, "ok")
    result = body["result"]
    assert (result["userid"], result["name"], result["mobile"], result["title"]) == (
        "manager7078",
        "王芳",
        "13900001234",
        "Senior Data Engineer",
    )
    assert (result["job_number"], result["dept_id_list"], result["hired_date"]) == ("E1024", [1, 42], 1740965400000)
    assert isinstance(result["extension"], str)
    assert json.loads(result["extension"]) == {"阿里云UID": "2000000000001"}
    assert (result["active"], result["admin"], result["boss"]) == (True, False, False)
    assert result["unionid"]
    assert body["request_id"]


def test_user_get_reads_the_token_from_a_form_body_as_the_live_api_does(cloud: LocalCloud) -> None:
    control(cloud).add_dingtalk_user(**WANG)
    form = urlencode({"access_token": token(cloud), "userid": "manager7078"}).encode()
    request = urllib.request.Request(
        f"{cloud.dingtalk_endpoint}/topapi/v2/user/get",
        data=form,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    with urllib.request.urlopen(request, timeout=5) as answer:
        assert json.loads(answer.read())["result"]["userid"] == "manager7078"


def test_person_who_left_is_errcode_60121(cloud: LocalCloud) -> None:
    control(cloud).add_dingtalk_user(**WANG)
    control(cloud).remove_dingtalk_user("manager7078")
    status, body = user_get(cloud, "manager7078", token(cloud))
    assert status == 200
    assert (body["errcode"], body["errmsg"]) == (60121, "找不到该用户")
    assert body["request_id"]


def test_unknown_person_is_errcode_60121(cloud: LocalCloud) -> None:
    assert user_get(cloud, "nobody", token(cloud))[1]["errcode"] == 60121


def test_missing_token_is_errcode_88_with_sub_code_40000(cloud: LocalCloud) -> None:
    status, body = user_get(cloud, "manager7078", None)
    assert status == 200
    assert (body["errcode"], body["sub_code"], body["sub_msg"]) == (88, "40000", "access_token is blank")


def test_invalid_token_is_errcode_88_with_sub_code_40014(cloud: LocalCloud) -> None:
    status, body = user_get(cloud, "manager7078", "not-a-token")
    assert status == 200
    assert (body["errcode"], body["sub_code"], body["sub_msg"]) == (88, "40014", "不合法的access_token")
    assert body["errmsg"] == "ding talk error[subcode=40014,submsg=不合法的access_token]"


def test_expired_token_is_refused_with_42001(cloud: LocalCloud) -> None:
    control(cloud).add_dingtalk_user(**WANG)
    old = token(cloud)
    control(cloud).advance_clock(7201)
    status, body = user_get(cloud, "manager7078", old)
    assert status == 200
    assert (body["errcode"], body["sub_code"], body["sub_msg"]) == (88, "42001", "access_token超时")
    fresh = token(cloud)
    assert fresh != old
    assert user_get(cloud, "manager7078", fresh)[1]["errcode"] == 0


def test_token_from_before_a_reset_is_invalid(cloud: LocalCloud) -> None:
    old = token(cloud)
    control(cloud).reset()
    assert user_get(cloud, "x", old)[1]["sub_code"] == "40014"


def test_user_get_without_a_userid_is_errcode_40035(cloud: LocalCloud) -> None:
    assert call(f"{cloud.dingtalk_endpoint}/topapi/v2/user/get?access_token={token(cloud)}", {})[1]["errcode"] == 40035


# Routing, call log, faults, state


def test_unknown_topapi_path_is_errcode_22_naming_the_api(cloud: LocalCloud) -> None:
    status, body = call(f"{cloud.dingtalk_endpoint}/topapi/v2/user/notexist?access_token=x", {})
    assert (status, body["errcode"]) == (200, 22)
    assert body["sub_msg"] == "不合法ApiName\uff0cApiName = dingtalk.oapi.v2.user.notexist"


def test_unknown_path_is_errcode_404(cloud: LocalCloud) -> None:
    assert call(f"{cloud.dingtalk_endpoint}/oauth2/corpAccessToken", {}) == (
        200,
        {"errcode": 404, "errmsg": "请求的URI地址不存在"},
    )


def test_calls_are_logged_without_secrets(cloud: LocalCloud) -> None:
    access_token = token(cloud)
    user_get(cloud, "manager7078", access_token)
    records = control(cloud).calls(service="dingtalk")
    assert [(r["action"], r["code"]) for r in records] == [("GetToken", ""), ("GetUser", "60121")]
    assert cloud.config.dingtalk_app_secret not in json.dumps(records)
    assert access_token not in json.dumps(records)


def test_fault_rule_with_a_numeric_code_becomes_an_errcode(cloud: LocalCloud) -> None:
    control(cloud).add_dingtalk_user(**WANG)
    access_token = token(cloud)
    control(cloud).add_fault(
        service="dingtalk", action="GetUser", kind="error", status=500, code="-1", message="系统繁忙", count=1
    )
    status, body = user_get(cloud, "manager7078", access_token)
    assert (status, body["errcode"], body["errmsg"]) == (200, -1, "系统繁忙")
    assert user_get(cloud, "manager7078", access_token)[1]["errcode"] == 0
    assert [r["fault"] for r in control(cloud).calls(service="dingtalk", action="GetUser")] == ["error", ""]


def test_fault_rule_on_the_new_api_is_answered_in_its_format(cloud: LocalCloud) -> None:
    control(cloud).add_fault(service="dingtalk", action="GetAccessToken", kind="error", status=503, code="Busy")
    status, body = call(f"{cloud.dingtalk_endpoint}/v1.0/oauth2/accessToken", {"appKey": "a", "appSecret": "b"})
    assert (status, body["code"]) == (503, "Busy")


def test_seeded_people_appear_in_state_with_mobiles_masked(cloud: LocalCloud) -> None:
    control(cloud).seed({"dingtalk_users": [WANG, {"userid": "u2", "name": "Li Lei"}]})
    state = control(cloud).state("dingtalk")
    assert [u["userid"] for u in state["users"]] == ["manager7078", "u2"]
    assert state["users"][0]["mobile"] == "139******34"
    assert "13900001234" not in json.dumps(control(cloud).state())


def test_removing_someone_not_in_the_organisation_is_404(cloud: LocalCloud) -> None:
    with pytest.raises(ControlPlaneError) as raised:
        control(cloud).remove_dingtalk_user("nobody")
    assert raised.value.status == 404


def test_person_without_a_name_is_refused(cloud: LocalCloud) -> None:
    with pytest.raises(ControlPlaneError, match="name: required"):
        control(cloud).seed({"dingtalk_users": [{"userid": "u3"}]})

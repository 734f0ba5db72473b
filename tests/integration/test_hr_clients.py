"""The product's clients of the HR side, against the local cloud over loopback: DingTalk's open API (token cached,
fetched again once DingTalk calls it expired, 60121 read as "no such user") and RAM's GetUser through the OpenAPI
core with the role's credentials."""

from __future__ import annotations

import json

import pytest

from localcloud import LocalCloud
from localcloud.dingtalk.models import DingTalkUser
from shared.hr.dingtalk_api import DingTalkApi, DingTalkApiError
from shared.identity.ram import RamDirectory, RamError
from shared.infra.credentials import RoleCredentials


def dingtalk(cloud: LocalCloud, secret: str | None = None) -> DingTalkApi:
    cfg = cloud.config
    return DingTalkApi(cloud.dingtalk_endpoint, cfg.dingtalk_app_key, secret or cfg.dingtalk_app_secret)


def role(cloud: LocalCloud, secret: str | None = None) -> RoleCredentials:
    cfg = cloud.config
    return RoleCredentials(cfg.access_key_id, secret or cfg.access_key_secret, cfg.security_token)


def test_user_details_come_with_one_token_for_many_calls(cloud: LocalCloud) -> None:
    cloud.dingtalk.put_user(
        DingTalkUser("u1", "韩梅梅", title="Engineer", extension={"aliyun_uid": "2000000000000001"})
    )
    api = dingtalk(cloud)
    first = api.user("u1")
    again = api.user("u1")
    assert first is not None
    assert again is not None
    assert first["name"] == "韩梅梅"
    assert json.loads(first["extension"]) == {"aliyun_uid": "2000000000000001"}
    tokens = [c for c in cloud.calls.query(service="dingtalk") if c["action"] == "GetToken"]
    assert len(tokens) == 1


def test_a_person_who_left_is_none_not_an_error(cloud: LocalCloud) -> None:
    assert dingtalk(cloud).user("nobody") is None


def test_an_expired_token_is_fetched_again_once(cloud: LocalCloud) -> None:
    cloud.dingtalk.put_user(DingTalkUser("u2", "Li Lei"))
    clock = [0.0]
    api = DingTalkApi(
        cloud.dingtalk_endpoint, cloud.config.dingtalk_app_key, cloud.config.dingtalk_app_secret, clock=lambda: clock[0]
    )
    assert api.user("u2") is not None
    cloud.clock.advance(7300)  # the service expires it; our cache still believes in it
    assert api.user("u2") is not None
    tokens = [c for c in cloud.calls.query(service="dingtalk") if c["action"] == "GetToken"]
    assert len(tokens) == 2


def test_a_wrong_app_secret_is_a_configuration_error_not_retried(cloud: LocalCloud) -> None:
    with pytest.raises(DingTalkApiError) as refused:
        dingtalk(cloud, secret="wrong").user("u1")
    assert refused.value.retryable is False
    assert "wrong" not in str(refused.value)


def test_ram_user_id_by_name_with_the_roles_sts_credentials(cloud: LocalCloud) -> None:
    cloud.ram.put_user({"user_name": "lilei", "user_id": "2000000000000102"})
    directory = RamDirectory(cloud.ram_endpoint, cloud.config.region, lambda: role(cloud))
    assert directory.user_id("lilei") == "2000000000000102"
    assert directory.user_id("nobody") is None
    calls = cloud.calls.query(service="ram")
    assert (calls[0]["action"], calls[0]["params"]) == ("GetUser", {"UserName": "lilei"})


def test_ram_refusing_the_signature_is_not_taken_for_a_missing_user(cloud: LocalCloud) -> None:
    directory = RamDirectory(cloud.ram_endpoint, cloud.config.region, lambda: role(cloud, secret="not-it"))
    with pytest.raises(RamError) as refused:
        directory.user_id("lilei")
    assert refused.value.retryable is False

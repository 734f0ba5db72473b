"""The DingTalk, Feishu and RAM settings of the local cloud: ports, well-known secrets, and what they must look like."""

from __future__ import annotations

import re

import pytest

from localcloud.cli import _parser
from localcloud.config import LocalCloudConfig
from localcloud.ram.models import derived_user_id


def test_ephemeral_config_asks_for_free_dingtalk_and_ram_ports() -> None:
    config = LocalCloudConfig.ephemeral()
    assert (config.dingtalk_port, config.ram_port) == (0, 0)


def test_default_ports_follow_the_other_services() -> None:
    config = LocalCloudConfig()
    assert (config.dingtalk_port, config.ram_port) == (9915, 9916)


def test_environment_sets_the_new_ports_and_secrets() -> None:
    config = LocalCloudConfig.from_env(
        {"LOCALCLOUD_DINGTALK_PORT": "19915", "LOCALCLOUD_RAM_PORT": "19916", "LOCALCLOUD_FEISHU_APP_ID": "cli_x"}
    )
    assert (config.dingtalk_port, config.ram_port, config.feishu_app_id) == (19915, 19916, "cli_x")


def test_non_integer_dingtalk_port_names_the_variable() -> None:
    with pytest.raises(ValueError, match="LOCALCLOUD_DINGTALK_PORT"):
        LocalCloudConfig.from_env({"LOCALCLOUD_DINGTALK_PORT": "nine"})


def test_default_encoding_aes_key_has_dingtalks_shape() -> None:
    assert re.fullmatch(r"[A-Za-z0-9]{43}", LocalCloudConfig().dingtalk_aes_key)


@pytest.mark.parametrize("key", ["short", "LocalCloudDingTalkEncodingAESKey0123456789+", "x" * 44])
def test_encoding_aes_key_of_another_shape_is_refused(key: str) -> None:
    with pytest.raises(ValueError, match="dingtalk_aes_key"):
        LocalCloudConfig(dingtalk_aes_key=key)


NEW_SETTINGS = {
    "dingtalk_app_key": "dingapp",
    "dingtalk_app_secret": "secret",
    "dingtalk_corp_id": "dingcorp",
    "dingtalk_token": "token",
    "dingtalk_aes_key": "A" * 43,
    "feishu_encrypt_key": "key",
    "feishu_verification_token": "vtoken",
    "feishu_app_id": "cli_app",
}


def test_serve_takes_a_flag_for_every_new_setting_and_hands_it_to_the_config() -> None:
    argv = ["serve", "--dingtalk-port", "1", "--ram-port", "2"]
    for name, value in NEW_SETTINGS.items():
        argv += [f"--{name.replace('_', '-')}", value]
    args = vars(_parser().parse_args(argv))
    overrides = {k: v for k, v in args.items() if k not in ("command", "env_only")}
    config = LocalCloudConfig.from_env({}, **overrides)
    assert (config.dingtalk_port, config.ram_port) == (1, 2)
    assert {name: getattr(config, name) for name in NEW_SETTINGS} == NEW_SETTINGS


def test_derived_ram_user_ids_are_16_digits_and_stable() -> None:
    first = derived_user_id("1234567890123456", "wang.fang")
    assert re.fullmatch(r"[1-9][0-9]{15}", first)
    assert first == derived_user_id("1234567890123456", "wang.fang")
    assert first != derived_user_id("1234567890123456", "li.lei")

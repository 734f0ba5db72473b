"""Configuration is read once, into frozen settings; a bad value names its variable and fails at once."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from shared import wiring
from shared.config import ConfigError, DmsClientConfig, Settings, truthy

ROOT = Path(__file__).resolve().parents[2]
BASE = {"MNS_ENDPOINT": "http://127.0.0.1:9911"}


def test_defaults_are_the_readmes() -> None:
    settings = Settings.from_env(BASE)
    assert (settings.worker_concurrency, settings.max_replays, settings.dry_run) == (8, 3, False)
    assert (settings.mns_verify_md5, settings.role_mapping_path, settings.webhook_secret) == (True, None, "")
    assert settings.dms == DmsClientConfig()
    assert (settings.dms.qps, settings.dms.retry.max_attempts) == (10.0, 4)
    assert (settings.dms.connect_timeout_ms, settings.dms.read_timeout_ms) == (2000, 5000)


def test_every_variable_reaches_its_setting() -> None:
    settings = Settings.from_env(
        {
            **BASE,
            "RESULT_TOPIC": "t",
            "INPUT_QUEUE": "i",
            "DEAD_LETTER_QUEUE": "d",
            "PARKING_QUEUE": "p",
            "DMS_UNIT": "cn-shanghai",
            "DRY_RUN": "yes",
            "WEBHOOK_SECRET": "s",
            "WORKER_CONCURRENCY": "200",
            "MAX_REPLAYS": "0",
            "ROLE_MAPPING_PATH": "/etc/mapping.json",
            "MNS_VERIFY_MD5": "false",
            "FC_FUNCTION_NAME": "worker",
            "ALIBABA_CLOUD_REGION_ID": "cn-beijing",
            "DMS_ENTERPRISE_ENDPOINT": "http://127.0.0.1:9913",
            "DMS_ENDPOINT": "http://127.0.0.1:9912",
            "DMS_QPS": "20",
            "DMS_MAX_ATTEMPTS": "2",
            "DMS_CONNECT_TIMEOUT_MS": "100",
            "DMS_READ_TIMEOUT_MS": "300",
            "DMS_ALREADY_CODES": "A, B",
            "DMS_TRANSIENT_CODES": "C",
        }
    )
    assert (settings.result_topic, settings.input_queue, settings.dead_letter_queue) == ("t", "i", "d")
    assert (settings.parking_queue, settings.dms_unit, settings.dry_run) == ("p", "cn-shanghai", True)
    assert (settings.webhook_secret, settings.worker_concurrency, settings.max_replays) == ("s", 64, 0)
    assert (settings.role_mapping_path, settings.mns_verify_md5, settings.function_name) == (
        "/etc/mapping.json",
        False,
        "worker",
    )
    dms = settings.dms
    assert (dms.region, dms.enterprise_endpoint, dms.dms_endpoint) == (
        "cn-beijing",
        "http://127.0.0.1:9913",
        "http://127.0.0.1:9912",
    )
    assert (dms.qps, dms.retry.max_attempts, dms.connect_timeout_ms, dms.read_timeout_ms) == (20.0, 2, 100, 300)
    assert (dms.already_codes, dms.transient_codes) == (frozenset({"A", "B"}), frozenset({"C"}))


def test_the_mns_endpoint_is_built_from_the_account_and_region_when_not_given() -> None:
    settings = Settings.from_env({"FC_ACCOUNT_ID": "123", "FC_REGION": "cn-hangzhou"})
    assert settings.mns_endpoint == "https://123.mns.cn-hangzhou.aliyuncs.com"
    assert settings.dms_unit == "cn-hangzhou"


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("DMS_QPS", "fast", "'fast' is not an integer"),
        ("DMS_MAX_ATTEMPTS", "0", "must be positive"),
        ("DMS_READ_TIMEOUT_MS", "-5", "must be positive"),
        ("WORKER_CONCURRENCY", "0", "must be positive"),
        ("WORKER_CONCURRENCY", "eight", "'eight' is not an integer"),
        ("MAX_REPLAYS", "-1", "must be at least 0"),
        ("MNS_VERIFY_MD5", "perhaps", "'perhaps' is not true or false"),
    ],
)
def test_a_bad_value_is_refused_naming_the_variable_and_the_reason(name: str, value: str, reason: str) -> None:
    with pytest.raises(ConfigError, match=f"^{name}: {re.escape(reason)}$") as caught:
        Settings.from_env({**BASE, name: value})
    assert caught.value.name == name


def test_no_mns_endpoint_and_nothing_to_build_it_from_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"^MNS_ENDPOINT: not set"):
        Settings.from_env({})


def test_a_bad_value_fails_the_first_invocation_not_a_later_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    from functions.worker.index import handler

    monkeypatch.setenv("MNS_ENDPOINT", "http://127.0.0.1:1")
    monkeypatch.setenv("WORKER_CONCURRENCY", "many")
    wiring.reset()
    try:
        with pytest.raises(ConfigError, match=r"^WORKER_CONCURRENCY: .many. is not an integer$"):
            handler(b"[]", None)
    finally:
        wiring.reset()


def test_settings_are_frozen() -> None:
    settings = Settings.from_env(BASE)
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.dry_run = True  # type: ignore[misc]


def test_one_reading_of_yes_and_no() -> None:
    assert [truthy(v) for v in ("1", "true", " YES ", "on", "", None, "false")] == [
        True,
        True,
        True,
        False,
        False,
        False,
        False,
    ]


def test_every_variable_of_the_readmes_table_is_read_by_shared_config_and_nothing_else_reads_them() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("## Configuration") : readme.index("## The local cloud")]
    named = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", table))
    named -= {"ALIBABA_CLOUD_ACCESS_KEY_ID", "PYDANTIC_DISABLE_PLUGINS"}  # credentials are read per call
    config = (ROOT / "shared" / "config.py").read_text(encoding="utf-8")
    unread = sorted(n for n in named if f'"{n}"' not in config and not n.endswith("_"))
    assert unread == []
    readers = sorted(
        str(path.relative_to(ROOT))
        for path in (ROOT / "shared").rglob("*.py")
        if path.name != "config.py" and re.search(r"os\.environ|getenv", path.read_text(encoding="utf-8"))
    )
    assert readers == ["shared/infra/credentials.py", "shared/lifecycle/mapping.py"]


def test_the_lifecycle_variables_reach_their_settings() -> None:
    settings = Settings.from_env(
        {
            **BASE,
            "HOLD_QUEUE": "h",
            "TABLESTORE_INSTANCE": "people",
            "REGISTER_TABLE": "persons",
            "LEASE_SECONDS": "30",
            "LEAVER_ACTION": "Delete",
            "LEAVER_LIMIT": "0",
            "LEAVER_WINDOW_SECONDS": "600",
            "RECONCILE_MODE": "report",
            "DMS_ABSENT_CODES": "NoSuchUser",
            "FC_REGION": "cn-shanghai",
        }
    )
    assert settings.hold_queue == "h"
    register = settings.register
    assert (register.instance, register.table, register.lease_seconds) == ("people", "persons", 30)
    assert register.endpoint == "https://people.cn-shanghai.ots.aliyuncs.com"
    assert (settings.leavers.action, settings.leavers.limit, settings.leavers.window_seconds) == ("delete", 0, 600)
    assert settings.reconcile_mode == "report"
    assert settings.dms.absent_codes == frozenset({"NoSuchUser"})
    explicit = Settings.from_env({**BASE, "TABLESTORE_INSTANCE": "people", "TABLESTORE_ENDPOINT": "http://127.0.0.1:1"})
    assert explicit.register.endpoint == "http://127.0.0.1:1"


def test_lifecycle_defaults_are_the_readmes() -> None:
    settings = Settings.from_env(BASE)
    assert (settings.leavers.action, settings.leavers.limit, settings.leavers.window_seconds) == ("disable", 10, 3600)
    assert (settings.register.table, settings.register.lease_seconds, settings.reconcile_mode) == (
        "dms_onboarding_people",
        60,
        "repair",
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("LEAVER_ACTION", "suspend"),
        ("LEAVER_LIMIT", "-1"),
        ("LEAVER_WINDOW_SECONDS", "0"),
        ("LEASE_SECONDS", "2"),
        ("RECONCILE_MODE", "fix"),
    ],
)
def test_a_bad_lifecycle_value_names_its_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=f"^{name}: "):
        Settings.from_env({**BASE, name: value})


def test_the_register_needs_an_instance_and_says_so_by_name() -> None:
    with pytest.raises(ConfigError, match=r"^TABLESTORE_INSTANCE: "):
        Settings.from_env(BASE).register.require()


def test_dingtalk_half_configured_names_the_missing_variable() -> None:
    with pytest.raises(ConfigError, match=r"^DINGTALK_APP_KEY: needed with DINGTALK_TOKEN, DINGTALK_AES_KEY"):
        Settings.from_env({**BASE, "DINGTALK_TOKEN": "t", "DINGTALK_AES_KEY": "a" * 43})


def test_dingtalk_aes_key_must_be_the_43_character_encoding_aes_key() -> None:
    with pytest.raises(ConfigError, match=r"^DINGTALK_AES_KEY"):
        Settings.from_env({**BASE, "DINGTALK_AES_KEY": "short"})


def test_feishu_encrypt_key_without_verification_token_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"^FEISHU_VERIFICATION_TOKEN"):
        Settings.from_env({**BASE, "FEISHU_ENCRYPT_KEY": "k"})


def test_ram_user_template_naming_an_unknown_field_is_refused_with_the_known_ones() -> None:
    with pytest.raises(ConfigError, match=r"^RAM_USER_TEMPLATE: \{login\} is not one of \{userid\}"):
        Settings.from_env({**BASE, "RAM_USER_TEMPLATE": "{login}"})


def test_hr_settings_default_to_no_platform_and_a_window_wider_than_feishus_retries() -> None:
    hr = Settings.from_env(BASE).hr
    assert not hr.dingtalk.configured
    assert not hr.feishu.configured
    assert hr.window_seconds > 7.1 * 3600
    assert (hr.mobile_region, hr.uid.fields, hr.uid.ram_endpoint) == ("CN", (), "ram.aliyuncs.com")


def test_uid_field_lists_several_names_and_the_region_is_upper_cased() -> None:
    hr = Settings.from_env({**BASE, "UID_FIELD": "aliyun_uid, C-1", "MOBILE_DEFAULT_REGION": "sg"}).hr
    assert hr.uid.fields == ("aliyun_uid", "C-1")
    assert hr.mobile_region == "SG"


def test_a_region_libphonenumber_does_not_know_fails_the_instance_naming_the_variable() -> None:
    with pytest.raises(ConfigError, match=r"^MOBILE_DEFAULT_REGION: unknown phone region 'XX'"):
        wiring.Wiring({**BASE, "MOBILE_DEFAULT_REGION": "XX"})

from __future__ import annotations

import pytest

from localcloud.config import LocalCloudConfig


def test_environment_sets_ports_and_credentials() -> None:
    config = LocalCloudConfig.from_env(
        {
            "LOCALCLOUD_MNS_PORT": "19911",
            "LOCALCLOUD_ACCESS_KEY_ID": "LTAIexample",
            "LOCALCLOUD_SECURITY_TOKEN": "",
            "LOCALCLOUD_VERBOSE": "yes",
        }
    )
    assert config.mns_port == 19911
    assert config.access_key_id == "LTAIexample"
    assert config.security_token == ""
    assert config.verbose is True


def test_flags_win_over_environment() -> None:
    config = LocalCloudConfig.from_env({"LOCALCLOUD_MNS_PORT": "19911"}, mns_port=29911, region=None)
    assert config.mns_port == 29911
    assert config.region == "cn-hangzhou"


def test_non_integer_port_names_the_variable() -> None:
    with pytest.raises(ValueError, match="LOCALCLOUD_DMS_PORT"):
        LocalCloudConfig.from_env({"LOCALCLOUD_DMS_PORT": "nine"})


@pytest.mark.parametrize("host", ["0.0.0.0", "10.0.0.5", "192.168.1.1"])
def test_non_loopback_host_is_refused(host: str) -> None:
    with pytest.raises(ValueError, match="loopback"):
        LocalCloudConfig(host=host)


def test_unknown_dms_error_style_is_refused() -> None:
    with pytest.raises(ValueError, match="dms_error_style"):
        LocalCloudConfig(dms_error_style="xml")  # type: ignore[arg-type]


def test_ephemeral_config_asks_for_free_ports() -> None:
    config = LocalCloudConfig.ephemeral()
    assert (config.mns_port, config.dms_port, config.dms_enterprise_port, config.tablestore_port) == (0, 0, 0, 0)


def test_tablestore_port_and_instance_come_from_the_environment() -> None:
    config = LocalCloudConfig.from_env({"LOCALCLOUD_TABLESTORE_PORT": "19914", "LOCALCLOUD_TABLESTORE_INSTANCE": "hr"})
    assert (config.tablestore_port, config.tablestore_instance) == (19914, "hr")

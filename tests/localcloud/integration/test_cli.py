"""`python -m localcloud serve` as a person runs it: printed variables, a working endpoint, Ctrl-C."""

from __future__ import annotations

import subprocess
import sys

from localcloud.control.client import ControlClient
from localcloud.process import ROOT, LocalCloudProcess


def test_serve_prints_client_variables_and_stops_cleanly_on_ctrl_c() -> None:
    cloud = LocalCloudProcess()
    try:
        for name in (
            "MNS_ENDPOINT",
            "DMS_ENDPOINT",
            "DMS_ENTERPRISE_ENDPOINT",
            "TABLESTORE_ENDPOINT",
            "TABLESTORE_INSTANCE",
            "ALIBABA_CLOUD_ACCESS_KEY_ID",
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
            "ALIBABA_CLOUD_SECURITY_TOKEN",
        ):
            assert cloud.env.get(name), name
        assert cloud.env["MNS_ENDPOINT"].startswith("http://127.0.0.1:")
        health = ControlClient(cloud.env["LOCALCLOUD_CONTROL_URL"]).health()
        assert health["status"] == "ok"
        assert health["endpoints"]["DMS_ENDPOINT"] == cloud.env["DMS_ENDPOINT"]
    finally:
        code = cloud.stop()
    assert code == 0


def localcloud(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "localcloud", *args], cwd=ROOT, capture_output=True, text=True, timeout=30, check=False
    )


def test_serve_refuses_a_non_loopback_address() -> None:
    result = localcloud("serve", "--host", "0.0.0.0")
    assert result.returncode == 2
    assert "loopback" in result.stderr


def test_dev_refuses_an_env_option_that_is_not_name_equals_value() -> None:
    result = localcloud("dev", "--env", "DRY_RUN")
    assert result.returncode == 2
    assert "expected NAME=VALUE" in result.stderr

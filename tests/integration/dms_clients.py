"""Official DMS SDK clients aimed at a local cloud: what every DMS integration test builds on."""

from __future__ import annotations

from alibabacloud_dms20250414 import models as dms_models
from alibabacloud_dms20250414.client import Client as DmsClient
from alibabacloud_dms_enterprise20181101 import models as enterprise_models
from alibabacloud_dms_enterprise20181101.client import Client as EnterpriseClient
from alibabacloud_tea_openapi.models import Config

from localcloud import LocalCloud

__all__ = ["dms_client", "dms_models", "enterprise_client", "enterprise_models", "tea_config"]


def tea_config(
    endpoint: str,
    access_key_id: str,
    access_key_secret: str,
    security_token: str | None = None,
    read_timeout_ms: int = 3000,
) -> Config:
    return Config(
        access_key_id=access_key_id,
        access_key_secret=access_key_secret,
        security_token=security_token or None,
        endpoint=endpoint.removeprefix("http://"),
        protocol="http",
        region_id="cn-hangzhou",
        read_timeout=read_timeout_ms,
        connect_timeout=1000,
    )


def _config(cloud: LocalCloud, endpoint: str, **overrides: object) -> Config:
    values: dict[str, object] = {
        "access_key_id": cloud.config.access_key_id,
        "access_key_secret": cloud.config.access_key_secret,
        "security_token": cloud.config.security_token,
    }
    values.update(overrides)
    return tea_config(endpoint, **values)  # type: ignore[arg-type]


def enterprise_client(cloud: LocalCloud, **overrides: object) -> EnterpriseClient:
    """dms-enterprise 2018-11-01 (RegisterUser), with the cloud's STS credentials unless overridden."""
    return EnterpriseClient(_config(cloud, cloud.dms_enterprise_endpoint, **overrides))


def dms_client(cloud: LocalCloud, **overrides: object) -> DmsClient:
    """dms 2025-04-14 (AddUserToDataAgentWorkspace)."""
    return DmsClient(_config(cloud, cloud.dms_endpoint, **overrides))

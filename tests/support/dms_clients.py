"""Official DMS SDK clients aimed at a local cloud: what every DMS integration test builds on.

Clients are configured exactly as production code would configure them, except for the endpoint, plain HTTP
and short timeouts, so a test proves what the real SDK sends and raises.
"""

from __future__ import annotations

from typing import Any

from alibabacloud_dms20250414 import models as dms_models
from alibabacloud_dms20250414.client import Client as DmsClient
from alibabacloud_dms_enterprise20181101 import models as enterprise_models
from alibabacloud_dms_enterprise20181101.client import Client as EnterpriseClient
from alibabacloud_tea_openapi.models import Config, OpenApiRequest, Params
from darabonba.runtime import RuntimeOptions

from localcloud import LocalCloud

__all__ = ["call_action", "dms_client", "dms_models", "enterprise_client", "enterprise_models", "tea_config"]


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


def _config(cloud: LocalCloud, endpoint: str, **overrides: Any) -> Config:
    values: dict[str, Any] = {
        "access_key_id": cloud.config.access_key_id,
        "access_key_secret": cloud.config.access_key_secret,
        "security_token": cloud.config.security_token,
    }
    values.update(overrides)
    return tea_config(endpoint, **values)


def enterprise_client(cloud: LocalCloud, **overrides: Any) -> EnterpriseClient:
    """dms-enterprise 2018-11-01 (RegisterUser), with the cloud's STS credentials unless overridden."""
    return EnterpriseClient(_config(cloud, cloud.dms_enterprise_endpoint, **overrides))


def dms_client(cloud: LocalCloud, **overrides: Any) -> DmsClient:
    """dms 2025-04-14 (AddUserToDataAgentWorkspace)."""
    return DmsClient(_config(cloud, cloud.dms_endpoint, **overrides))


def call_action(cloud: LocalCloud, product: str, action: str, version: str, query: dict[str, str]) -> Any:
    """Any action at any version through the SDK's generic `call_api`: how a test reaches routes no model has."""
    endpoint = cloud.dms_endpoint if product == "dms" else cloud.dms_enterprise_endpoint
    client = DmsClient(_config(cloud, endpoint))
    params = Params(
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
    return client.call_api(params, OpenApiRequest(query=query), RuntimeOptions())

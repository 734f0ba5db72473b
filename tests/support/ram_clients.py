"""The official RAM SDK (`alibabacloud-ram20150501`) and the OpenAPI core aimed at a local cloud's RAM emulator."""

from __future__ import annotations

from typing import Any

from alibabacloud_ram20150501 import models as ram_models
from alibabacloud_ram20150501.client import Client as RamClient
from alibabacloud_tea_openapi.client import Client as CoreClient
from alibabacloud_tea_openapi.models import OpenApiRequest, Params
from darabonba.runtime import RuntimeOptions

from localcloud import LocalCloud
from tests.support.dms_clients import tea_config

__all__ = ["call_get_user", "ram_client", "ram_models"]


def _config(cloud: LocalCloud, **overrides: Any) -> Any:
    values: dict[str, Any] = {
        "access_key_id": cloud.config.access_key_id,
        "access_key_secret": cloud.config.access_key_secret,
        "security_token": cloud.config.security_token,
    }
    values.update(overrides)
    return tea_config(cloud.ram_endpoint, **values)


def ram_client(cloud: LocalCloud, **overrides: Any) -> Any:
    """The generated RAM client, with the cloud's STS credentials unless overridden."""
    return RamClient(_config(cloud, **overrides))


def call_get_user(cloud: LocalCloud, user_name: str, **overrides: Any) -> Any:
    """GetUser through the OpenAPI core's generic `call_api`, as the product calls RAM."""
    params = Params(
        action="GetUser",
        version="2015-05-01",
        protocol="HTTPS",
        pathname="/",
        method="POST",
        auth_type="AK",
        style="RPC",
        req_body_type="formData",
        body_type="json",
    )
    client = CoreClient(_config(cloud, **overrides))
    return client.call_api(params, OpenApiRequest(query={"UserName": user_name}), RuntimeOptions())

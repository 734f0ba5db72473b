"""Alibaba Cloud's OpenAPI core (`alibabacloud_tea_openapi`), called the way the generated SDKs call it.

The generated SDK of a product is a thin layer over this core: it copies a request model into a query, names the
action and version in a `Params`, and calls `call_api`. The product makes that call itself (DMS, RAM), so it loads
one core instead of a generated package of model modules per product. Imported on first use only.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from shared.infra.credentials import RoleCredentials


def split_endpoint(value: str) -> tuple[str, str]:
    """(protocol, host[:port]) from `https://host`, `http://127.0.0.1:9912` or a bare host."""
    for scheme in ("https", "http"):
        prefix = scheme + "://"
        if value.startswith(prefix):
            return scheme, value[len(prefix) :].rstrip("/")
    return "https", value.rstrip("/")


def core_client(
    endpoint: str, protocol: str, region: str, credentials: RoleCredentials, connect_ms: int, read_ms: int
) -> Any:
    from alibabacloud_tea_openapi.client import Client
    from alibabacloud_tea_openapi.utils_models import Config

    return Client(
        Config(
            access_key_id=credentials.access_key_id,
            access_key_secret=credentials.access_key_secret,
            security_token=credentials.security_token or None,
            region_id=region,
            endpoint=endpoint,
            protocol=protocol,
            connect_timeout=connect_ms,
            read_timeout=read_ms,
        )
    )


@functools.cache
def rpc_params(action: str, version: str) -> Any:
    """The core's `Params` as the generated RPC-style methods spell them: POST to `/`, parameters in the query,
    JSON back."""
    from alibabacloud_tea_openapi.utils_models import Params

    return Params(
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


def call_rpc(
    client: Any, action: str, version: str, parameters: Mapping[str, Any], read_ms: int, connect_ms: int
) -> Mapping[str, Any]:
    """The answer's body as a map; raises what the core raises (its TeaException carries code and status)."""
    from alibabacloud_tea_openapi.utils import Utils
    from alibabacloud_tea_openapi.utils_models import OpenApiRequest
    from darabonba.runtime import RuntimeOptions

    request = OpenApiRequest(query=Utils.query(dict(parameters)))
    runtime = RuntimeOptions(read_timeout=read_ms, connect_timeout=connect_ms)
    answer = client.call_api(rpc_params(action, version), request, runtime)
    body = answer.get("body") if isinstance(answer, Mapping) else None
    return body if isinstance(body, Mapping) else {}

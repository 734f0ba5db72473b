"""How an operation reaches DMS: today through the generated SDK clients, built per issue of credentials.

`RegisterUser` lives in `alibabacloud-dms-enterprise20181101` and `AddUserToDataAgentWorkspace` in
`alibabacloud-dms20250414`. Both clients are built once per function instance from the role's STS credentials
and rebuilt when FC hands out a new token. An operation is invoked by name (its request model filled from the
wire-named parameters, its `*_with_options` method called), so no operation is written out here. The SDKs are
imported on first use only: they cost most of a second to import, and the webhook's enqueue path never needs
them.

Endpoints default to the real services and are overridden from the environment (`DMS_ENTERPRISE_ENDPOINT`,
`DMS_ENDPOINT`, `host[:port]` or a full `http(s)://` URL), which is how the same code runs on the local cloud.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Mapping
from typing import Any

from shared.config import DmsClientConfig
from shared.dms.operations import Operation, Product
from shared.infra.credentials import RoleCredentials

PACKAGES: dict[Product, str] = {
    "dms-enterprise": "alibabacloud_dms_enterprise20181101",
    "dms": "alibabacloud_dms20250414",
}


def split_endpoint(value: str) -> tuple[str, str]:
    """(protocol, host[:port]) from `https://host`, `http://127.0.0.1:9912` or a bare host."""
    for scheme in ("https", "http"):
        prefix = scheme + "://"
        if value.startswith(prefix):
            return scheme, value[len(prefix) :].rstrip("/")
    return "https", value.rstrip("/")


class _Clients:
    """One SDK client per product, for one issue of credentials."""

    def __init__(self, config: DmsClientConfig, credentials: RoleCredentials) -> None:
        from alibabacloud_tea_openapi.models import Config

        def sdk_config(endpoint: str) -> Any:
            protocol, host = split_endpoint(endpoint) if endpoint else ("https", None)
            return Config(
                access_key_id=credentials.access_key_id,
                access_key_secret=credentials.access_key_secret,
                security_token=credentials.security_token or None,
                region_id=config.region,
                endpoint=host,
                protocol=protocol,
                connect_timeout=config.connect_timeout_ms,
                read_timeout=config.read_timeout_ms,
            )

        endpoints: dict[Product, str] = {"dms-enterprise": config.enterprise_endpoint, "dms": config.dms_endpoint}
        self.fingerprint = credentials.fingerprint
        self.models: dict[Product, Any] = {}
        self.clients: dict[Product, Any] = {}
        for product, package in PACKAGES.items():
            self.models[product] = importlib.import_module(package + ".models")
            client_class = importlib.import_module(package + ".client").Client
            self.clients[product] = client_class(sdk_config(endpoints[product]))


class SdkTransport:
    def __init__(self, config: DmsClientConfig, credentials: Callable[[], RoleCredentials]) -> None:
        self._config = config
        self._credentials = credentials
        self._lock = threading.Lock()
        self._clients: _Clients | None = None

    def clients(self) -> _Clients:
        """The clients for the credentials current now, built again when FC has issued new ones."""
        current = self._credentials()
        with self._lock:
            if self._clients is None or self._clients.fingerprint != current.fingerprint:
                self._clients = _Clients(self._config, current)
            return self._clients

    def forget(self) -> None:
        """Drop the clients, so the next call builds them with whatever credentials are current then."""
        with self._lock:
            self._clients = None

    def invoke(
        self, operation: Operation, parameters: Mapping[str, Any], read_timeout_ms: int, connect_timeout_ms: int
    ) -> Mapping[str, Any]:
        """The answer's body as a map; raises what the SDK raises (classified by shared.dms.verdicts)."""
        from darabonba.runtime import RuntimeOptions

        clients = self.clients()
        request = getattr(clients.models[operation.product], operation.request_model)().from_map(dict(parameters))
        method = getattr(clients.clients[operation.product], operation.method_name)
        runtime = RuntimeOptions(read_timeout=read_timeout_ms, connect_timeout=connect_timeout_ms)
        body: Mapping[str, Any] = method(request, runtime).body.to_map()
        return body

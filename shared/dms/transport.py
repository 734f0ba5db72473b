"""How an operation reaches DMS: through the official OpenAPI core's generic call path, not the generated SDKs.

The generated clients (`alibabacloud-dms-enterprise20181101`, `alibabacloud-dms20250414`) are thin wrappers over
`alibabacloud_tea_openapi`: each `*_with_options` method copies its request model into a query, names the action
and version in a `Params`, and hands both to `call_api`. Importing them loads about 1,500 model modules (20 MB) to
make a handful of calls, so the product makes the same `call_api` call itself from its operation table
(shared.dms.operations), with the endpoint rule each generated client uses. tests/integration/test_dms_generic_core.py
proves, operation by operation, that the request on the wire is the generated client's, signed headers included.

One core client per product is built per issue of credentials and rebuilt when FC hands out a new token. The
core is imported on first use only: the webhook's enqueue path never needs it.

Endpoints default to the real services and are overridden from the environment (`DMS_ENTERPRISE_ENDPOINT`,
`DMS_ENDPOINT`, `host[:port]` or a full `http(s)://` URL), which is how the same code runs on the local cloud.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

from shared.config import DmsClientConfig
from shared.dms.operations import ENDPOINT_RULES, Operation, Product
from shared.infra.credentials import PerCredentials, RoleCredentials
from shared.infra.openapi import call_rpc, core_client, split_endpoint


class _Cores:
    """One OpenAPI core client per product, for one issue of credentials."""

    def __init__(self, config: DmsClientConfig, credentials: RoleCredentials) -> None:
        from alibabacloud_tea_openapi.utils import Utils

        configured: dict[Product, str] = {"dms-enterprise": config.enterprise_endpoint, "dms": config.dms_endpoint}
        self.clients: dict[Product, Any] = {}
        for product, rule in ENDPOINT_RULES.items():
            if configured[product]:
                protocol, host = split_endpoint(configured[product])
            else:  # what the generated client's get_endpoint computes when no endpoint is given
                protocol, host = "https", Utils.get_endpoint_rules(product, config.region, rule, "", "")
            self.clients[product] = core_client(
                host, protocol, config.region, credentials, config.connect_timeout_ms, config.read_timeout_ms
            )


class OpenApiTransport:
    def __init__(self, config: DmsClientConfig, credentials: Callable[[], RoleCredentials]) -> None:
        self._cores = PerCredentials(credentials, functools.partial(_Cores, config))

    def cores(self) -> _Cores:
        """The clients for the credentials current now, built again when FC has issued new ones."""
        return self._cores.get()

    def forget(self) -> None:
        """Drop the clients, so the next call builds them with whatever credentials are current then."""
        self._cores.forget()

    def invoke(
        self, operation: Operation, parameters: Mapping[str, Any], read_timeout_ms: int, connect_timeout_ms: int
    ) -> Mapping[str, Any]:
        """The answer's body as a map; raises what the core raises (classified by shared.dms.verdicts)."""
        client = self.cores().clients[operation.product]
        return call_rpc(client, operation.action, operation.version, parameters, read_timeout_ms, connect_timeout_ms)

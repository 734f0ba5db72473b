"""The generated DMS SDK clients as a transport: the reference the product's generic call path is held to.

The product calls DMS through the OpenAPI core (shared.dms.transport). These clients stay in the development
requirements so that tests can send every operation both ways and compare what reaches the local cloud.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Mapping
from typing import Any

from alibabacloud_tea_openapi.models import Config
from darabonba.runtime import RuntimeOptions

from shared.config import DmsClientConfig
from shared.dms.operations import (
    ADD_USER_TO_DATA_AGENT_WORKSPACE,
    DELETE_USER,
    DISABLE_USER,
    ENABLE_USER,
    GET_DATA_AGENT_WORKSPACE_INFO,
    GET_USER,
    LIST_DATA_AGENT_WORKSPACE_MEMBER,
    LIST_USERS,
    REGISTER_USER,
    REMOVE_USER_TO_DATA_AGENT_WORKSPACE,
    UPDATE_DATA_AGENT_WORKSPACE_MEMBER_ROLE,
    UPDATE_USER,
    Operation,
    Product,
)
from shared.infra.credentials import RoleCredentials
from shared.infra.openapi import split_endpoint

PACKAGES: dict[Product, str] = {
    "dms-enterprise": "alibabacloud_dms_enterprise20181101",
    "dms": "alibabacloud_dms20250414",
}

SAMPLE_UID = "2000000000001"
SAMPLE_WORKSPACE = "209230000007291"
MEMBER: dict[str, object] = {"WorkspaceId": SAMPLE_WORKSPACE, "MemberId": SAMPLE_UID}
SAMPLE_PARAMETERS: dict[Operation, dict[str, object]] = {
    REGISTER_USER: {"Uid": SAMPLE_UID, "UserNick": "Ada", "RoleNames": "USER"},
    GET_USER: {"Uid": SAMPLE_UID},
    LIST_USERS: {"PageNumber": 1, "PageSize": 10, "UserState": "NORMAL"},
    UPDATE_USER: {
        "Uid": int(SAMPLE_UID),
        "RoleNames": "USER,ADMIN",
        "UserNick": "Ada King",
        "Mobile": "+8613911112222",
    },
    DISABLE_USER: {"Uid": SAMPLE_UID},
    ENABLE_USER: {"Uid": SAMPLE_UID},
    DELETE_USER: {"Uid": SAMPLE_UID},
    ADD_USER_TO_DATA_AGENT_WORKSPACE: {**MEMBER, "RoleName": "MEMBER"},
    UPDATE_DATA_AGENT_WORKSPACE_MEMBER_ROLE: {**MEMBER, "RoleName": "ADMIN", "DMSUnit": "cn-hangzhou"},
    REMOVE_USER_TO_DATA_AGENT_WORKSPACE: MEMBER,
    LIST_DATA_AGENT_WORKSPACE_MEMBER: {
        "WorkspaceId": SAMPLE_WORKSPACE,
        "PageNumber": 1,
        "PageSize": 10,
        "SearchMemberId": "2",
    },
    GET_DATA_AGENT_WORKSPACE_INFO: {"WorkspaceId": SAMPLE_WORKSPACE, "DMSUnit": "cn-hangzhou"},
}
NEEDS_A_MEMBER = {UPDATE_DATA_AGENT_WORKSPACE_MEMBER_ROLE, REMOVE_USER_TO_DATA_AGENT_WORKSPACE}
"""Operations whose sample needs the user in the workspace first (and EnableUser a disabled user)."""


_WORD_START = re.compile(r"(?<!^)(?=[A-Z])")


def method_name(operation: Operation) -> str:
    """The generated client's method for it: RegisterUser -> register_user_with_options."""
    return _WORD_START.sub("_", operation.action).lower() + "_with_options"


def request_model(operation: Operation) -> Any:
    return getattr(importlib.import_module(PACKAGES[operation.product] + ".models"), operation.action + "Request")


class GeneratedSdkTransport:
    """Same interface as shared.dms.transport.OpenApiTransport; endpoints left to the generated clients' own rules
    when not configured."""

    def __init__(self, config: DmsClientConfig, credentials: Callable[[], RoleCredentials]) -> None:
        self._config = config
        self._credentials = credentials
        self._clients: dict[Product, Any] = {}

    def client(self, product: Product) -> Any:
        if product not in self._clients:
            endpoint = self._config.enterprise_endpoint if product == "dms-enterprise" else self._config.dms_endpoint
            protocol, host = split_endpoint(endpoint) if endpoint else ("https", None)
            credentials = self._credentials()
            config = Config(
                access_key_id=credentials.access_key_id,
                access_key_secret=credentials.access_key_secret,
                security_token=credentials.security_token or None,
                region_id=self._config.region,
                endpoint=host,
                protocol=protocol,
                connect_timeout=self._config.connect_timeout_ms,
                read_timeout=self._config.read_timeout_ms,
            )
            self._clients[product] = importlib.import_module(PACKAGES[product] + ".client").Client(config)
        return self._clients[product]

    def forget(self) -> None:
        self._clients.clear()

    def invoke(
        self, operation: Operation, parameters: Mapping[str, Any], read_timeout_ms: int, connect_timeout_ms: int
    ) -> Mapping[str, Any]:
        request = request_model(operation)().from_map(dict(parameters))
        method = getattr(self.client(operation.product), method_name(operation))
        runtime = RuntimeOptions(read_timeout=read_timeout_ms, connect_timeout=connect_timeout_ms)
        body: Mapping[str, Any] = method(request, runtime).body.to_map()
        return body

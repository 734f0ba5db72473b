"""The product's DMS requests are the generated SDK clients' requests, operation by operation.

The product calls DMS through the OpenAPI core's generic path (shared.dms.transport) so that its code packages
do without the generated clients. Each operation is sent both ways against the same DMS state, and the local
cloud's call log must show the same action, version, parameters and signed headers (all but the per-request
nonce and date), and the client must read the same answer. A generated client that changes how it spells a
request shows up here, not in production.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from localcloud import LocalCloud
from shared.config import DmsClientConfig
from shared.dms.client import CallResult, DmsClient, Transport
from shared.dms.operations import DISABLE_USER, ENABLE_USER, OPERATIONS, REGISTER_USER, Operation
from shared.dms.transport import OpenApiTransport
from shared.infra.credentials import RoleCredentials
from shared.infra.retry import Deadline
from tests.support.dms_reference import (
    NEEDS_A_MEMBER,
    SAMPLE_PARAMETERS,
    SAMPLE_UID,
    SAMPLE_WORKSPACE,
    GeneratedSdkTransport,
)

VOLATILE = {"x-acs-signature-nonce", "x-acs-date"}


def settings(cloud: LocalCloud) -> DmsClientConfig:
    return DmsClientConfig.from_env(
        {
            "DMS_ENDPOINT": cloud.dms_endpoint,
            "DMS_ENTERPRISE_ENDPOINT": cloud.dms_enterprise_endpoint,
            "ALIBABA_CLOUD_REGION_ID": cloud.config.region,
        }
    )


def role(cloud: LocalCloud) -> RoleCredentials:
    return RoleCredentials(cloud.config.access_key_id, cloud.config.access_key_secret, cloud.config.security_token)


def send(cloud: LocalCloud, transport: Transport, operation: Operation) -> tuple[dict[str, Any], CallResult]:
    """From the same starting state: the request as the call log saw it, and what the client made of the answer."""
    cloud.reset()
    cloud.dms.add_workspace(SAMPLE_WORKSPACE)
    client = DmsClient(settings(cloud), lambda: role(cloud), transport=transport)
    if operation is not REGISTER_USER:
        client.call(REGISTER_USER, {"Uid": SAMPLE_UID, "UserNick": "Ada", "RoleNames": "USER"}, Deadline.after(10))
    if operation in NEEDS_A_MEMBER:
        cloud.dms.add_workspace_member(SAMPLE_WORKSPACE, SAMPLE_UID, "MEMBER")
    if operation is ENABLE_USER:
        client.call(DISABLE_USER, {"Uid": SAMPLE_UID}, Deadline.after(10))
    since = max([int(c["seq"]) for c in cloud.calls.query()], default=0)  # type: ignore[call-overload]
    result = client.call(operation, SAMPLE_PARAMETERS[operation], Deadline.after(10))
    (call,) = cloud.calls.query(service=operation.product, action=operation.action, since=since)
    return call, result


def request_of(call: Mapping[str, Any]) -> dict[str, Any]:
    headers = {name: value for name, value in call["headers"].items() if name not in VOLATILE}
    return {"action": call["action"], "params": call["params"], "headers": headers}


def answer_of(result: CallResult) -> dict[str, Any]:
    body = {key: value for key, value in result.body.items() if key != "RequestId"}
    return {"result": result.result, "verdict": result.verdict.code, "body": body}


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda operation: operation.action)
def test_the_generic_request_is_the_generated_clients_request(cloud: LocalCloud, operation: Operation) -> None:
    reference, expected = send(cloud, GeneratedSdkTransport(settings(cloud), lambda: role(cloud)), operation)
    product, got = send(cloud, OpenApiTransport(settings(cloud), lambda: role(cloud)), operation)
    assert reference["status"] == 200
    assert {"x-acs-action", "x-acs-version", "x-acs-content-sha256", "host"} <= reference["headers"].keys()
    assert reference["headers"]["x-acs-version"] == operation.version
    assert request_of(product) == request_of(reference)
    assert answer_of(got) == answer_of(expected)


@pytest.mark.parametrize("region", ["cn-hangzhou", "ap-southeast-1"])
def test_without_a_configured_endpoint_each_product_goes_where_its_generated_client_would(region: str) -> None:
    config = DmsClientConfig.from_env({"ALIBABA_CLOUD_REGION_ID": region, "DMS_ENTERPRISE_ENDPOINT": ""})
    credentials = RoleCredentials("LTAI-id", "secret", "")
    cores = OpenApiTransport(config, lambda: credentials).cores()
    reference = GeneratedSdkTransport(config, lambda: credentials)
    for product in ("dms-enterprise", "dms"):
        assert cores.clients[product]._endpoint == reference.client(product)._endpoint
    assert cores.clients["dms"]._endpoint == f"dms.{region}.aliyuncs.com"

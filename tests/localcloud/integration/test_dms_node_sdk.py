"""The DMS emulator through a second official client: the Darabonba OpenAPI core for Node.js.

`tests/node/dms_register_user.mjs` calls RegisterUser (dms-enterprise 2018-11-01, RPC) with
`@alicloud/openapi-client`'s `callApi`, signed ACS3-HMAC-SHA256 with the cloud's STS credentials. That signer
differs from tea-openapi's in Python (it signs only `host`, `content-type` and `x-acs-*`, and encodes the query
itself), so a pass here means the verifier follows `SignedHeaders` rather than one SDK's habits.
"""

from __future__ import annotations

from typing import Any

import pytest

from localcloud import LocalCloud
from tests.support.node_clients import requires_node, run_node

pytestmark = requires_node

UID = "20240001"
NICK = "Nodé 张三 (ops) & co. *~!'+/=?%"  # every character the two encoders could disagree on


@pytest.fixture
def calls(cloud: LocalCloud) -> dict[str, Any]:
    result = run_node(cloud, "dms_register_user.mjs", "--uid", UID, "--nick", NICK, "--roles", "USER,DBA")
    assert result["sdk"] == "@alicloud/openapi-client"
    found: dict[str, Any] = result["calls"]
    return found


def test_register_user_lands_in_the_tenant_with_nick_and_roles(cloud: LocalCloud, calls: dict[str, Any]) -> None:
    answer = calls["register"]
    assert (answer.get("statusCode"), answer["body"]["Success"]) == (200, True), answer
    assert len(answer["body"]["RequestId"]) == 36
    (user,) = cloud.dms.snapshot()["users"]
    assert (user["tid"], user["uid"], user["nick"], user["role_names"]) == (
        cloud.config.dms_tid,
        UID,
        NICK,
        ["USER", "DBA"],
    )


def test_a_second_registration_is_a_business_error_in_the_body(calls: dict[str, Any]) -> None:
    again = calls["registerAgain"]
    assert again["statusCode"] == 200
    assert (again["body"]["Success"], again["body"]["ErrorCode"]) == (False, "UserExisted")


def test_a_wrong_secret_is_refused_by_the_gateway(cloud: LocalCloud, calls: dict[str, Any]) -> None:
    assert calls["wrongSecret"]["error"] == "SignatureDoesNotMatch"
    assert [u["uid"] for u in cloud.dms.snapshot()["users"]] == [UID]
    # This test's calls only (the script's two uids): an earlier test's hung request may be logged after the reset.
    mine = [c for c in cloud.calls.query(service="dms-enterprise") if c["params"].get("Uid") in (UID, "20249999")]  # type: ignore[attr-defined]
    logged = [(c["action"], c["status"], c["code"]) for c in mine]
    assert logged == [
        ("RegisterUser", 200, ""),
        ("RegisterUser", 200, "UserExisted"),
        ("RegisterUser", calls["wrongSecret"]["statusCode"], "SignatureDoesNotMatch"),
    ]

"""The lifecycle's floor: the calls the worker makes for a hire, a move and a leave, made by a bare script.

    python bench/floor_lifecycle.py generic|generated UID   (one hire in a fresh process: a cold-start floor)

Per event the worker reads the person's register row, claims it with a conditional write, reads DMS, makes the
calls the difference needs, settles the row and publishes an outcome; a leave also passes the breaker's row. This
script makes the same calls with the same SDKs and conditions and nothing else: no contract, no logging, no
retries, no lease bookkeeping. `generic` calls DMS as the product does, through the OpenAPI core's `call_api`;
`generated` through the generated SDK clients (the naive floor). bench/product.py checks, from the call log,
that the product and this floor make the same calls.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Mapping
from typing import Any

WORKSPACE = "209230000007305"
TABLE = "dms_onboarding_people"
OUTCOME = json.dumps({"uid": "UID", "status": "STATUS", "padding": "x" * 900})
"""An outcome's size: the same call means the same payload."""


class Floor:
    def __init__(self, env: Mapping[str, str], dms: str) -> None:
        from mns.account import Account
        from tablestore import OTSClient

        self.env = env
        key, secret, token = (
            env["ALIBABA_CLOUD_ACCESS_KEY_ID"],
            env["ALIBABA_CLOUD_ACCESS_KEY_SECRET"],
            env["ALIBABA_CLOUD_SECURITY_TOKEN"],
        )
        self.ots = OTSClient(
            env["TABLESTORE_ENDPOINT"],
            key,
            secret,
            env["TABLESTORE_INSTANCE"],
            sts_token=token,
            region="cn-hangzhou",
            enable_native=False,
        )
        self.topic = Account(env["MNS_ENDPOINT"], key, secret, token).get_topic(env.get("RESULT_TOPIC", "hr-results"))
        self.dms = GeneratedDms(env) if dms == "generated" else GenericDms(env)
        self.revisions: dict[str, int] = {}

    # the register

    def read(self, uid: str) -> None:
        _, row, _ = self.ots.get_row(TABLE, [("uid", uid)], max_version=1)
        if row is not None:
            self.revisions[uid] = next(v for name, v, *_ in row.attribute_columns if name == "revision")

    def create(self, uid: str, columns: list[tuple[str, Any]]) -> None:
        from tablestore import Condition, Row, RowExistenceExpectation

        self.ots.put_row(TABLE, Row([("uid", uid)], columns), Condition(RowExistenceExpectation.EXPECT_NOT_EXIST))
        self.revisions[uid] = 1

    def update(self, uid: str, columns: list[tuple[str, Any]]) -> None:
        from tablestore import ComparatorType, Condition, Row, RowExistenceExpectation, SingleColumnCondition

        revision = self.revisions[uid]
        at = SingleColumnCondition("revision", revision, ComparatorType.EQUAL, pass_if_missing=False)
        columns = [*columns, ("revision", revision + 1)]
        self.ots.update_row(
            TABLE, Row([("uid", uid)], {"PUT": columns}), Condition(RowExistenceExpectation.EXPECT_EXIST, at)
        )
        self.revisions[uid] = revision + 1

    def publish(self, uid: str, status: str) -> None:
        from mns.topic import TopicMessage

        self.topic.publish_message(TopicMessage(OUTCOME.replace("UID", uid).replace("STATUS", status), status))

    # the three events

    def hire(self, uid: str) -> None:
        row = person(uid, "active", ["USER"], "MEMBER")
        self.read(uid)
        self.create(uid, [*row, ("revision", 1)])
        self.dms.call("dms-enterprise", "GetUser", {"Uid": uid})
        self.dms.call("dms-enterprise", "RegisterUser", {"Uid": uid, "UserNick": f"Bench {uid}", "RoleNames": "USER"})
        self.dms.call(
            "dms", "AddUserToDataAgentWorkspace", {"WorkspaceId": WORKSPACE, "MemberId": uid, "RoleName": "MEMBER"}
        )
        self.update(uid, [("converged", True)])
        self.publish(uid, "provisioned")

    def move(self, uid: str) -> None:
        self.read(uid)
        self.update(uid, person(uid, "active", ["USER", "DBA"], "ADMIN"))
        self.dms.call("dms-enterprise", "GetUser", {"Uid": uid})
        self.dms.call("dms", "ListDataAgentWorkspaceMember", {"WorkspaceId": WORKSPACE, "SearchMemberId": uid})
        self.dms.call("dms-enterprise", "UpdateUser", {"Uid": uid, "UserNick": f"Moved {uid}", "RoleNames": "USER,DBA"})
        self.dms.call(
            "dms",
            "UpdateDataAgentWorkspaceMemberRole",
            {"WorkspaceId": WORKSPACE, "MemberId": uid, "RoleName": "ADMIN"},
        )
        self.update(uid, [("converged", True)])
        self.publish(uid, "updated")

    def leave(self, uid: str) -> None:
        self.read(uid)
        self.update(uid, [("lease_token", "t"), ("lease_until_ms", int(time.time() * 1000) + 60_000)])
        self.dms.call("dms-enterprise", "GetUser", {"Uid": uid})
        self.dms.call("dms", "ListDataAgentWorkspaceMember", {"WorkspaceId": WORKSPACE, "SearchMemberId": uid})
        breaker = "~leaver-breaker"
        self.read(breaker)
        if breaker in self.revisions:
            self.update(breaker, [("document", json.dumps({"recent": [int(time.time() * 1000)]}))])
        else:
            self.create(breaker, [("document", json.dumps({"recent": [int(time.time() * 1000)]})), ("revision", 1)])
        self.update(uid, person(uid, "left", [], ""))
        self.dms.call("dms", "RemoveUserToDataAgentWorkspace", {"WorkspaceId": WORKSPACE, "MemberId": uid})
        self.dms.call("dms-enterprise", "DisableUser", {"Uid": uid})
        self.update(uid, [("converged", True)])
        self.publish(uid, "deprovisioned")


def person(uid: str, status: str, roles: list[str], workspace_role: str) -> list[tuple[str, Any]]:
    """A register row's columns, as many and as large as the product's."""
    desired = {"active": status == "active", "nickname": f"Bench {uid}", "roles": roles, "mobile": "+8613812345678"}
    granted = [{"workspace_id": WORKSPACE, "dms_unit": "cn-hangzhou"}] if workspace_role else []
    now = int(time.time() * 1000)
    return [
        ("version", f"{now * 1000:020d}|bench:{uid}"),
        ("event_id", f"bench:{uid}"),
        ("event_source", "bench"),
        ("event_type", "employee.hired"),
        ("status", status),
        ("desired", json.dumps({**desired, "workspace_role": workspace_role, "workspace_id": WORKSPACE})),
        ("granted", json.dumps(granted)),
        ("converged", False),
        ("lease_token", "t"),
        ("lease_until_ms", now + 60_000),
        ("write_id", f"w{now}"),
        ("updated_at_ms", now),
    ]


class GenericDms:
    """DMS through the OpenAPI core's generic call path, as shared.dms.transport makes its calls."""

    def __init__(self, env: Mapping[str, str]) -> None:
        from alibabacloud_tea_openapi.client import Client
        from alibabacloud_tea_openapi.utils_models import Config

        self.clients = {
            product: Client(config(Config, env, env[variable]))
            for product, variable in (("dms-enterprise", "DMS_ENTERPRISE_ENDPOINT"), ("dms", "DMS_ENDPOINT"))
        }

    def call(self, product: str, action: str, query: dict[str, str]) -> None:
        from alibabacloud_tea_openapi.utils import Utils
        from alibabacloud_tea_openapi.utils_models import OpenApiRequest, Params
        from darabonba.runtime import RuntimeOptions

        version = "2018-11-01" if product == "dms-enterprise" else "2025-04-14"
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
        self.clients[product].call_api(params, OpenApiRequest(query=Utils.query(query)), RuntimeOptions())


class GeneratedDms:
    """DMS through the generated SDK clients: what a naive implementation imports and calls."""

    def __init__(self, env: Mapping[str, str]) -> None:
        from alibabacloud_dms20250414 import models as data_agent_models
        from alibabacloud_dms20250414.client import Client as DataAgent
        from alibabacloud_dms_enterprise20181101 import models as enterprise_models
        from alibabacloud_dms_enterprise20181101.client import Client as Enterprise
        from alibabacloud_tea_openapi.models import Config

        self.clients = {
            "dms-enterprise": Enterprise(config(Config, env, env["DMS_ENTERPRISE_ENDPOINT"])),
            "dms": DataAgent(config(Config, env, env["DMS_ENDPOINT"])),
        }
        self.models = {"dms-enterprise": enterprise_models, "dms": data_agent_models}

    def call(self, product: str, action: str, query: dict[str, str]) -> None:
        import re

        request = getattr(self.models[product], action + "Request")().from_map(query)
        method = re.sub(r"(?<!^)(?=[A-Z])", "_", action).lower()
        getattr(self.clients[product], method)(request)


def config(kind: Any, env: Mapping[str, str], endpoint: str) -> Any:
    return kind(
        access_key_id=env["ALIBABA_CLOUD_ACCESS_KEY_ID"],
        access_key_secret=env["ALIBABA_CLOUD_ACCESS_KEY_SECRET"],
        security_token=env["ALIBABA_CLOUD_SECURITY_TOKEN"],
        endpoint=endpoint.removeprefix("http://"),
        protocol="http",
        region_id="cn-hangzhou",
    )


if __name__ == "__main__":
    Floor(os.environ, sys.argv[1]).hire(sys.argv[2])

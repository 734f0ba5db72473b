"""The product's lifecycle stack wired to a local cloud, in-process: what the integration tests provision through.

Everything is real: the DMS client over the official SDKs, the person register over the official Tablestore SDK,
MNS through `aliyun-mns-sdk`; only the clock-bound pieces (retry sleeps) are shortened.
"""

from __future__ import annotations

import io
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from mns.account import Account
from mns.queue import QueueMeta
from mns.subscription import SubscriptionMeta
from mns.topic import TopicMeta

from localcloud import LocalCloud
from shared.config import DmsClientConfig, LeaverPolicy, RegisterConfig
from shared.dms.client import DmsClient
from shared.infra.credentials import RoleCredentials
from shared.infra.jsonlog import JsonLogger
from shared.infra.retry import Deadline
from shared.lifecycle.breaker import LeaverBreaker
from shared.lifecycle.convergence import Convergence
from shared.lifecycle.mapping import load_mapping
from shared.lifecycle.outcome import Outcome
from shared.lifecycle.provisioner import Provisioner
from shared.messaging.client import Mns
from shared.messaging.formats import read_held
from shared.state.register import PersonRecord, PersonRegister
from shared.wiring import HoldQueue
from tests.support.mns_clients import drain

EVENTS = Path(__file__).resolve().parents[2] / "events" / "hr"
TOPIC = "dms-onboarding-results"
OUTCOMES = "outcomes-audit"
HOLD = "hr-held"
TABLE = "dms_onboarding_people"
WORKSPACES = ("209230000007291", "209230000007305")


def sample(name: str) -> bytes:
    return (EVENTS / name).read_bytes()


def event(name: str, **changes: Any) -> dict[str, Any]:
    """A sample event as a document, with top-level fields (and `employee`) changed."""
    document: dict[str, Any] = json.loads(sample(name))
    document.update(changes)
    return document


def create_register_table(cloud: LocalCloud) -> None:
    cloud.apply_seed({"tablestore_tables": [{"name": TABLE, "primary_key": [{"name": "uid", "type": "STRING"}]}]})


class Stack:
    def __init__(
        self,
        cloud: LocalCloud,
        *,
        read_timeout_ms: int = 2000,
        leavers: LeaverPolicy | None = None,
        lease_seconds: int = 60,
        dms_max_attempts: int = 4,
    ) -> None:
        self.cloud = cloud
        self.logs = io.StringIO()
        self.credentials = RoleCredentials(
            cloud.config.access_key_id, cloud.config.access_key_secret, cloud.config.security_token
        )
        env = cloud.client_env()
        settings = DmsClientConfig.from_env(
            {
                "DMS_ENDPOINT": cloud.dms_endpoint,
                "DMS_ENTERPRISE_ENDPOINT": cloud.dms_enterprise_endpoint,
                "DMS_READ_TIMEOUT_MS": str(read_timeout_ms),
                "DMS_MAX_ATTEMPTS": str(dms_max_attempts),
            }
        )
        self.dms = DmsClient(replace(settings, qps=1000), lambda: self.credentials, sleep=lambda _: None)
        create_register_table(cloud)
        register_config = replace(
            RegisterConfig.from_env(
                {"TABLESTORE_ENDPOINT": env["TABLESTORE_ENDPOINT"], "TABLESTORE_INSTANCE": env["TABLESTORE_INSTANCE"]}
            ),
            lease_seconds=lease_seconds,
        )
        self.register = PersonRegister(register_config, lambda: self.credentials, sleep=lambda _: None)
        self.policy = leavers or LeaverPolicy(limit=1000)
        self.breaker = LeaverBreaker(self.register, self.policy)
        self.convergence = Convergence(
            self.dms, self.register, self.breaker, leaver_action=self.policy.action, lease_seconds=lease_seconds
        )
        self.mns = Mns(cloud.mns_endpoint, lambda: self.credentials, sleep=lambda _: None)
        self.provisioner = Provisioner(
            self.convergence,
            load_mapping(),
            JsonLogger("test", self.logs),
            self.mns,
            TOPIC,
            cloud.config.region,
            HoldQueue(self.mns, HOLD),
        )
        self.account = Account(
            cloud.mns_endpoint, cloud.config.access_key_id, cloud.config.access_key_secret, cloud.config.security_token
        )
        for queue in (OUTCOMES, HOLD):
            self.account.get_queue(queue).create(QueueMeta())
        self.account.get_topic(TOPIC).create(TopicMeta())
        endpoint = f"acs:mns:{cloud.config.region}:{cloud.config.account_id}:queues/{OUTCOMES}"
        self.account.get_topic(TOPIC).get_subscription("audit").subscribe(
            SubscriptionMeta(endpoint, notify_content_format="SIMPLIFIED")
        )
        for workspace in WORKSPACES:
            cloud.dms.add_workspace(workspace)

    def provision(self, raw: bytes | dict[str, Any], **options: Any) -> Outcome:
        body = json.dumps(raw).encode() if isinstance(raw, dict) else raw
        return self.provisioner.provision(body, Deadline.after(30), **options)

    def published(self) -> list[dict[str, Any]]:
        return [json.loads(body) for body in drain(self.account, OUTCOMES)]

    def held(self) -> list[dict[str, Any]]:
        records = [read_held(body) for body in drain(self.account, HOLD)]
        return [dict(record) for record in records if record is not None]

    def record(self, uid: str) -> PersonRecord | None:
        return self.register.read(uid, Deadline.after(10))

    def user(self, uid: str) -> dict[str, Any]:
        (user,) = [u for u in self.cloud.dms.snapshot()["users"] if u["uid"] == uid]
        return dict(user)

    def members(self, workspace: str) -> list[dict[str, Any]]:
        (found,) = [w for w in self.cloud.dms.snapshot()["workspaces"] if w["workspace_id"] == workspace]
        return list(found["members"])

    def memberships(self, uid: str) -> dict[str, str]:
        """Workspace -> role (upper case) of `uid`, across every workspace DMS has."""
        found: dict[str, str] = {}
        for workspace in self.cloud.dms.snapshot()["workspaces"]:
            for member in workspace["members"]:
                if member["MemberId"] == uid:
                    found[workspace["workspace_id"]] = str(member["RoleName"]).upper()
        return found

    def writes(self, since: int = 0) -> list[dict[str, Any]]:
        """DMS calls that change state, as the local cloud received them."""
        reads = {"GetUser", "ListUsers", "ListDataAgentWorkspaceMember", "GetDataAgentWorkspaceInfo"}
        return [
            c
            for c in self.cloud.calls.query(since=since)
            if str(c["service"]).startswith("dms") and c["action"] not in reads
        ]

    def last_seq(self) -> int:
        calls = self.cloud.calls.query()
        return int(str(calls[-1]["seq"])) if calls else 0

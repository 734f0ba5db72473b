"""The functions' deployment on a local cloud, as the local FC runtime sets it, and FC-shaped events for them.

Tests that call the handlers in-process get it as the `deployment` fixture (tests/integration/conftest.py).
"""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any

from mns.account import Account
from mns.queue import QueueMeta
from mns.subscription import SubscriptionMeta
from mns.topic import TopicMeta

from functions.webhook.index import handler as webhook_handler
from localcloud import LocalCloud
from shared.config import DEFAULT_REGISTER_TABLE
from shared.webhook.auth import sign
from tests.support.mns_clients import drain

EVENTS = Path(__file__).resolve().parents[2] / "events" / "hr"
SECRET = "webhook-test-secret"
QUEUES = {
    "INPUT_QUEUE": "hr-input",
    "DEAD_LETTER_QUEUE": "hr-dead-letter",
    "PARKING_QUEUE": "hr-parking",
    "HOLD_QUEUE": "hr-held",
}
TOPIC = "hr-results"
AUDIT = "results-audit"
REGISTER_TABLE = {"name": DEFAULT_REGISTER_TABLE, "primary_key": [{"name": "uid", "type": "STRING"}]}
"""The person register's table, as deploy/local-seed.json declares it."""


def sample(name: str) -> bytes:
    return (EVENTS / name).read_bytes()


class Deployment:
    """The functions' environment, wired to a local cloud, as the local FC runtime will set it."""

    def __init__(self, cloud: LocalCloud) -> None:
        self.cloud = cloud
        self.account = Account(
            cloud.mns_endpoint, cloud.config.access_key_id, cloud.config.access_key_secret, cloud.config.security_token
        )
        for name in QUEUES.values():
            self.account.get_queue(name).create(QueueMeta())
        self.account.get_queue(AUDIT).create(QueueMeta())
        self.account.get_topic(TOPIC).create(TopicMeta())
        endpoint = f"acs:mns:{cloud.config.region}:{cloud.config.account_id}:queues/{AUDIT}"
        self.account.get_topic(TOPIC).get_subscription("audit").subscribe(
            SubscriptionMeta(endpoint, notify_content_format="SIMPLIFIED")
        )
        for workspace in ("209230000007291", "209230000007305"):
            cloud.dms.add_workspace(workspace)
        cloud.apply_seed({"tablestore_tables": [REGISTER_TABLE]})

    def env(self) -> dict[str, str]:
        """The cloud's client variables (TABLESTORE_ENDPOINT and TABLESTORE_INSTANCE among them) and s.yaml's."""
        env = {k: v for k, v in self.cloud.client_env().items() if not k.startswith("LOCALCLOUD_")}
        assert {"TABLESTORE_ENDPOINT", "TABLESTORE_INSTANCE"} <= set(env)
        env.update(QUEUES)
        env.update(
            {
                "RESULT_TOPIC": TOPIC,
                "WEBHOOK_SECRET": SECRET,
                "DMS_MAX_ATTEMPTS": "2",
                "DMS_READ_TIMEOUT_MS": "1000",
                "FC_FUNCTION_NAME": "test",
                "REGISTER_TABLE": DEFAULT_REGISTER_TABLE,
            }
        )
        return env

    def drain(self, queue: str) -> list[str]:
        return drain(self.account, queue)

    def outcomes(self) -> list[dict[str, Any]]:
        return [json.loads(body) for body in self.drain(AUDIT)]

    def cloudevents_from_input(self) -> bytes:
        """What the EventBridge trigger would deliver for the messages now on the input queue."""
        return batch([(body, f"m{i}") for i, body in enumerate(self.drain(QUEUES["INPUT_QUEUE"]))])


def batch(bodies: list[tuple[str, str]]) -> bytes:
    items = [
        {
            "id": f"evt-{message_id}",
            "source": "MNS-worker-trigger",
            "specversion": "1.0",
            "type": "mns:Queue:SendMessage",
            "subject": "acs:mns:cn-hangzhou:1234567890123456:queues/hr-input",
            "data": {"requestId": "R", "messageId": message_id, "messageBody": body},
        }
        for body, message_id in bodies
    ]
    return json.dumps(items).encode()


def http_event(
    method: str,
    path: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
) -> bytes:
    return json.dumps(
        {
            "version": "v1",
            "rawPath": path,
            "body": base64.b64encode(body).decode(),
            "isBase64Encoded": True,
            "headers": headers or {},
            "queryParameters": query or {},
            "requestContext": {
                "requestId": "1-test",
                "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1"},
            },
        }
    ).encode()


def signed(body: bytes, timestamp: int | None = None) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return {"Content-Type": "application/json", "X-Timestamp": stamp, "X-Signature": sign(SECRET, stamp, body)}


def post(path: str, body: bytes, headers: dict[str, str], query: dict[str, str] | None = None) -> dict[str, Any]:
    return webhook_handler(http_event("POST", path, body, headers, query), None)

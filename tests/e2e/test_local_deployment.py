"""Everything running on loopback: local cloud, the three functions from s.yaml, real HTTP, the queue poller."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mns.account import Account
from mns.mns_exception import MNSServerException
from mns.queue import Message

from localcloud.control.client import ControlClient
from localcloud.fc.dev import DevEnvironment
from shared.webhook.auth import sign
from tests.support.mns_clients import drain
from tests.support.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "events" / "hr"


class Client:
    def __init__(self, dev: DevEnvironment) -> None:
        self.dev = dev
        self.env = dev.env()
        self.control = ControlClient(self.env["LOCALCLOUD_CONTROL_URL"])
        cfg = dev.cloud.config
        self.account = Account(self.env["MNS_ENDPOINT"], cfg.access_key_id, cfg.access_key_secret, cfg.security_token)

    def post(self, path: str, body: bytes, secret: str | None = None, timestamp: int | None = None) -> tuple[int, Any]:
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        headers = {
            "Content-Type": "application/json",
            "X-Timestamp": stamp,
            "X-Signature": sign(secret or self.env["WEBHOOK_SECRET"], stamp, body),
        }
        request = urllib.request.Request(self.env["WEBHOOK_URL"] + path, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return answer.status, json.loads(answer.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def send(self, body: str) -> None:
        queue = self.account.get_queue(self.env["INPUT_QUEUE"])
        queue.set_encoding(False)
        queue.send_message(Message(body))

    def queue_bodies(self, name: str) -> list[str]:
        queue = self.account.get_queue(name)
        queue.set_encoding(False)
        try:
            return [m.message_body for m in queue.batch_peek_message(16)]
        except MNSServerException:
            return []

    def outcomes(self) -> list[dict[str, Any]]:
        return [json.loads(body) for body in self.drain("hr-outcomes")]

    def drain(self, name: str) -> list[str]:
        return drain(self.account, name)


@pytest.fixture(scope="module")
def dev() -> Iterator[DevEnvironment]:
    with DevEnvironment(ROOT, timers=False, log=lambda line: None) as environment:
        yield environment


@pytest.fixture
def client(dev: DevEnvironment) -> Client:
    c = Client(dev)
    c.control.clear_faults()
    for queue in ("hr-input", "hr-dead-letter", "hr-parking", "hr-outcomes"):
        c.drain(queue)
    return c


def test_signed_webhook_event_ends_as_a_provisioned_user_with_one_outcome(client: Client) -> None:
    status, answer = client.post("/events", (EVENTS / "hired-explicit-roles.json").read_bytes())
    assert (status, answer["status"]) == (202, "accepted")
    outcomes = wait_for(client.outcomes)
    assert [o["data"]["status"] for o in outcomes] == ["provisioned"]
    users = client.control.state("dms")["users"]
    assert any(u["uid"] == "2000000000001" and u["role_names"] == ["USER", "DBA"] for u in users)


def test_queue_batch_of_good_duplicate_and_invalid_events_gets_the_right_outcomes(client: Client) -> None:
    updated = (EVENTS / "updated.json").read_text()
    for body in (updated, updated, (EVENTS / "invalid-role.json").read_text()):
        client.send(body)
    collected: list[dict[str, Any]] = []

    def three_outcomes() -> bool:
        collected.extend(client.outcomes())
        return len(collected) >= 3

    wait_for(three_outcomes)
    statuses = sorted(o["data"]["status"] for o in collected)
    assert statuses in (["provisioned", "rejected", "unchanged"], ["rejected", "unchanged", "unchanged"])
    assert len(client.queue_bodies("hr-dead-letter")) == 1


def test_transient_failure_is_dead_lettered_replayed_and_provisioned(client: Client) -> None:
    client.control.add_fault(
        service="dms-enterprise", action="RegisterUser", kind="error", status=503, code="ServiceUnavailable"
    )
    client.send((EVENTS / "hired-mapping-only.json").read_text().replace("2000000000002", "2000000000077"))
    assert wait_for(client.outcomes)[0]["data"]["status"] == "failed"
    wait_for(lambda: client.queue_bodies("hr-dead-letter"))
    client.control.clear_faults()
    client.control.fire_timer("replay")
    outcome = wait_for(client.outcomes)
    assert outcome[0]["data"]["status"] == "provisioned"
    assert client.queue_bodies("hr-dead-letter") == []


def test_poison_message_ends_parked_with_a_quarantined_outcome(client: Client) -> None:
    client.send((EVENTS / "invalid-many-problems.json").read_text())
    statuses: list[str] = []
    for _ in range(4):
        statuses += [o["data"]["status"] for o in wait_for(client.outcomes)]
        wait_for(lambda: client.queue_bodies("hr-dead-letter"))
        client.control.fire_timer("replay")
    statuses += [o["data"]["status"] for o in wait_for(client.outcomes)]
    assert statuses == ["rejected"] * 4 + ["quarantined"]
    assert len(client.queue_bodies("hr-parking")) == 1

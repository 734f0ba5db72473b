"""The control plane over HTTP, many clients at once, and stopping while clients still wait."""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest
from mns.mns_exception import MNSClientNetworkException, MNSServerException
from mns.queue import Message, QueueMeta
from mns.topic import TopicMessage

from localcloud import LocalCloud, LocalCloudConfig
from localcloud.control.client import ControlClient, ControlPlaneError
from tests.support.mns_clients import account, queue, receive_error, send


@pytest.fixture
def control(cloud: LocalCloud) -> ControlClient:
    return ControlClient(cloud.control_url)


def test_seed_creates_queues_topics_subscriptions_tenants_and_workspaces(
    cloud: LocalCloud, control: ControlClient
) -> None:
    control.seed(
        {
            "queues": [{"name": "input", "attributes": {"VisibilityTimeout": 60}}],
            "topics": [
                {
                    "name": "results",
                    "subscriptions": [{"name": "audit", "queue": "input", "notify_content_format": "SIMPLIFIED"}],
                }
            ],
            "tenants": [{"tid": 20002, "name": "second"}],
            "workspaces": [{"workspace_id": "209230000007291", "name": "analytics", "tid": 20002}],
        }
    )
    account(cloud).get_topic("results").publish_message(TopicMessage("hello"))
    q = account(cloud).get_queue("input")
    q.set_encoding(False)
    assert q.receive_message().message_body == "hello"
    state = control.state()
    assert state["mns"]["queues"][0]["VisibilityTimeout"] == 60
    assert state["mns"]["topics"][0]["Subscriptions"][0]["SubscriptionName"] == "audit"
    assert {t["tid"] for t in state["dms"]["tenants"]} == {cloud.config.dms_tid, 20002}
    assert state["dms"]["workspaces"][0]["tid"] == 20002


def test_state_shows_messages_and_never_secrets(cloud: LocalCloud, control: ControlClient) -> None:
    q = queue(cloud)
    send(q, "visible")
    send(q, "taken")
    q.receive_message()
    state = control.state()
    messages = state["mns"]["queues"][0]["Messages"]
    assert [m["State"] for m in messages] == ["inflight", "active"]
    text = str(state)
    assert cloud.config.access_key_secret not in text
    assert cloud.config.security_token not in text


def test_reset_empties_everything(cloud: LocalCloud, control: ControlClient) -> None:
    queue(cloud)
    control.add_fault(kind="drop", service="dms")
    control.reset()
    state = control.state()
    assert (state["mns"]["queues"], state["faults"]) == ([], [])
    assert control.calls() == []


def test_call_log_lists_actions_and_filters(cloud: LocalCloud, control: ControlClient) -> None:
    q = queue(cloud)
    send(q, "x")
    receive_error(q.delete_message, "1-unknown")
    calls = control.calls(service="mns")
    assert [(c["action"], c["status"], c["code"]) for c in calls] == [
        ("CreateQueue", 201, ""),
        ("SendMessage", 201, ""),
        ("DeleteMessage", 400, "ReceiptHandleError"),
    ]
    assert all(c["request_id"] for c in calls)
    assert control.calls(action="SendMessage", since=calls[0]["seq"])[0]["action"] == "SendMessage"


def test_faults_are_managed_over_http(cloud: LocalCloud, control: ControlClient) -> None:
    q = queue(cloud)
    rule = control.add_fault(kind="error", service="mns", action="SendMessage", status=503, code="ServiceUnavailable")
    assert receive_error(send, q, "x").type == "ServiceUnavailable"
    assert control.faults()[0]["fired"] == 1
    control.clear_faults()
    send(q, "y")
    assert rule["id"] >= 1


def test_invalid_fault_rule_is_refused_naming_the_field(control: ControlClient) -> None:
    with pytest.raises(ControlPlaneError) as caught:
        control.add_fault(kind="error", probability=3)
    assert caught.value.status == 400
    assert "probability" in caught.value.detail


def test_clock_advance_over_http_moves_visibility(cloud: LocalCloud, control: ControlClient) -> None:
    q = queue(cloud)
    send(q, "x")
    q.receive_message()
    control.advance_clock(31)
    assert q.receive_message().dequeue_count == 2


def test_credentials_added_and_expired_over_http(cloud: LocalCloud, control: ControlClient) -> None:
    control.put_credential(access_key_id="LTAIextra", access_key_secret="extra-secret", allow=["mns:*"])
    extra = account(cloud, access_key_id="LTAIextra", access_key_secret="extra-secret", security_token="")
    extra.get_queue("by-extra").create(QueueMeta())
    control.put_credential(access_key_id="STS.temp", access_key_secret="t", security_token="tok")
    control.expire_credential("STS.temp")
    temp = account(cloud, access_key_id="STS.temp", access_key_secret="t", security_token="tok")
    assert receive_error(temp.get_queue("q").create, QueueMeta()).type == "SecurityTokenExpired"
    listed = {c["access_key_id"]: c for c in control.state()["credentials"]}
    assert listed["STS.temp"]["expired"] is True
    assert "access_key_secret" not in listed["LTAIextra"]


def test_concurrent_clients_lose_and_duplicate_nothing(cloud: LocalCloud) -> None:
    queue(cloud, "shared", meta=QueueMeta(vis_timeout=600))
    producers, consumers, per_producer = 4, 4, 100
    received: list[bytes] = []
    lock = threading.Lock()
    done = threading.Event()

    def produce(index: int) -> None:
        q = account(cloud).get_queue("shared")
        for start in range(0, per_producer, 10):
            q.batch_send_message([Message(f"p{index}-{n}") for n in range(start, start + 10)])

    def consume() -> None:
        q = account(cloud).get_queue("shared")
        while True:
            try:
                messages = q.batch_receive_message(16, 1)
            except MNSServerException:
                if done.is_set():
                    return
                continue
            q.batch_delete_message([m.receipt_handle for m in messages])
            with lock:
                received.extend(m.message_body for m in messages)

    threads = [threading.Thread(target=produce, args=(i,)) for i in range(producers)]
    readers = [threading.Thread(target=consume) for _ in range(consumers)]
    for thread in threads + readers:
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    for reader in readers:
        reader.join(timeout=30)
    counts = Counter(received)
    assert len(counts) == producers * per_producer
    assert set(counts.values()) == {1}


def test_stop_ends_a_pending_long_poll_promptly() -> None:
    cloud = LocalCloud(LocalCloudConfig.ephemeral()).start()
    q = account(cloud).get_queue("waiting")
    q.create(QueueMeta())
    outcome: list[str] = []

    def wait() -> None:
        try:
            q.receive_message(20)
            outcome.append("message")
        except (MNSServerException, MNSClientNetworkException) as error:
            outcome.append(type(error).__name__)

    waiter = threading.Thread(target=wait)
    waiter.start()
    time.sleep(0.3)
    started = time.monotonic()
    cloud.stop()
    waiter.join(timeout=5)
    assert time.monotonic() - started < 3
    assert outcome
    assert outcome[0] != "message"

"""The MNS emulator through a second official client: the Node.js SDK `@alicloud/mns` (tests/node).

`tests/node/mns_roundtrip.mjs` runs against the session's local cloud and prints what the SDK saw; the checks
here hold that against the emulator's own state and against `aliyun-mns-sdk`, so a message the Node.js client
believes it sent, moved or deleted really was. `make venv` installs the Node.js packages (`npm ci`).
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from mns.queue import QueueMeta
from mns.subscription import SubscriptionMeta
from mns.topic import TopicMeta

from localcloud import LocalCloud
from tests.support.mns_clients import account, queue_endpoint, receive_error
from tests.support.node_clients import requires_node, run_node

pytestmark = requires_node


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest().upper()  # noqa: S324 - the wire format is MD5


def queue_view(cloud: LocalCloud, name: str) -> dict[str, Any]:
    views: list[dict[str, Any]] = [q for q in cloud.mns.snapshot()["queues"] if q["QueueName"] == name]
    (view,) = views
    return view


@pytest.fixture
def steps(cloud: LocalCloud) -> dict[str, Any]:
    """The whole Node.js run, after the topic and its subscription (which this SDK cannot make) exist."""
    acct = account(cloud)
    acct.get_queue("node-fanout").create(QueueMeta())
    topic = acct.get_topic("node-t1")
    topic.create(TopicMeta())
    endpoint = queue_endpoint(cloud, "node-fanout")
    topic.get_subscription("to-queue").subscribe(
        SubscriptionMeta(endpoint, notify_content_format="SIMPLIFIED", filter_tag="tagA")
    )
    result = run_node(cloud, "mns_roundtrip.mjs", "--queue", "node-q1", "--topic", "node-t1")
    assert result["sdk"] == "@alicloud/mns"
    found: dict[str, Any] = result["steps"]
    return found


def test_queues_are_created_set_read_and_listed(cloud: LocalCloud, steps: dict[str, Any]) -> None:
    assert (steps["createQueue"]["code"], steps["createQueueAgain"]["code"]) == (201, 204)
    assert steps["createQueue"]["headers"]["location"] == cloud.mns_endpoint + "/queues/node-q1"
    assert steps["setQueueAttributes"]["code"] == 204
    attributes = steps["getQueueAttributes"]["body"]
    assert (attributes["QueueName"], attributes["VisibilityTimeout"]) == ("node-q1", "45")
    assert queue_view(cloud, "node-q1")["VisibilityTimeout"] == 45
    assert steps["listQueue"]["body"] == [{"QueueURL": cloud.mns_endpoint + "/queues/node-q1"}]


def test_change_visibility_in_the_node_sdk_spelling_really_moves_the_message(
    cloud: LocalCloud, steps: dict[str, Any]
) -> None:
    sent, received = steps["sendMessage"], steps["receiveMessage"]
    assert (sent["code"], sent["body"]["MessageBodyMD5"]) == (201, md5("node-one"))
    assert steps["peekMessage"]["body"]["MessageBody"] == "node-one"
    assert (received["body"]["MessageId"], received["body"]["DequeueCount"]) == (sent["body"]["MessageId"], "1")

    changed = steps["changeMessageVisibility"]
    assert changed.get("code") == 200, changed  # ?receiptHandle=…&visibilityTimeout=600
    new_handle, visible_at = changed["body"]["ReceiptHandle"], int(changed["body"]["NextVisibleTime"])
    assert new_handle != received["body"]["ReceiptHandle"]
    assert 600_000 <= visible_at - int(received["body"]["FirstDequeueTime"]) < 630_000
    assert steps["deleteWithStaleHandle"]["error"] == "MNSMessageNotExistError"

    (message,) = [m for m in queue_view(cloud, "node-q1")["Messages"] if m["MessageBody"] == "node-one"]
    assert (message["State"], message["ReceiptHandle"], message["NextVisibleTime"]) == (
        "inflight",
        new_handle,
        visible_at,
    )
    q = account(cloud).get_queue("node-q1")
    q.set_encoding(False)  # the Node.js SDK sends bodies as they are, not base64
    cloud.clock.advance(300)  # past the queue's 45 s, short of the new 600 s
    assert receive_error(q.receive_message).type == "MessageNotExist"
    cloud.clock.advance(301)
    again = q.receive_message()
    assert (again.message_body, again.dequeue_count) == ("node-one", 2)


def test_messages_deleted_one_by_one_and_in_batches_are_gone(cloud: LocalCloud, steps: dict[str, Any]) -> None:
    assert steps["receiveSecond"]["body"]["MessageBody"] == "node-two"
    assert steps["deleteMessage"]["code"] == 204
    sent = steps["batchSendMessage"]
    assert (sent["code"], [m["MessageBodyMD5"] for m in sent["body"]]) == (
        201,
        [md5("batch-1"), md5("batch-2"), md5("batch-3")],
    )
    peeked = steps["batchPeekMessage"]["body"]
    assert [m["MessageBody"] for m in peeked] == ["batch-2", "batch-1", "batch-3"]  # priority 2 first
    assert {m["DequeueCount"] for m in peeked} == {"0"}
    received = steps["batchReceiveMessage"]["body"]
    assert sorted(m["MessageId"] for m in received) == sorted(m["MessageId"] for m in sent["body"])
    assert steps["batchDeleteMessage"]["code"] == 204
    stale = steps["batchDeleteStale"]
    assert stale["code"] == 404
    assert [(e["ErrorCode"], e["ReceiptHandle"]) for e in stale["body"]] == [
        ("MessageNotExist", received[0]["ReceiptHandle"]),
        ("ReceiptHandleError", "not-a-handle"),
    ]
    assert steps["receiveFromEmpty"]["error"] == "MNSMessageNotExistError"
    left = [m["MessageBody"] for m in queue_view(cloud, "node-q1")["Messages"]]
    assert left == ["node-one"]  # only the message whose visibility was extended


def test_a_published_message_fans_out_and_is_consumed(cloud: LocalCloud, steps: dict[str, Any]) -> None:
    assert steps["createTopic"]["code"] == 204  # identical to the topic made beforehand
    assert steps["getTopicAttributes"]["body"]["TopicName"] == "node-t1"
    assert steps["listTopic"]["body"] == [{"TopicURL": cloud.mns_endpoint + "/topics/node-t1"}]
    published = steps["publishMessage"]
    assert (published["code"], published["body"]["MessageBodyMD5"]) == (201, md5("fan-out"))
    assert steps["receiveFanout"]["body"]["MessageBody"] == "fan-out"
    assert steps["deleteFanout"]["code"] == 204
    assert queue_view(cloud, "node-fanout")["Messages"] == []


def test_every_node_request_passed_the_signature_and_sts_checks(cloud: LocalCloud, steps: dict[str, Any]) -> None:
    calls = cloud.calls.query(service="mns")
    assert calls
    assert all(c["access_key_id"] == cloud.config.access_key_id for c in calls)
    refused = {(c["action"], c["status"], c["code"]) for c in calls if int(str(c["status"])) >= 400}
    assert refused == {
        ("DeleteMessage", 404, "MessageNotExist"),  # the stale handle, on purpose
        ("BatchDeleteMessage", 404, ""),  # the partial failure (per-handle codes are in the body)
        ("ReceiveMessage", 404, "MessageNotExist"),  # the empty queue
    }
    actions = {str(c["action"]) for c in calls}
    assert {"ChangeMessageVisibility", "BatchPeekMessage", "BatchReceiveMessage", "PublishMessage"} <= actions

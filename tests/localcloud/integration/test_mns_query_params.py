"""Query parameters spelled as the API reference and the other official SDKs spell them, over the wire."""

from __future__ import annotations

import re
from typing import Any

from mns.queue import QueueMeta

from localcloud import LocalCloud
from tests.support.mns_clients import queue, raw_request, receive_error, send


def handle_of(body: str) -> str:
    found = re.search(r"<ReceiptHandle>([^<]+)</ReceiptHandle>", body)
    assert found is not None, body
    return found.group(1)


def inflight(cloud: LocalCloud, name: str) -> list[dict[str, Any]]:
    (view,) = [q for q in cloud.mns.snapshot()["queues"] if q["QueueName"] == name]
    return [m for m in view["Messages"] if m["State"] == "inflight"]


def test_change_visibility_as_the_api_reference_spells_it(cloud: LocalCloud) -> None:
    q = queue(cloud)
    send(q, "hello")
    received = q.receive_message()
    status, body = raw_request(
        cloud,
        "PUT",
        f"/queues/q1/messages?receiptHandle={received.receipt_handle}&visibilityTimeout=600",
    )
    assert status == 200, body
    new_handle = handle_of(body)
    (message,) = inflight(cloud, "q1")
    assert message["ReceiptHandle"] == new_handle != received.receipt_handle
    assert message["NextVisibleTime"] >= cloud.clock.now_ms() + 599_000
    cloud.clock.advance(300)
    assert receive_error(q.receive_message).type == "MessageNotExist"  # the old 30 s would have ended


def test_every_message_parameter_in_unusual_case(cloud: LocalCloud) -> None:
    q = queue(cloud, meta=QueueMeta(), encoded=False)
    for body in ("a", "b", "c"):
        send(q, body)
    status, body = raw_request(cloud, "GET", "/queues/q1/messages?PeekOnly=TRUE&NumOfMessages=2")
    assert (status, body.count("<Message>")) == (200, 2)
    assert "<ReceiptHandle>" not in body
    status, body = raw_request(cloud, "GET", "/queues/q1/messages?NUMOFMESSAGES=2&WaitSeconds=1")
    assert (status, body.count("<Message>")) == (200, 2), body
    handles = re.findall(r"<ReceiptHandle>([^<]+)</ReceiptHandle>", body)
    status, body = raw_request(cloud, "PUT", f"/queues/q1/messages?VISIBILITYTIMEOUT=0&RECEIPTHANDLE={handles[0]}")
    assert status == 200, body
    status, _ = raw_request(cloud, "DELETE", f"/queues/q1/messages?receiptHandle={handles[1]}")
    assert status == 204
    status, body = raw_request(cloud, "GET", "/queues/q1/messages?waitSeconds=0&numOfMessages=16")
    assert sorted(re.findall(r"<MessageBody>([^<]+)</MessageBody>", body)) == ["a", "c"]
    assert [c["action"] for c in cloud.calls.query(service="mns")][-5:] == [
        "BatchPeekMessage",
        "BatchReceiveMessage",
        "ChangeMessageVisibility",
        "DeleteMessage",
        "BatchReceiveMessage",
    ]


def test_a_percent_escaped_receipt_handle_is_the_same_handle(cloud: LocalCloud) -> None:
    q = queue(cloud)
    send(q, "x")
    handle = q.receive_message().receipt_handle
    escaped = "".join(f"%{ord(c):02X}" if c == "-" else c for c in handle)  # what url.QueryEscape could send
    assert escaped != handle
    status, body = raw_request(cloud, "DELETE", f"/queues/q1/messages?ReceiptHandle={escaped}")
    assert status == 204, body
    assert inflight(cloud, "q1") == []


def test_missing_parameters_are_still_missing_in_any_case(cloud: LocalCloud) -> None:
    queue(cloud)
    status, body = raw_request(cloud, "PUT", "/queues/q1/messages?visibilityTimeout=5")
    assert (status, "<Code>MissingReceiptHandle</Code>" in body) == (400, True)
    status, body = raw_request(cloud, "PUT", "/queues/q1/messages?receiptHandle=1-1-1-AB")
    assert (status, "<Code>MissingVisibilityTimeout</Code>" in body) == (400, True)
    status, body = raw_request(cloud, "PUT", "/queues/q1/messages?receiptHandle=1-1-1-AB&visibilityTimeout=ten")
    assert (status, "<Code>InvalidArgument</Code>" in body) == (400, True)


def test_metaoverride_in_any_case_sets_attributes_rather_than_creating(cloud: LocalCloud) -> None:
    queue(cloud)
    xml = b'<?xml version="1.0" encoding="UTF-8"?><Queue xmlns="http://mns.aliyuncs.com/doc/v1/"><VisibilityTimeout>77</VisibilityTimeout></Queue>'
    status, _ = raw_request(cloud, "PUT", "/queues/q1?MetaOverride=true", xml)
    assert status == 204
    (view,) = cloud.mns.snapshot()["queues"]
    assert view["VisibilityTimeout"] == 77
    assert [c["action"] for c in cloud.calls.query(service="mns")][-1] == "SetQueueAttributes"

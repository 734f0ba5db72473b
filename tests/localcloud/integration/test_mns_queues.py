"""Queues and messages through `aliyun-mns-sdk` against the MNS emulator."""

from __future__ import annotations

import hashlib
import threading
import time
from typing import Any

import pytest
from mns.mns_exception import MNSServerException
from mns.queue import Message, QueueMeta

from localcloud import LocalCloud
from tests.support.mns_clients import account, queue, raw_request, receive_error, send


def statuses(cloud: LocalCloud, action: str) -> list[object]:
    return [c["status"] for c in cloud.calls.query(service="mns", action=action)]


def meta(**attributes: Any) -> QueueMeta:
    m = QueueMeta()
    for name, value in attributes.items():
        getattr(m, f"set_{name}")(value)
    return m


def test_create_is_201_then_204_when_identical_then_409_when_different(cloud: LocalCloud) -> None:
    q = account(cloud).get_queue("q1")
    url = q.create(meta(visibilitytimeout=60))
    assert url.endswith("/queues/q1")
    q.create(meta(visibilitytimeout=60))
    assert statuses(cloud, "CreateQueue") == [201, 204]
    error = receive_error(q.create, meta(visibilitytimeout=61))
    assert (error.type, error.request_id, error.host_id) == ("QueueAlreadyExist", error.req_id, error.host_id)
    assert error.req_id


def test_attributes_reflect_settings_and_message_counts(cloud: LocalCloud) -> None:
    q = queue(cloud, meta=meta(visibilitytimeout=45, polling_wait_seconds=3, delay_seconds=0))
    send(q, "a")
    send(q, "b")
    send(q, "later", delay_seconds=60)
    q.receive_message()
    attrs = q.get_attributes()
    assert (attrs.visibility_timeout, attrs.polling_wait_seconds) == (45, 3)
    assert (attrs.active_messages, attrs.inactive_messages, attrs.delay_messages) == (1, 1, 1)
    assert attrs.queue_name == "q1"
    q.set_attributes(meta(visibilitytimeout=90))
    assert q.get_attributes().visibility_timeout == 90


def test_delete_queue_then_it_no_longer_exists(cloud: LocalCloud) -> None:
    q = queue(cloud)
    q.delete()
    assert receive_error(q.get_attributes).type == "QueueNotExist"
    assert receive_error(q.delete).type == "QueueNotExist"


def test_list_queues_pages_with_prefix_and_marker(cloud: LocalCloud) -> None:
    acct = account(cloud)
    for name in ("app-a", "app-b", "app-c", "other"):
        acct.get_queue(name).create(QueueMeta())
    first, marker = acct.list_queue("app-", 2)
    assert [u.rsplit("/", 1)[-1] for u in first] == ["app-a", "app-b"]
    rest, next_marker = acct.list_queue("app-", 2, marker)
    assert [u.rsplit("/", 1)[-1] for u in rest] == ["app-c"]
    assert next_marker == ""


def test_list_queues_with_meta_carries_attributes(cloud: LocalCloud) -> None:
    queue(cloud, "metered", meta=meta(visibilitytimeout=77))
    status, body = raw_request(cloud, "GET", "/queues", headers={"x-mns-with-meta": "true"})
    assert status == 200
    assert "<QueueName>metered</QueueName>" in body
    assert "<VisibilityTimeout>77</VisibilityTimeout>" in body


def test_send_receive_delete_round_trip_with_base64_bodies(cloud: LocalCloud) -> None:
    q = queue(cloud)
    sent = send(q, "hello 世界")
    received = q.receive_message()
    assert received.message_body == "hello 世界".encode()
    assert received.message_id == sent.message_id
    assert sent.message_body_md5 == received.message_body_md5
    wire = "aGVsbG8g5LiW55WM"
    assert received.message_body_md5 == hashlib.md5(wire.encode()).hexdigest().upper()  # noqa: S324
    assert received.dequeue_count == 1
    assert received.enqueue_time <= received.first_dequeue_time < received.next_visible_time
    q.delete_message(received.receipt_handle)
    assert receive_error(q.receive_message).type == "MessageNotExist"


def test_every_receive_issues_a_new_receipt_handle(cloud: LocalCloud) -> None:
    q = queue(cloud, meta=meta(visibilitytimeout=10))
    send(q, "once")
    first = q.receive_message()
    cloud.clock.advance(11)
    second = q.receive_message()
    assert second.message_id == first.message_id
    assert second.receipt_handle != first.receipt_handle
    assert second.dequeue_count == 2
    assert second.first_dequeue_time == first.first_dequeue_time


def test_stale_receipt_handle_cannot_delete_a_redelivered_message(cloud: LocalCloud) -> None:
    q = queue(cloud, meta=meta(visibilitytimeout=10))
    send(q, "job")
    stale = q.receive_message().receipt_handle
    cloud.clock.advance(11)
    fresh = q.receive_message().receipt_handle
    error = receive_error(q.delete_message, stale)
    assert error.type == "MessageNotExist"
    q.delete_message(fresh)
    assert q.get_attributes().inactive_messages == 0


def test_handle_never_issued_is_a_receipt_handle_error(cloud: LocalCloud) -> None:
    q = queue(cloud)
    assert receive_error(q.delete_message, "1-made-up").type == "ReceiptHandleError"


def test_visibility_timeout_hides_then_returns_the_message(cloud: LocalCloud) -> None:
    q = queue(cloud, meta=meta(visibilitytimeout=30))
    send(q, "x")
    q.receive_message()
    assert receive_error(q.receive_message).type == "MessageNotExist"
    cloud.clock.advance(31)
    assert q.receive_message().dequeue_count == 2


def test_change_visibility_returns_a_new_handle_and_delays_redelivery(cloud: LocalCloud) -> None:
    q = queue(cloud, meta=meta(visibilitytimeout=10))
    send(q, "x")
    received = q.receive_message()
    changed = q.change_message_visibility(received.receipt_handle, 100)
    assert changed.receipt_handle != received.receipt_handle
    assert int(changed.next_visible_time) > received.next_visible_time
    assert receive_error(q.delete_message, received.receipt_handle).type == "MessageNotExist"
    cloud.clock.advance(50)
    assert receive_error(q.receive_message).type == "MessageNotExist"
    q.delete_message(changed.receipt_handle)


def test_change_visibility_to_zero_makes_the_message_visible_at_once(cloud: LocalCloud) -> None:
    q = queue(cloud)
    send(q, "x")
    q.change_message_visibility(q.receive_message().receipt_handle, 0)
    assert q.receive_message().dequeue_count == 2


def test_queue_delay_and_message_delay_hold_messages_back(cloud: LocalCloud) -> None:
    q = queue(cloud, meta=meta(delay_seconds=20))
    send(q, "queue-delayed")
    send(q, "message-delayed", delay_seconds=5)
    assert receive_error(q.receive_message).type == "MessageNotExist"
    cloud.clock.advance(6)
    assert q.receive_message().message_body == b"message-delayed"
    cloud.clock.advance(15)
    assert q.receive_message().message_body == b"queue-delayed"


def test_retention_period_expires_unreceived_messages(cloud: LocalCloud) -> None:
    q = queue(cloud, meta=meta(message_retention_period=60))
    send(q, "short-lived")
    cloud.clock.advance(61)
    assert receive_error(q.receive_message).type == "MessageNotExist"
    assert q.get_attributes().active_messages == 0


def test_lower_priority_number_is_received_first(cloud: LocalCloud) -> None:
    q = queue(cloud)
    send(q, "normal")
    send(q, "urgent", priority=1)
    send(q, "bulk", priority=16)
    bodies = [q.receive_message().message_body for _ in range(3)]
    assert bodies == [b"urgent", b"normal", b"bulk"]


def test_batch_send_receive_peek_and_delete(cloud: LocalCloud) -> None:
    q = queue(cloud)
    sent = q.batch_send_message([Message(f"m{i}") for i in range(16)])
    assert len(sent) == 16
    peeked = q.batch_peek_message(16)
    assert len(peeked) == 16
    assert all(p.dequeue_count == 0 for p in peeked)
    assert q.peek_message().message_body == b"m0"
    received = q.batch_receive_message(10, 1)
    assert [m.message_body for m in received] == [f"m{i}".encode() for i in range(10)]
    q.batch_delete_message([m.receipt_handle for m in received])
    assert q.get_attributes().active_messages == 6


def test_batch_delete_reports_each_failed_handle(cloud: LocalCloud) -> None:
    q = queue(cloud)
    q.batch_send_message([Message("a"), Message("b")])
    good = [m.receipt_handle for m in q.batch_receive_message(2, 0)]
    error = receive_error(q.batch_delete_message, [good[0], "1-bogus", good[1]])
    assert error.type == "ReceiptHandleError"
    assert [(e["ErrorCode"], e["ReceiptHandle"]) for e in error.sub_errors] == [("ReceiptHandleError", "1-bogus")]
    assert q.get_attributes().inactive_messages == 0


def test_receive_waits_for_the_queue_polling_wait_seconds(cloud: LocalCloud) -> None:
    q = queue(cloud, meta=meta(polling_wait_seconds=1))
    started = time.monotonic()
    assert receive_error(q.receive_message).type == "MessageNotExist"
    assert 0.9 <= time.monotonic() - started < 5


def test_long_poll_returns_as_soon_as_a_message_arrives(cloud: LocalCloud) -> None:
    q = queue(cloud)
    producer = queue(cloud)
    timer = threading.Timer(0.3, lambda: send(producer, "arrived"))
    started = time.monotonic()
    timer.start()
    received = q.receive_message(10)
    elapsed = time.monotonic() - started
    assert received.message_body == b"arrived"
    assert elapsed < 3


def test_raw_bodies_travel_unencoded_with_encoding_off(cloud: LocalCloud) -> None:
    q = queue(cloud, encoded=False)
    send(q, '{"json": true}')
    assert q.receive_message().message_body == '{"json": true}'
    assert cloud.mns.snapshot()["queues"][0]["Messages"][0]["MessageBody"] == '{"json": true}'


@pytest.mark.parametrize("wait", [0, 1])
def test_empty_queue_answers_message_not_exist(cloud: LocalCloud, wait: int) -> None:
    q = queue(cloud)
    error = receive_error(q.batch_receive_message, 16, wait)
    assert isinstance(error, MNSServerException)
    assert error.type == "MessageNotExist"

"""MNS signatures, RAM, error bodies and injected faults, as the SDK sees them."""

from __future__ import annotations

import socket
import time

import pytest
from mns.mns_exception import MNSClientNetworkException, MNSServerException
from mns.queue import Message, QueueMeta

from localcloud import LocalCloud
from localcloud.credentials import Credential
from localcloud.faults import FaultRule
from tests.support.mns_clients import account, queue, raw_request, receive_error, send


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"access_key_secret": "wrong"}, "SignatureDoesNotMatch"),
        ({"access_key_id": "STS.Nobody"}, "InvalidAccessKeyId"),
        ({"security_token": "someone-elses"}, "InvalidSecurityToken"),
        ({"security_token": ""}, "InvalidSecurityToken"),
    ],
)
def test_bad_credentials_are_refused_with_a_full_error_body(
    cloud: LocalCloud, overrides: dict[str, str], code: str
) -> None:
    q = account(cloud, **overrides).get_queue("q1")
    error = receive_error(q.create, QueueMeta())
    assert error.type == code
    assert error.message
    assert error.req_id
    assert error.host_id
    assert cloud.mns.snapshot()["queues"] == []


def test_expired_token_is_refused(cloud: LocalCloud) -> None:
    credential = cloud.credentials.get(cloud.config.access_key_id)
    assert credential is not None
    credential.expired = True
    assert receive_error(account(cloud).get_queue("q").create, QueueMeta()).type == "SecurityTokenExpired"


def test_ram_policy_allows_send_but_not_receive(cloud: LocalCloud) -> None:
    queue(cloud)
    cloud.credentials.put(Credential("STS.sender", "sender-secret", "sender-token", allow=["mns:SendMessage"]))
    q = account(cloud, access_key_id="STS.sender", access_key_secret="sender-secret", security_token="sender-token")
    sender = q.get_queue("q1")
    sender.send_message(Message("allowed"))
    sender.batch_send_message([Message("batch is SendMessage too")])
    assert receive_error(sender.receive_message).type == "AccessDenied"


def test_malformed_xml_is_refused(cloud: LocalCloud) -> None:
    queue(cloud)
    status, body = raw_request(cloud, "POST", "/queues/q1/messages", b"<Message><MessageBody>unclosed")
    assert status == 400
    assert "<Code>MalformedXML</Code>" in body


def test_entity_declarations_are_refused(cloud: LocalCloud) -> None:
    queue(cloud)
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><Message><MessageBody>&a;</MessageBody></Message>'
    status, body = raw_request(cloud, "POST", "/queues/q1/messages", bomb)
    assert (status, "<Code>MalformedXML</Code>" in body) == (400, True)


@pytest.mark.parametrize(
    ("method", "target", "body"),
    [
        ("PUT", "/queues/bad", b"<Queue><VisibilityTimeout>0</VisibilityTimeout></Queue>"),
        ("PUT", "/queues/bad", b"<Queue><VisibilityTimeout>50000</VisibilityTimeout></Queue>"),
        ("PUT", "/queues/bad", b"<Queue><PollingWaitSeconds>31</PollingWaitSeconds></Queue>"),
        ("GET", "/queues/q1/messages?waitseconds=31", b""),
        ("GET", "/queues/q1/messages?numOfMessages=17", b""),
    ],
)
def test_out_of_range_values_are_invalid_arguments(cloud: LocalCloud, method: str, target: str, body: bytes) -> None:
    queue(cloud)
    status, text = raw_request(cloud, method, target, body)
    assert status == 400
    assert "<Code>InvalidArgument</Code>" in text
    assert "should between" in text


def test_body_larger_than_the_queue_allows_is_an_invalid_argument(cloud: LocalCloud) -> None:
    q = queue(cloud, encoded=False)
    q.set_attributes(QueueMeta(max_msg_size=1024))
    error = receive_error(q.send_message, Message("x" * 1025))
    assert error.type == "InvalidArgument"
    assert "1024" in error.message


def test_batch_send_with_one_oversized_message_reports_it_alone(cloud: LocalCloud) -> None:
    q = queue(cloud, encoded=False)
    q.set_attributes(QueueMeta(max_msg_size=1024))
    error = receive_error(q.batch_send_message, [Message("fine"), Message("y" * 2000)])
    assert error.type == "InvalidArgument"
    assert [sorted(e) for e in error.sub_errors] == [
        ["MessageBodyMD5", "MessageId"],
        ["ErrorCode", "ErrorMessage"],
    ]
    assert q.receive_message().message_body == "fine"


def test_injected_error_is_the_server_exception_it_names(cloud: LocalCloud) -> None:
    q = queue(cloud)
    cloud.faults.add(FaultRule(kind="error", service="mns", action="SendMessage", status=500, code="InternalError"))
    error = receive_error(send, q, "x")
    assert isinstance(error, MNSServerException)
    assert error.type == "InternalError"


def test_sdk_resends_once_after_a_dropped_connection(cloud: LocalCloud) -> None:
    """aliyun-mns-sdk retries a request once when the connection closes unanswered (BadStatusLine)."""
    q = queue(cloud)
    cloud.faults.add(FaultRule(kind="drop", service="mns", action="SendMessage", count=1))
    send(q, "second try")
    assert q.get_attributes().active_messages == 1
    assert len(cloud.calls.query(service="mns", action="SendMessage")) == 2


def test_two_dropped_connections_are_a_network_exception_and_nothing_is_sent(cloud: LocalCloud) -> None:
    q = queue(cloud)
    cloud.faults.add(FaultRule(kind="drop", service="mns", action="SendMessage", count=2))
    with pytest.raises(MNSClientNetworkException):
        send(q, "lost")
    assert q.get_attributes().active_messages == 0


def test_lost_answer_after_send_makes_the_sdk_send_a_duplicate(cloud: LocalCloud) -> None:
    """The effect happened, the answer was lost, the SDK resent: consumers must tolerate duplicates."""
    q = queue(cloud)
    cloud.faults.add(FaultRule(kind="drop_after", service="mns", action="SendMessage", count=1))
    send(q, "delivered twice")
    bodies = [m.message_body for m in q.batch_receive_message(16, 0)]
    assert bodies == [b"delivered twice", b"delivered twice"]


def test_lost_answers_twice_raise_though_both_messages_exist(cloud: LocalCloud) -> None:
    q = queue(cloud)
    cloud.faults.add(FaultRule(kind="drop_after", service="mns", action="SendMessage", count=2))
    with pytest.raises(MNSClientNetworkException):
        send(q, "x")
    assert q.get_attributes().active_messages == 2


def test_hang_ends_in_the_client_timeout(cloud: LocalCloud) -> None:
    q = queue(cloud)
    acct = account(cloud)
    acct.mns_client.set_connection_timeout(1)
    cloud.faults.add(FaultRule(kind="hang", service="mns", action="SendMessage", hang_seconds=5))
    started = time.monotonic()
    with pytest.raises(MNSClientNetworkException):
        acct.get_queue("q1").send_message(Message("x"))
    assert time.monotonic() - started < 4
    assert q.get_attributes().active_messages == 0


def test_latency_delays_the_answer(cloud: LocalCloud) -> None:
    q = queue(cloud)
    cloud.faults.add(FaultRule(kind="latency", service="mns", action="SendMessage", latency_ms=300))
    started = time.monotonic()
    send(q, "slow")
    assert time.monotonic() - started >= 0.3


def test_probability_zero_never_fires(cloud: LocalCloud) -> None:
    q = queue(cloud)
    cloud.faults.add(FaultRule(kind="drop", service="mns", probability=0.0))
    for i in range(20):
        send(q, f"m{i}")
    assert q.get_attributes().active_messages == 20


def test_oversized_body_is_refused_in_the_mns_error_format(cloud: LocalCloud) -> None:
    """Refused before it is read, and in XML the SDK can parse, not the HTTP server's HTML error page."""
    host, port = cloud.mns_endpoint.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(b"POST /queues/q1/messages HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n")
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 413")
    assert b"<Code>InvalidArgument</Code>" in answer


def test_a_request_cut_short_by_its_client_is_never_processed_or_answered(cloud: LocalCloud) -> None:
    """A client killed mid-body (a crashed function instance) leaves a fragment; like a real server, the local cloud
    drops it, rather than answering it as a garbled request (MalformedXML) or acting on it."""
    send(queue(cloud, "q1"), "before")
    calls_before = len(cloud.calls.query())
    host, port = cloud.mns_endpoint.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(b"PUT /queues/q1/messages HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n<Message><Messa")
        sock.shutdown(socket.SHUT_WR)
        answer = sock.recv(65536)
    assert answer == b""
    assert len(cloud.calls.query()) == calls_before
    (queued,) = [q for q in cloud.mns.snapshot()["queues"] if q["QueueName"] == "q1"]
    assert len(queued["Messages"]) == 1

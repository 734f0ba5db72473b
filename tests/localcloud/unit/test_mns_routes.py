"""MNS routing and query lookup, no server: parameter names in any case, values decoded once, signature raw."""

from __future__ import annotations

import time

import pytest

from localcloud.credentials import Credential, CredentialStore
from localcloud.mns import urls
from localcloud.mns.signature import authenticate, sign, string_to_sign
from localcloud.wire import Request, ServiceError


def request(method: str, target: str, body: bytes = b"") -> Request:
    return Request(method, target, {"date": "Thu, 09 Jul 2015 03:01:34 GMT"}, body)


@pytest.mark.parametrize(
    ("method", "target", "action"),
    [
        ("GET", "/queues/q1/messages", "ReceiveMessage"),
        ("GET", "/queues/q1/messages?waitseconds=3", "ReceiveMessage"),
        ("GET", "/queues/q1/messages?numOfMessages=16&waitseconds=1", "BatchReceiveMessage"),
        ("GET", "/queues/q1/messages?numofmessages=16", "BatchReceiveMessage"),
        ("GET", "/queues/q1/messages?NumOfMessages=16", "BatchReceiveMessage"),
        ("GET", "/queues/q1/messages?peekonly=true", "PeekMessage"),
        ("GET", "/queues/q1/messages?PeekOnly=TRUE", "PeekMessage"),
        ("GET", "/queues/q1/messages?peekonly=true&numOfMessages=4", "BatchPeekMessage"),
        ("GET", "/queues/q1/messages?numOfMessages=4&peekonly=true", "BatchPeekMessage"),
        ("DELETE", "/queues/q1/messages?ReceiptHandle=h", "DeleteMessage"),
        ("DELETE", "/queues/q1/messages?receiptHandle=h", "DeleteMessage"),
        ("DELETE", "/queues/q1/messages?RECEIPTHANDLE=h", "DeleteMessage"),
        ("DELETE", "/queues/q1/messages", "BatchDeleteMessage"),
        ("PUT", "/queues/q1/messages?receiptHandle=h&visibilityTimeout=5", "ChangeMessageVisibility"),
        ("PUT", "/queues/q1?metaoverride=true", "SetQueueAttributes"),
        ("PUT", "/queues/q1?MetaOverride=True", "SetQueueAttributes"),
        ("PUT", "/queues/q1", "CreateQueue"),
        ("PUT", "/topics/t1?metaOverride=true", "SetTopicAttributes"),
        ("PUT", "/topics/t1/subscriptions/s1?METAOVERRIDE=true", "SetSubscriptionAttributes"),
        ("PUT", "/topics/t1/subscriptions/s1", "Subscribe"),
        ("GET", "/?accountmeta=true", "GetAccountAttributes"),
        ("PUT", "/?AccountMeta=true", "SetAccountAttributes"),
    ],
)
def test_actions_do_not_depend_on_the_case_of_parameter_names(method: str, target: str, action: str) -> None:
    assert urls.route(request(method, target)).action == action


@pytest.mark.parametrize(
    "target",
    [
        "/queues/q1/messages?ReceiptHandle=1-a-b&VisibilityTimeout=30",  # aliyun-mns-sdk (Python), the Go SDK
        "/queues/q1/messages?receiptHandle=1-a-b&visibilityTimeout=30",  # @alicloud/mns (Node.js), the API reference
        "/queues/q1/messages?ReceiptHandle=1-a-b&visibilityTimeout=30",  # seen in third-party Go clients
        "/queues/q1/messages?visibilitytimeout=30&receipthandle=1-a-b",
    ],
)
def test_change_visibility_reads_either_spelling(target: str) -> None:
    found = urls.route(request("PUT", target))
    assert (found.action, found.params) == ("ChangeMessageVisibility", {"queue": "q1"})
    assert (found.query["receipthandle"], found.query["visibilitytimeout"]) == ("1-a-b", "30")


def test_values_are_percent_decoded_once_and_plus_is_not_a_space() -> None:
    # The Go SDK sends url.QueryEscape(handle); the Python and Node.js SDKs send handles raw, '+' and '/' included.
    escaped = urls.query_params(request("DELETE", "/queues/q1/messages?ReceiptHandle=MbZj%2BQE%2FKSbk%3D%3D"))
    raw = urls.query_params(request("DELETE", "/queues/q1/messages?ReceiptHandle=MbZj+QE/KSbk=="))
    assert escaped == raw == {"receipthandle": "MbZj+QE/KSbk=="}
    assert urls.query_params(request("GET", "/queues/q1/messages?a=%2541")) == {"a": "%41"}


def test_query_keeps_blank_and_valueless_parameters_and_the_last_of_a_repeated_name() -> None:
    found = urls.query_params(request("GET", "/?accountmeta&x=&&Y=1&y=2"))
    assert found == {"accountmeta": "", "x": "", "y": "2"}
    assert urls.query_params(request("GET", "/queues")) == {}


def test_the_signed_resource_stays_the_request_line_as_sent() -> None:
    target = "/queues/q1/messages?receiptHandle=MbZj%2BQE&visibilityTimeout=30"
    assert string_to_sign(request("PUT", target)).endswith("\n" + target)


def test_a_request_whose_names_were_recased_after_signing_is_refused() -> None:
    store = CredentialStore([Credential("ak", "secret")])
    date = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime())
    signed_for = Request("PUT", "/queues/q1/messages?receiptHandle=h&visibilityTimeout=5", {"date": date}, b"")
    authorization = f"MNS ak:{sign('secret', string_to_sign(signed_for))}"
    as_signed = Request(signed_for.method, signed_for.target, {"date": date, "authorization": authorization}, b"")
    assert authenticate(as_signed, store, "mns:ChangeMessageVisibility").access_key_id == "ak"
    recased = Request(
        "PUT",
        "/queues/q1/messages?ReceiptHandle=h&VisibilityTimeout=5",
        {"date": date, "authorization": authorization},
        b"",
    )
    with pytest.raises(ServiceError) as caught:
        authenticate(recased, store, "mns:ChangeMessageVisibility")
    assert caught.value.code == "SignatureDoesNotMatch"


def test_an_unknown_resource_is_refused() -> None:
    with pytest.raises(ServiceError) as caught:
        urls.route(request("PATCH", "/queues/q1/messages"))
    assert (caught.value.status, caught.value.code) == (400, "InvalidArgument")

"""Topics, subscriptions and fan-out through `aliyun-mns-sdk` against the MNS emulator."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from xml.etree import ElementTree

import pytest
from mns.subscription import SubscriptionMeta
from mns.topic import Base64TopicMessage, TopicMessage, TopicMeta

from localcloud import LocalCloud
from tests.support.mns_clients import account, queue, queue_endpoint, receive_error

NS = "{http://mns.aliyuncs.com/doc/v1/}"


def topic(cloud: LocalCloud, name: str = "t1") -> object:
    t = account(cloud).get_topic(name)
    t.create(TopicMeta())
    return t


def subscribe(t: object, name: str, endpoint: str, fmt: str = "SIMPLIFIED", tag: str = "") -> None:
    t.get_subscription(name).subscribe(SubscriptionMeta(endpoint, notify_content_format=fmt, filter_tag=tag))  # type: ignore[attr-defined]


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest().upper()  # noqa: S324


def test_create_get_set_list_and_delete_topics(cloud: LocalCloud) -> None:
    acct = account(cloud)
    t = acct.get_topic("results")
    assert t.create(TopicMeta()).endswith("/topics/results")
    t.create(TopicMeta())
    assert [c["status"] for c in cloud.calls.query(action="CreateTopic")] == [201, 204]
    assert receive_error(t.create, TopicMeta(maximum_message_size=2048)).type == "TopicAlreadyExist"
    t.set_attributes(TopicMeta(maximum_message_size=4096))
    attrs = t.get_attributes()
    assert (attrs.topic_name, attrs.maximum_message_size, attrs.message_count) == ("results", 4096, 0)
    acct.get_topic("results-2").create(TopicMeta())
    urls, marker = acct.list_topic("results", 1)
    assert [u.rsplit("/", 1)[-1] for u in urls] == ["results"]
    assert marker == "results-2"
    t.delete()
    assert receive_error(t.get_attributes).type == "TopicNotExist"


def test_subscription_lifecycle(cloud: LocalCloud) -> None:
    t = topic(cloud)
    endpoint = queue_endpoint(cloud, "q1")
    subscribe(t, "s1", endpoint, "JSON", "tagA")
    subscribe(t, "s1", endpoint, "JSON", "tagA")
    assert [c["status"] for c in cloud.calls.query(action="Subscribe")] == [201, 204]
    error = receive_error(subscribe, t, "s1", endpoint, "XML")
    assert error.type == "SubscriptionAlreadyExist"
    attrs = t.get_subscription("s1").get_attributes()  # type: ignore[attr-defined]
    assert (attrs.endpoint, attrs.notify_content_format, attrs.filter_tag) == (endpoint, "JSON", "tagA")
    assert attrs.topic_owner == cloud.config.account_id
    urls, _ = t.list_subscription()  # type: ignore[attr-defined]
    assert [u.rsplit("/", 1)[-1] for u in urls] == ["s1"]
    t.get_subscription("s1").unsubscribe()  # type: ignore[attr-defined]
    assert receive_error(t.get_subscription("s1").get_attributes).type == "SubscriptionNotExist"  # type: ignore[attr-defined]


def test_fan_out_to_two_queues_in_two_formats(cloud: LocalCloud) -> None:
    plain = queue(cloud, "plain", encoded=False)
    envelope = queue(cloud, "envelope", encoded=False)
    t = topic(cloud, "fanout")
    subscribe(t, "to-plain", queue_endpoint(cloud, "plain"), "SIMPLIFIED")
    subscribe(t, "to-envelope", queue_endpoint(cloud, "envelope"), "XML")
    published = t.publish_message(TopicMessage("payload <&>", "tagA"))  # type: ignore[attr-defined]
    assert plain.receive_message().message_body == "payload <&>"
    notification = ElementTree.fromstring(envelope.receive_message().message_body)
    fields = {child.tag.removeprefix(NS): child.text for child in notification}
    assert notification.tag == f"{NS}Notification"
    assert fields["TopicName"] == "fanout"
    assert fields["SubscriptionName"] == "to-envelope"
    assert fields["MessageId"] == published.message_id
    assert fields["Message"] == "payload <&>"
    assert fields["MessageMD5"] == md5("payload <&>")
    assert fields["MessageTag"] == "tagA"
    assert int(str(fields["PublishTime"])) > 0


def test_json_notification_carries_the_documented_fields(cloud: LocalCloud) -> None:
    q = queue(cloud, "json", encoded=False)
    t = topic(cloud)
    subscribe(t, "s", queue_endpoint(cloud, "json"), "JSON")
    t.publish_message(Base64TopicMessage("encoded body"))  # type: ignore[attr-defined]
    data = json.loads(q.receive_message().message_body)
    assert set(data) == {
        "TopicOwner",
        "TopicName",
        "Subscriber",
        "SubscriptionName",
        "MessageId",
        "Message",
        "MessageMD5",
        "PublishTime",
    }
    assert data["Message"] == "ZW5jb2RlZCBib2R5"
    assert isinstance(data["PublishTime"], str)


def test_filter_tag_delivers_only_matching_messages(cloud: LocalCloud) -> None:
    q = queue(cloud, "filtered", encoded=False)
    t = topic(cloud)
    subscribe(t, "only-failed", queue_endpoint(cloud, "filtered"), tag="failed")
    for body, tag in (("a", "provisioned"), ("b", "failed"), ("c", "")):
        t.publish_message(TopicMessage(body, tag))  # type: ignore[attr-defined]
    assert q.receive_message().message_body == "b"
    assert receive_error(q.receive_message).type == "MessageNotExist"
    outcomes = [d["outcome"] for d in cloud.mns.snapshot()["deliveries"]]
    assert outcomes == ["filtered", "delivered", "filtered"]


def test_publishing_to_a_missing_topic_fails(cloud: LocalCloud) -> None:
    t = account(cloud).get_topic("nowhere")
    assert receive_error(t.publish_message, TopicMessage("x")).type == "TopicNotExist"


def test_subscription_to_a_missing_queue_records_the_loss(cloud: LocalCloud) -> None:
    t = topic(cloud)
    subscribe(t, "s", queue_endpoint(cloud, "not-created"))
    t.publish_message(TopicMessage("x"))  # type: ignore[attr-defined]
    assert cloud.mns.snapshot()["deliveries"][0]["outcome"] == "queue_not_exist"


class _Collector(BaseHTTPRequestHandler):
    bodies: list[bytes] = []

    def do_POST(self) -> None:
        self.bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture
def http_endpoint() -> Iterator[str]:
    _Collector.bodies = []
    server = HTTPServer(("127.0.0.1", 0), _Collector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/notify"
    server.shutdown()
    server.server_close()


def test_loopback_http_endpoint_receives_the_notification(cloud: LocalCloud, http_endpoint: str) -> None:
    t = topic(cloud)
    subscribe(t, "hook", http_endpoint, "JSON")
    t.publish_message(TopicMessage("to http"))  # type: ignore[attr-defined]
    deadline = time.monotonic() + 5
    while not _Collector.bodies and time.monotonic() < deadline:
        time.sleep(0.02)
    assert json.loads(_Collector.bodies[0])["Message"] == "to http"


def test_non_loopback_http_endpoint_is_recorded_and_never_contacted(cloud: LocalCloud) -> None:
    t = topic(cloud)
    subscribe(t, "remote", "http://10.0.0.1/never", "JSON")
    t.publish_message(TopicMessage("stays here"))  # type: ignore[attr-defined]
    (delivery,) = cloud.mns.snapshot()["deliveries"]
    assert delivery["outcome"] == "not_contacted"
    assert "loopback" in delivery["detail"]

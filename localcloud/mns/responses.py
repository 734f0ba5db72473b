"""MNS wire format: XML in, XML out, with the headers and field sets `aliyun-mns-sdk` 1.3.0 insists on.

The SDK parser is strict in odd places (every field of a received message, all four `<Error>` children, a
lower-case `x-mns-request-id`, a `Location` on creates), so the renderers here emit exactly those shapes.
"""

from __future__ import annotations

import ipaddress
import json
import secrets
import threading
import urllib.error
import urllib.request
from collections.abc import Mapping
from urllib.parse import urlsplit
from xml.etree import ElementTree
from xml.sax.saxutils import escape

from localcloud.clock import Clock
from localcloud.credentials import CredentialStore
from localcloud.mns import errors, signature
from localcloud.mns.models import (
    DEFAULT_PRIORITY,
    MAX_BATCH,
    MAX_WAIT_SECONDS,
    BatchItemError,
    Delivery,
    MnsBackend,
    OutgoingMessage,
    Subscription,
    Topic,
)
from localcloud.mns.urls import Route, route
from localcloud.wire import Operation, Request, Response, ServiceError

XMLNS = "http://mns.aliyuncs.com/doc/v1/"
API_VERSION = "2015-06-06"
HOST_ID = "mns.localcloud"
PUSH_TIMEOUT_SECONDS = 5.0


def _text(value: object) -> str:
    return escape(str(value))


def _fields(data: Mapping[str, object]) -> str:
    parts: list[str] = []
    for name, value in data.items():
        if name in ("UserProperties", "SystemProperties") and isinstance(value, list):
            item = "PropertyValue" if name == "UserProperties" else "SystemPropertyValue"
            inner = "".join(
                f"<{item}>" + "".join(f"<{k}>{_text(v)}</{k}>" for k, v in prop.items()) + f"</{item}>"
                for prop in value
            )
            parts.append(f"<{name}>{inner}</{name}>")
        else:
            parts.append(f"<{name}>{_text(value)}</{name}>")
    return "".join(parts)


def _document(root: str, inner: str) -> bytes:
    return f'<?xml version="1.0" encoding="UTF-8"?><{root} xmlns="{XMLNS}">{inner}</{root}>'.encode()


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _parse(body: bytes, root: str) -> ElementTree.Element:
    """Parse a request body; entity declarations are refused so no body can expand beyond its size."""
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        raise errors.MALFORMED_XML.error()
    try:
        element = ElementTree.fromstring(body)  # noqa: S314 - DTDs refused above; loopback-only emulator
    except ElementTree.ParseError:
        raise errors.MALFORMED_XML.error() from None
    if _local(element.tag) != root:
        raise errors.schema_violation(root)
    return element


def _children(element: ElementTree.Element) -> dict[str, str]:
    return {_local(child.tag): (child.text or "") for child in element if len(child) == 0}


def _properties(element: ElementTree.Element, container: str, item: str) -> list[dict[str, str]]:
    found: list[dict[str, str]] = []
    for holder in element:
        if _local(holder.tag) != container:
            continue
        for prop in holder:
            if _local(prop.tag) == item:
                found.append({_local(c.tag): c.text or "" for c in prop})
    return found


def _int_arg(name: str, raw: str, low: int, high: int) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise errors.INVALID_ARGUMENT.error(f"The value of {name} is not an integer.") from None
    if not low <= value <= high:
        raise errors.out_of_range(name, low, high, "" if name != "waitseconds" else "seconds")
    return value


def _outgoing(element: ElementTree.Element) -> OutgoingMessage:
    values = _children(element)
    body = values.get("MessageBody")
    if not body:
        raise errors.schema_violation("MessageBody")
    delay = values.get("DelaySeconds")
    priority = values.get("Priority")
    try:
        return OutgoingMessage(
            body=body,
            priority=int(priority) if priority else DEFAULT_PRIORITY,
            delay_seconds=int(delay) if delay else None,
            group_id=values.get("MessageGroupId", ""),
            user_properties=_properties(element, "UserProperties", "PropertyValue"),
            system_properties=_properties(element, "SystemProperties", "SystemPropertyValue"),
        )
    except ValueError:
        raise errors.schema_violation("DelaySeconds or Priority") from None


def _is_loopback_url(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class MnsService:
    name = "mns"

    def __init__(self, backend: MnsBackend, credentials: CredentialStore, clock: Clock) -> None:
        self.backend = backend
        self.credentials = credentials
        self.clock = clock

    # Service protocol

    def resolve(self, request: Request) -> Operation:
        found = route(request)
        handler = getattr(self, "_" + found.handler)

        def serve(req: Request) -> Response:
            return handler(req, found)  # type: ignore[no-any-return]

        return Operation(action=found.action, handler=serve, params=dict(found.params))

    def authenticate(self, request: Request, operation: Operation) -> str:
        ram_action = "mns:" + operation.action.removeprefix("Batch")
        return signature.authenticate(request, self.credentials, ram_action).access_key_id

    def render_error(self, request: Request, error: ServiceError) -> Response:
        request_id = self._request_id()
        body = _document(
            "Error",
            _fields(
                {"Code": error.code, "Message": error.message, "RequestId": request_id, "HostId": self._host(request)}
            ),
        )
        return self._respond(error.status, body, request_id)

    def request_id(self, response: Response) -> str:
        return response.headers.get("x-mns-request-id", "")

    # Helpers

    @staticmethod
    def _request_id() -> str:
        return secrets.token_hex(12).upper()

    @staticmethod
    def _host(request: Request) -> str:
        return request.header("host") or HOST_ID

    def _url(self, request: Request, path: str) -> str:
        return f"http://{self._host(request)}/{path}"

    def _respond(
        self, status: int, body: bytes = b"", request_id: str | None = None, headers: dict[str, str] | None = None
    ) -> Response:
        out = {"x-mns-request-id": request_id or self._request_id(), "x-mns-version": API_VERSION}
        if body:
            out["Content-Type"] = "text/xml;charset=utf-8"
        out.update(headers or {})
        return Response(status, body, out)

    # Account

    def _get_account(self, request: Request, found: Route) -> Response:
        return self._respond(200, _document("Account", _fields({"LoggingBucket": self.backend.logging_bucket})))

    def _set_account(self, request: Request, found: Route) -> Response:
        values = _children(_parse(request.body, "Account"))
        self.backend.logging_bucket = values.get("LoggingBucket", self.backend.logging_bucket)
        return self._respond(204)

    # Queues

    def _create_queue(self, request: Request, found: Route) -> Response:
        name = found.params["queue"]
        attributes = _children(_parse(request.body, "Queue")) if request.body else {}
        created = self.backend.create_queue(name, attributes)
        return self._respond(201 if created else 204, headers={"Location": self._url(request, f"queues/{name}")})

    def _set_queue(self, request: Request, found: Route) -> Response:
        self.backend.set_queue_attributes(found.params["queue"], _children(_parse(request.body, "Queue")))
        return self._respond(204)

    def _get_queue(self, request: Request, found: Route) -> Response:
        view = self.backend.get_queue_attributes(found.params["queue"])
        return self._respond(200, _document("Queue", _fields(view)))

    def _delete_queue(self, request: Request, found: Route) -> Response:
        self.backend.delete_queue(found.params["queue"])
        return self._respond(204)

    def _listing(self, request: Request) -> tuple[str, str, int, bool]:
        raw_limit = request.header("x-mns-ret-number") or "1000"
        limit = _int_arg("x-mns-ret-number", raw_limit, 1, 1000)
        return (
            request.header("x-mns-prefix"),
            request.header("x-mns-marker"),
            limit,
            request.header("x-mns-with-meta").lower() == "true",
        )

    def _list_queues(self, request: Request, found: Route) -> Response:
        prefix, marker, limit, with_meta = self._listing(request)
        queues, next_marker = self.backend.list_queues(prefix, marker, limit)
        items = []
        for queue in queues:
            data: dict[str, object] = {"QueueURL": self._url(request, f"queues/{queue.name}")}
            if with_meta:
                data.update(self.backend.queue_view(queue))
            items.append(f"<Queue>{_fields(data)}</Queue>")
        tail = f"<NextMarker>{_text(next_marker)}</NextMarker>" if next_marker else ""
        return self._respond(200, _document("Queues", "".join(items) + tail))

    # Messages

    def _send(self, request: Request, found: Route) -> Response:
        outgoing = _outgoing(_parse(request.body, "Message"))
        (result,) = self.backend.send(found.params["queue"], [outgoing])
        if isinstance(result, BatchItemError):
            raise ServiceError(400, result.code, result.message)
        return self._respond(
            201, _document("Message", _fields({"MessageId": result.message_id, "MessageBodyMD5": result.body_md5}))
        )

    def _batch_send(self, request: Request, found: Route) -> Response:
        root = _parse(request.body, "Messages")
        items = [_outgoing(child) for child in root if _local(child.tag) == "Message"]
        if not 1 <= len(items) <= MAX_BATCH:
            raise errors.out_of_range("the count of Message", 1, MAX_BATCH, "")
        results = self.backend.send(found.params["queue"], items)
        entries = []
        failed = False
        for result in results:
            if isinstance(result, BatchItemError):
                failed = True
                entries.append({"ErrorCode": result.code, "ErrorMessage": result.message})
            else:
                entries.append({"MessageId": result.message_id, "MessageBodyMD5": result.body_md5})
        body = _document("Messages", "".join(f"<Message>{_fields(e)}</Message>" for e in entries))
        return self._respond(400 if failed else 201, body)

    def _receive_common(self, request: Request, found: Route, batch: bool, peek: bool) -> list[dict[str, object]]:
        query = found.query
        limit = _int_arg("numOfMessages", query["numofmessages"], 1, MAX_BATCH) if batch else 1
        wait: int | None = None
        if not peek and "waitseconds" in query:
            wait = _int_arg("waitseconds", query["waitseconds"], 0, MAX_WAIT_SECONDS)
        return self.backend.receive(found.params["queue"], limit, wait, peek=peek)

    def _receive(self, request: Request, found: Route) -> Response:
        (message,) = self._receive_common(request, found, batch=False, peek=False)
        return self._respond(200, _document("Message", _fields(message)))

    def _batch_receive(self, request: Request, found: Route) -> Response:
        messages = self._receive_common(request, found, batch=True, peek=False)
        return self._respond(200, _document("Messages", "".join(f"<Message>{_fields(m)}</Message>" for m in messages)))

    def _peek(self, request: Request, found: Route) -> Response:
        (message,) = self._receive_common(request, found, batch=False, peek=True)
        return self._respond(200, _document("Message", _fields(message)))

    def _batch_peek(self, request: Request, found: Route) -> Response:
        messages = self._receive_common(request, found, batch=True, peek=True)
        return self._respond(200, _document("Messages", "".join(f"<Message>{_fields(m)}</Message>" for m in messages)))

    def _delete(self, request: Request, found: Route) -> Response:
        handle = found.query.get("receipthandle", "")
        if not handle:
            raise errors.MISSING_RECEIPT_HANDLE.error()
        (result,) = self.backend.delete_messages(found.params["queue"], [handle])
        if result is not None:
            raise result
        return self._respond(204)

    def _batch_delete(self, request: Request, found: Route) -> Response:
        root = _parse(request.body, "ReceiptHandles")
        handles = [child.text or "" for child in root if _local(child.tag) == "ReceiptHandle"]
        if not 1 <= len(handles) <= MAX_BATCH:
            raise errors.out_of_range("the count of ReceiptHandle", 1, MAX_BATCH, "")
        results = self.backend.delete_messages(found.params["queue"], handles)
        failures = [
            {"ErrorCode": r.code, "ErrorMessage": r.message, "ReceiptHandle": h}
            for h, r in zip(handles, results, strict=True)
            if r is not None
        ]
        if not failures:
            return self._respond(204)
        return self._respond(404, _document("Errors", "".join(f"<Error>{_fields(f)}</Error>" for f in failures)))

    def _change_visibility(self, request: Request, found: Route) -> Response:
        query = found.query
        handle = query.get("receipthandle", "")
        if not handle:
            raise errors.MISSING_RECEIPT_HANDLE.error()
        if "visibilitytimeout" not in query:
            raise errors.MISSING_VISIBILITY_TIMEOUT.error()
        timeout = _int_arg("VisibilityTimeout", query["visibilitytimeout"], 0, 43200)
        new_handle, visible_at = self.backend.change_visibility(found.params["queue"], handle, timeout)
        body = _document("ChangeVisibility", _fields({"ReceiptHandle": new_handle, "NextVisibleTime": visible_at}))
        return self._respond(200, body)

    # Topics

    def _topic_fields(self, request: Request) -> tuple[str | None, str | None]:
        values = _children(_parse(request.body, "Topic")) if request.body else {}
        return values.get("MaximumMessageSize"), values.get("LoggingEnabled")

    def _create_topic(self, request: Request, found: Route) -> Response:
        name = found.params["topic"]
        created = self.backend.create_topic(name, *self._topic_fields(request))
        return self._respond(201 if created else 204, headers={"Location": self._url(request, f"topics/{name}")})

    def _set_topic(self, request: Request, found: Route) -> Response:
        self.backend.set_topic_attributes(found.params["topic"], *self._topic_fields(request))
        return self._respond(204)

    def _get_topic(self, request: Request, found: Route) -> Response:
        return self._respond(200, _document("Topic", _fields(self.backend.get_topic_attributes(found.params["topic"]))))

    def _delete_topic(self, request: Request, found: Route) -> Response:
        self.backend.delete_topic(found.params["topic"])
        return self._respond(204)

    def _list_topics(self, request: Request, found: Route) -> Response:
        prefix, marker, limit, with_meta = self._listing(request)
        topics, next_marker = self.backend.list_topics(prefix, marker, limit)
        items = []
        for topic in topics:
            data: dict[str, object] = {"TopicURL": self._url(request, f"topics/{topic.name}")}
            if with_meta:
                data.update(topic.attributes_view())
            items.append(f"<Topic>{_fields(data)}</Topic>")
        tail = f"<NextMarker>{_text(next_marker)}</NextMarker>" if next_marker else ""
        return self._respond(200, _document("Topics", "".join(items) + tail))

    def _publish(self, request: Request, found: Route) -> Response:
        values = _children(_parse(request.body, "Message"))
        body = values.get("MessageBody", "")
        if not body:
            raise errors.schema_violation("MessageBody")
        tag = values.get("MessageTag", "")
        if len(tag) > 16:
            raise errors.out_of_range("MessageTag", 1, 16, "characters")
        message_id, md5, pushes = self.backend.publish(found.params["topic"], body, tag, self._render)
        for push in pushes:
            self._push(push.delivery, push.url, push.body, push.content_type)
        return self._respond(201, _document("Message", _fields({"MessageId": message_id, "MessageBodyMD5": md5})))

    def _push(self, delivery: Delivery, url: str, body: str, content_type: str) -> None:
        if not _is_loopback_url(url):
            delivery.outcome = "not_contacted"
            delivery.detail = "the local cloud pushes only to loopback addresses"
            return

        def send() -> None:
            request = urllib.request.Request(  # noqa: S310 - loopback URL checked above
                url,
                data=body.encode("utf-8"),
                method="POST",
                headers={
                    "Content-Type": content_type,
                    "x-mns-request-id": self._request_id(),
                    "x-mns-version": API_VERSION,
                },
            )
            try:
                with urllib.request.urlopen(request, timeout=PUSH_TIMEOUT_SECONDS) as answer:  # noqa: S310
                    delivery.outcome = "delivered" if 200 <= answer.status < 300 else "failed"
                    delivery.detail = f"HTTP {answer.status}"
            except (urllib.error.URLError, OSError) as error:
                delivery.outcome = "failed"
                delivery.detail = str(error)

        threading.Thread(target=send, name="localcloud-mns-push", daemon=True).start()

    def _render(
        self, topic: Topic, subscription: Subscription, body: str, message_id: str, md5: str, tag: str, at: int
    ) -> str:
        return render_notification(self.backend.account_id, topic, subscription, body, message_id, md5, tag, at)

    # Subscriptions

    def _subscription_url(self, request: Request, topic: str, name: str) -> str:
        return self._url(request, f"topics/{topic}/subscriptions/{name}")

    def _subscribe(self, request: Request, found: Route) -> Response:
        values = _children(_parse(request.body, "Subscription"))
        subscription = Subscription(
            name=found.params["subscription"],
            endpoint=values.get("Endpoint", ""),
            filter_tag=values.get("FilterTag", ""),
            notify_strategy=values.get("NotifyStrategy") or "BACKOFF_RETRY",
            notify_content_format=values.get("NotifyContentFormat") or "XML",
        )
        created = self.backend.subscribe(found.params["topic"], subscription)
        location = self._subscription_url(request, found.params["topic"], subscription.name)
        return self._respond(201 if created else 204, headers={"Location": location})

    def _set_subscription(self, request: Request, found: Route) -> Response:
        values = _children(_parse(request.body, "Subscription"))
        strategy = values.get("NotifyStrategy", "")
        self.backend.set_subscription_strategy(found.params["topic"], found.params["subscription"], strategy)
        return self._respond(204)

    def _get_subscription(self, request: Request, found: Route) -> Response:
        topic = found.params["topic"]
        subscription = self.backend.get_subscription(topic, found.params["subscription"])
        data: dict[str, object] = {
            "TopicOwner": self.backend.account_id,
            "TopicName": topic,
            "SubscriptionName": subscription.name,
            "Endpoint": subscription.endpoint,
            "NotifyStrategy": subscription.notify_strategy,
            "NotifyContentFormat": subscription.notify_content_format,
            "CreateTime": subscription.create_time,
            "LastModifyTime": subscription.last_modify_time,
        }
        if subscription.filter_tag:
            data["FilterTag"] = subscription.filter_tag
        return self._respond(200, _document("Subscription", _fields(data)))

    def _unsubscribe(self, request: Request, found: Route) -> Response:
        self.backend.unsubscribe(found.params["topic"], found.params["subscription"])
        return self._respond(204)

    def _list_subscriptions(self, request: Request, found: Route) -> Response:
        prefix, marker, limit, _ = self._listing(request)
        topic = found.params["topic"]
        names, next_marker = self.backend.list_subscriptions(topic, prefix, marker, limit)
        items = "".join(
            f"<Subscription>{_fields({'SubscriptionURL': self._subscription_url(request, topic, n)})}</Subscription>"
            for n in names
        )
        tail = f"<NextMarker>{_text(next_marker)}</NextMarker>" if next_marker else ""
        return self._respond(200, _document("Subscriptions", items + tail))


def render_notification(
    account_id: str,
    topic: Topic,
    subscription: Subscription,
    body: str,
    message_id: str,
    md5: str,
    tag: str,
    publish_time: int,
) -> str:
    """The body a subscriber receives, per its NotifyContentFormat (https://help.aliyun.com/document_detail/27482.htm).

    Assumption: deliveries to queues carry no SigningCertURL (it serves HTTP endpoints), and MessageTag appears
    only when the publisher set one.
    """
    if subscription.notify_content_format == "SIMPLIFIED":
        return body
    data: dict[str, object] = {
        "TopicOwner": account_id,
        "TopicName": topic.name,
        "Subscriber": account_id,
        "SubscriptionName": subscription.name,
        "MessageId": message_id,
        "MessageMD5": md5,
    }
    if tag:
        data["MessageTag"] = tag
    data["Message"] = body
    data["PublishTime"] = str(publish_time)
    if subscription.notify_content_format == "JSON":
        return json.dumps(data, ensure_ascii=False)
    return _document("Notification", _fields(data)).decode("utf-8")

"""MNS routes: which API action a method, path and query name.

Query parameter names are matched case-insensitively: the API reference spells ChangeMessageVisibility's
request line `?receiptHandle=…&visibilityTimeout=…` and its parameter table `ReceiptHandle`/`VisibilityTimeout`,
and the official SDKs send either (`aliyun-mns-sdk` for Python `ReceiptHandle`, `@alicloud/mns` for Node.js
`receiptHandle`), so the real service takes both; that it takes every name in any case is our assumption (README,
"Known differences"). Values are percent-decoded once, `+` kept as is:
the Go SDK escapes receipt handles (`url.QueryEscape`), the Python and Node.js SDKs send them raw. Only the
lookup is lenient; the signature still covers the request line exactly as sent (`signature.string_to_sign`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote

from localcloud.mns import errors
from localcloud.wire import Request


def query_params(request: Request) -> dict[str, str]:
    """The query's parameters keyed by lower-cased name, values percent-decoded (`+` is not a space).

    A name given twice, in whatever case, keeps its last value (assumption: the docs do not say).
    """
    params: dict[str, str] = {}
    for part in request.raw_query.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        params[unquote(name).lower()] = unquote(value)
    return params


@dataclass(frozen=True)
class Route:
    action: str
    handler: str
    params: dict[str, str]
    """Names taken from the path: `queue`, `topic`, `subscription`."""
    query: Mapping[str, str]
    """The query, by lower-cased parameter name (`query_params`)."""


_NAME = r"(?P<{}>[^/?]+)"
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("account", re.compile(r"^/$")),
    ("queues", re.compile(r"^/queues/?$")),
    ("queue", re.compile(r"^/queues/" + _NAME.format("queue") + r"/?$")),
    ("queue_messages", re.compile(r"^/queues/" + _NAME.format("queue") + r"/messages/?$")),
    ("topics", re.compile(r"^/topics/?$")),
    ("topic", re.compile(r"^/topics/" + _NAME.format("topic") + r"/?$")),
    ("topic_messages", re.compile(r"^/topics/" + _NAME.format("topic") + r"/messages/?$")),
    ("subscriptions", re.compile(r"^/topics/" + _NAME.format("topic") + r"/subscriptions/?$")),
    (
        "subscription",
        re.compile(r"^/topics/" + _NAME.format("topic") + r"/subscriptions/" + _NAME.format("subscription") + r"/?$"),
    ),
]


def _action(resource: str, request: Request, query: dict[str, str]) -> tuple[str, str] | None:
    method = request.method
    override = query.get("metaoverride", "").lower() == "true"
    if resource == "account" and "accountmeta" in query:
        return {"GET": ("GetAccountAttributes", "get_account"), "PUT": ("SetAccountAttributes", "set_account")}.get(
            method
        )
    if resource == "queues" and method == "GET":
        return "ListQueue", "list_queues"
    if resource == "queue":
        if method == "PUT":
            return ("SetQueueAttributes", "set_queue") if override else ("CreateQueue", "create_queue")
        return {"GET": ("GetQueueAttributes", "get_queue"), "DELETE": ("DeleteQueue", "delete_queue")}.get(method)
    if resource == "queue_messages":
        if method == "POST":
            batch = b"<Messages" in request.body[:200]
            return ("BatchSendMessage", "batch_send") if batch else ("SendMessage", "send")
        if method == "GET":
            peek = query.get("peekonly", "").lower() == "true"
            batch = "numofmessages" in query
            if peek:
                return ("BatchPeekMessage", "batch_peek") if batch else ("PeekMessage", "peek")
            return ("BatchReceiveMessage", "batch_receive") if batch else ("ReceiveMessage", "receive")
        if method == "DELETE":
            return ("DeleteMessage", "delete") if "receipthandle" in query else ("BatchDeleteMessage", "batch_delete")
        if method == "PUT":
            return "ChangeMessageVisibility", "change_visibility"
    if resource == "topics" and method == "GET":
        return "ListTopic", "list_topics"
    if resource == "topic":
        if method == "PUT":
            return ("SetTopicAttributes", "set_topic") if override else ("CreateTopic", "create_topic")
        return {"GET": ("GetTopicAttributes", "get_topic"), "DELETE": ("DeleteTopic", "delete_topic")}.get(method)
    if resource == "topic_messages" and method == "POST":
        return "PublishMessage", "publish"
    if resource == "subscriptions" and method == "GET":
        return "ListSubscriptionByTopic", "list_subscriptions"
    if resource == "subscription":
        if method == "PUT":
            return ("SetSubscriptionAttributes", "set_subscription") if override else ("Subscribe", "subscribe")
        return {
            "GET": ("GetSubscriptionAttributes", "get_subscription"),
            "DELETE": ("Unsubscribe", "unsubscribe"),
        }.get(method)
    return None


def route(request: Request) -> Route:
    query = query_params(request)
    for resource, pattern in _PATTERNS:
        match = pattern.match(request.path)
        if match is None:
            continue
        found = _action(resource, request, query)
        if found is None:
            break
        params = {k: v for k, v in match.groupdict().items() if v is not None}
        return Route(action=found[0], handler=found[1], params=params, query=query)
    raise errors.UNKNOWN_RESOURCE.error(f"No MNS operation answers {request.method} {request.path}.")

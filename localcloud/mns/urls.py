"""MNS routes: which API action a method, path and query name, and the RAM action that guards it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from localcloud.mns import errors
from localcloud.wire import Request


@dataclass(frozen=True)
class Route:
    action: str
    handler: str
    params: dict[str, str]

    @property
    def ram_action(self) -> str:
        """Batch operations are authorised as their single forms, as in MNS RAM policies (assumption)."""
        return "mns:" + self.action.removeprefix("Batch")


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
            batch = "numOfMessages" in query
            if peek:
                return ("BatchPeekMessage", "batch_peek") if batch else ("PeekMessage", "peek")
            return ("BatchReceiveMessage", "batch_receive") if batch else ("ReceiveMessage", "receive")
        if method == "DELETE":
            return ("DeleteMessage", "delete") if "ReceiptHandle" in query else ("BatchDeleteMessage", "batch_delete")
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
    query = request.raw_query_params()
    for resource, pattern in _PATTERNS:
        match = pattern.match(request.path)
        if match is None:
            continue
        found = _action(resource, request, query)
        if found is None:
            break
        params = {k: v for k, v in match.groupdict().items() if v is not None}
        return Route(action=found[0], handler=found[1], params=params)
    raise errors.UNKNOWN_RESOURCE.error(f"No MNS operation answers {request.method} {request.path}.")

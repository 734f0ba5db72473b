"""MNS state and semantics: queues, messages, visibility, receipt handles, topics and fan-out.

One lock guards the whole backend. Every operation is short (heap pushes and pops), so a single lock keeps the
invariants obvious, and long polls wait on a condition of that lock instead of holding it.

Assumptions where the docs are silent (also listed in the README):
- a receipt handle that this queue never issued is `ReceiptHandleError`; one it issued but that is no longer
  current (visibility expired, message received again, message deleted) is `MessageNotExist`;
- priorities run 1 (first) to 16 (last), default 8;
- `MessageBodyMD5` is the uppercase MD5 of the body as it travels on the wire (base64 text when the SDK encodes);
- deleting a queue, topic or subscription that does not exist answers its *NotExist error.
"""

from __future__ import annotations

import hashlib
import heapq
import itertools
import re
import secrets
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from localcloud.clock import Clock
from localcloud.mns import errors
from localcloud.wire import ServiceError

NAME_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,255}$")
MAX_BATCH = 16
MAX_WAIT_SECONDS = 30
DEFAULT_PRIORITY = 8
NOTIFY_FORMATS = ("XML", "JSON", "SIMPLIFIED")
NOTIFY_STRATEGIES = ("BACKOFF_RETRY", "EXPONENTIAL_DECAY_RETRY")

MessageState = Literal["delayed", "active", "inflight"]


def body_md5(body: str) -> str:
    return hashlib.md5(body.encode("utf-8")).hexdigest().upper()  # noqa: S324 - the wire format is MD5


@dataclass(frozen=True)
class Range:
    low: int
    high: int
    default: int
    unit: str = "seconds"

    def check(self, element: str, value: int) -> int:
        if not self.low <= value <= self.high:
            raise errors.out_of_range(element, self.low, self.high, self.unit)
        return value


QUEUE_RANGES: dict[str, Range] = {
    "DelaySeconds": Range(0, 604800, 0),
    "MaximumMessageSize": Range(1024, 65536, 65536, "bytes"),
    "MessageRetentionPeriod": Range(60, 604800, 345600),
    "VisibilityTimeout": Range(1, 43200, 30),
    "PollingWaitSeconds": Range(0, 30, 0),
}
TOPIC_RANGES: dict[str, Range] = {
    "MaximumMessageSize": Range(1024, 65536, 65536, "bytes"),
}
TOPIC_RETENTION_SECONDS = 86400
PRIORITY_RANGE = Range(1, 16, DEFAULT_PRIORITY, "")
CHANGE_VISIBILITY_RANGE = Range(0, 43200, 30)


@dataclass
class QueueAttributes:
    DelaySeconds: int = 0
    MaximumMessageSize: int = 65536
    MessageRetentionPeriod: int = 345600
    VisibilityTimeout: int = 30
    PollingWaitSeconds: int = 0
    LoggingEnabled: bool = False

    def updated(self, changes: dict[str, str]) -> QueueAttributes:
        """Validated copy with `changes` (wire strings) applied."""
        result = QueueAttributes(**vars(self))
        for name, raw in changes.items():
            if name == "LoggingEnabled":
                result.LoggingEnabled = _parse_bool(name, raw)
            elif name in QUEUE_RANGES:
                setattr(result, name, QUEUE_RANGES[name].check(name, _parse_int(name, raw)))
        return result


@dataclass
class Message:
    message_id: str
    body: str
    body_md5: str
    priority: int
    enqueue_time: int
    expires_at: int
    visible_at: int
    seq: int
    state: MessageState
    group_id: str = ""
    user_properties: list[dict[str, str]] = field(default_factory=list)
    system_properties: list[dict[str, str]] = field(default_factory=list)
    first_dequeue_time: int = 0
    dequeue_count: int = 0
    receipt_handle: str = ""
    version: int = 0
    """Bumped on every state change; stale heap entries carry an old version and are skipped."""

    def view(self, with_handle: bool) -> dict[str, object]:
        data: dict[str, object] = {
            "MessageId": self.message_id,
            "MessageBodyMD5": self.body_md5,
            "MessageBody": self.body,
            "EnqueueTime": self.enqueue_time,
            "FirstDequeueTime": self.first_dequeue_time or self.enqueue_time,
            "DequeueCount": self.dequeue_count,
            "Priority": self.priority,
        }
        if with_handle:
            data["ReceiptHandle"] = self.receipt_handle
            data["NextVisibleTime"] = self.visible_at
        if self.group_id:
            data["MessageGroupId"] = self.group_id
        if self.user_properties:
            data["UserProperties"] = self.user_properties
        if self.system_properties:
            data["SystemProperties"] = self.system_properties
        return data


@dataclass
class OutgoingMessage:
    """A message as a sender asks for it, before the queue gives it identity and times."""

    body: str
    priority: int = DEFAULT_PRIORITY
    delay_seconds: int | None = None
    group_id: str = ""
    user_properties: list[dict[str, str]] = field(default_factory=list)
    system_properties: list[dict[str, str]] = field(default_factory=list)


@dataclass
class BatchItemError:
    code: str
    message: str


class Queue:
    def __init__(self, name: str, attributes: QueueAttributes, now_ms: int) -> None:
        self.name = name
        self.attributes = attributes
        self.create_time = now_ms // 1000
        self.last_modify_time = now_ms // 1000
        self.messages: dict[str, Message] = {}
        self._ready: list[tuple[int, int, int, str]] = []
        self._waiting: list[tuple[int, int, int, str]] = []
        self._handles: dict[str, str] = {}
        """Every receipt handle issued and not yet forgotten, to tell stale handles from foreign ones."""
        self._handle_order: deque[str] = deque()

    def push(self, message: Message) -> None:
        self.messages[message.message_id] = message
        self._schedule(message)

    def _schedule(self, message: Message) -> None:
        message.version += 1
        if message.state == "active":
            heapq.heappush(self._ready, (message.priority, message.seq, message.version, message.message_id))
        else:
            heapq.heappush(self._waiting, (message.visible_at, message.seq, message.version, message.message_id))

    def _current(self, entry: tuple[int, int, int, str]) -> Message | None:
        message = self.messages.get(entry[3])
        if message is None or message.version != entry[2]:
            return None
        return message

    def refresh(self, now: int) -> None:
        """Move messages whose invisibility ended to the ready heap and drop expired ones."""
        while self._waiting and self._waiting[0][0] <= now:
            entry = heapq.heappop(self._waiting)
            message = self._current(entry)
            if message is None:
                continue
            if message.expires_at <= now:
                self._remove(message)
                continue
            message.state = "active"
            message.receipt_handle = ""
            self._schedule(message)

    def next_visible_in(self, now: int) -> int | None:
        while self._waiting and self._current(self._waiting[0]) is None:
            heapq.heappop(self._waiting)
        return max(0, self._waiting[0][0] - now) if self._waiting else None

    def take(self, now: int, limit: int, peek: bool) -> list[Message]:
        self.refresh(now)
        taken: list[Message] = []
        held: list[tuple[int, int, int, str]] = []
        while self._ready and len(taken) < limit:
            entry = heapq.heappop(self._ready)
            message = self._current(entry)
            if message is None:
                continue
            if message.expires_at <= now:
                self._remove(message)
                continue
            taken.append(message)
            if peek:
                held.append(entry)
            else:
                self._receive(message, now)
        for entry in held:
            heapq.heappush(self._ready, entry)
        return taken

    def _receive(self, message: Message, now: int) -> None:
        message.dequeue_count += 1
        if not message.first_dequeue_time:
            message.first_dequeue_time = now
        message.state = "inflight"
        message.visible_at = now + self.attributes.VisibilityTimeout * 1000
        message.receipt_handle = self._new_handle(message)
        self._schedule(message)

    def _new_handle(self, message: Message) -> str:
        handle = f"1-{message.seq:x}-{message.dequeue_count:x}-{secrets.token_hex(12).upper()}"
        self._handles[handle] = message.message_id
        self._handle_order.append(handle)
        while len(self._handle_order) > max(1000, 4 * len(self.messages)):
            self._handles.pop(self._handle_order.popleft(), None)
        return handle

    def _by_handle(self, handle: str, now: int) -> Message:
        message_id = self._handles.get(handle)
        if message_id is None:
            raise errors.RECEIPT_HANDLE_ERROR.error()
        self.refresh(now)
        message = self.messages.get(message_id)
        if message is None or message.receipt_handle != handle or message.state != "inflight":
            raise errors.MESSAGE_NOT_EXIST.error(
                "Message not exist, or the receipt handle is no longer current (its visibility timeout ended)."
            )
        return message

    def delete(self, handle: str, now: int) -> None:
        self._remove(self._by_handle(handle, now))

    def change_visibility(self, handle: str, timeout: int, now: int) -> tuple[str, int]:
        """A new handle every time; with timeout 0 the message is visible at once and that handle is already stale."""
        message = self._by_handle(handle, now)
        new_handle = self._new_handle(message)
        message.visible_at = now + timeout * 1000
        if timeout == 0:
            message.state = "active"
            message.receipt_handle = ""
        else:
            message.receipt_handle = new_handle
        self._schedule(message)
        return new_handle, message.visible_at

    def _remove(self, message: Message) -> None:
        self.messages.pop(message.message_id, None)

    def counts(self, now: int) -> dict[str, int]:
        self.refresh(now)
        active = sum(1 for m in self.messages.values() if m.state == "active")
        inflight = sum(1 for m in self.messages.values() if m.state == "inflight")
        return {
            "ActiveMessages": active,
            "InactiveMessages": inflight,
            "DelayMessages": len(self.messages) - active - inflight,
        }

    def attributes_view(self, now: int) -> dict[str, object]:
        a = self.attributes
        view: dict[str, object] = {
            "QueueName": self.name,
            "CreateTime": self.create_time,
            "LastModifyTime": self.last_modify_time,
            "DelaySeconds": a.DelaySeconds,
            "MaximumMessageSize": a.MaximumMessageSize,
            "MessageRetentionPeriod": a.MessageRetentionPeriod,
            "VisibilityTimeout": a.VisibilityTimeout,
            "PollingWaitSeconds": a.PollingWaitSeconds,
            "LoggingEnabled": "True" if a.LoggingEnabled else "False",
        }
        view.update(self.counts(now))
        return view


@dataclass
class Subscription:
    name: str
    endpoint: str
    filter_tag: str = ""
    notify_strategy: str = "BACKOFF_RETRY"
    notify_content_format: str = "XML"
    create_time: int = 0
    last_modify_time: int = 0

    def same_as(self, other: Subscription) -> bool:
        return (self.endpoint, self.filter_tag, self.notify_strategy, self.notify_content_format) == (
            other.endpoint,
            other.filter_tag,
            other.notify_strategy,
            other.notify_content_format,
        )


@dataclass
class Delivery:
    """What became of one published message for one subscription; the control plane shows these."""

    topic: str
    subscription: str
    endpoint: str
    message_id: str
    outcome: Literal["delivered", "filtered", "queue_not_exist", "not_contacted", "pending", "failed"]
    detail: str = ""


@dataclass
class Topic:
    name: str
    maximum_message_size: int = 65536
    logging_enabled: bool = False
    create_time: int = 0
    last_modify_time: int = 0
    message_count: int = 0
    subscriptions: dict[str, Subscription] = field(default_factory=dict)

    def attributes_view(self) -> dict[str, object]:
        return {
            "TopicName": self.name,
            "CreateTime": self.create_time,
            "LastModifyTime": self.last_modify_time,
            "MaximumMessageSize": self.maximum_message_size,
            "MessageRetentionPeriod": TOPIC_RETENTION_SECONDS,
            "MessageCount": self.message_count,
            "LoggingEnabled": "True" if self.logging_enabled else "False",
        }


@dataclass(frozen=True)
class HttpPush:
    """A notification for an HTTP endpoint, handed to the caller to send outside the lock."""

    delivery: Delivery
    url: str
    body: str
    content_type: str


def _parse_int(name: str, raw: str) -> int:
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise errors.schema_violation(name) from None


def _parse_bool(name: str, raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered not in ("true", "false"):
        raise errors.schema_violation(name)
    return lowered == "true"


class MnsBackend:
    def __init__(self, clock: Clock, region: str, account_id: str) -> None:
        self.clock = clock
        self.region = region
        self.account_id = account_id
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._seq = itertools.count(1)
        self._instance = secrets.token_hex(8).upper()
        self.queues: dict[str, Queue] = {}
        self.topics: dict[str, Topic] = {}
        self.deliveries: deque[Delivery] = deque(maxlen=10_000)
        self.logging_bucket = ""
        self._closed = False
        clock.on_advance(self.wake_all)

    def reset(self) -> None:
        with self._lock:
            self.queues.clear()
            self.topics.clear()
            self.deliveries.clear()
            self.logging_bucket = ""
            self._changed.notify_all()

    def wake_all(self) -> None:
        with self._lock:
            self._changed.notify_all()

    def close(self) -> None:
        """Ends every long poll at once, so stopping the server never waits out a 30 s receive."""
        with self._lock:
            self._closed = True
            self._changed.notify_all()

    def open(self) -> None:
        with self._lock:
            self._closed = False

    def _now(self) -> int:
        return self.clock.now_ms()

    def _queue(self, name: str) -> Queue:
        queue = self.queues.get(name)
        if queue is None:
            raise errors.QUEUE_NOT_EXIST.error()
        return queue

    def _topic(self, name: str) -> Topic:
        topic = self.topics.get(name)
        if topic is None:
            raise errors.TOPIC_NOT_EXIST.error()
        return topic

    @staticmethod
    def check_name(name: str, error: errors.MnsError) -> None:
        if not NAME_PATTERN.match(name):
            raise error.error()

    # Queues

    def create_queue(self, name: str, attributes: dict[str, str]) -> bool:
        """True when created, False when an identical queue already existed."""
        self.check_name(name, errors.INVALID_QUEUE_NAME)
        wanted = QueueAttributes().updated(attributes)
        with self._lock:
            existing = self.queues.get(name)
            if existing is not None:
                if existing.attributes != wanted:
                    raise errors.QUEUE_ALREADY_EXIST.error()
                return False
            self.queues[name] = Queue(name, wanted, self._now())
            return True

    def set_queue_attributes(self, name: str, attributes: dict[str, str]) -> None:
        with self._lock:
            queue = self._queue(name)
            queue.attributes = queue.attributes.updated(attributes)
            queue.last_modify_time = self._now() // 1000

    def get_queue_attributes(self, name: str) -> dict[str, object]:
        with self._lock:
            return self._queue(name).attributes_view(self._now())

    def delete_queue(self, name: str) -> None:
        with self._lock:
            if self.queues.pop(name, None) is None:
                raise errors.QUEUE_NOT_EXIST.error()
            self._changed.notify_all()

    def list_queues(self, prefix: str, marker: str, limit: int) -> tuple[list[Queue], str]:
        with self._lock:
            names = sorted(n for n in self.queues if n.startswith(prefix) and n >= marker)
            chosen = names[:limit]
            next_marker = names[limit] if len(names) > limit else ""
            return [self.queues[n] for n in chosen], next_marker

    def queue_view(self, queue: Queue) -> dict[str, object]:
        with self._lock:
            return queue.attributes_view(self._now())

    # Messages

    def send(self, queue_name: str, outgoing: list[OutgoingMessage]) -> list[Message | BatchItemError]:
        with self._lock:
            queue = self._queue(queue_name)
            results = [self._enqueue(queue, m) for m in outgoing]
            self._changed.notify_all()
            return results

    def _enqueue(self, queue: Queue, outgoing: OutgoingMessage) -> Message | BatchItemError:
        size = len(outgoing.body.encode("utf-8"))
        limit = queue.attributes.MaximumMessageSize
        if not 1 <= size <= limit:
            return BatchItemError(
                errors.INVALID_ARGUMENT.code,
                f"The value of MessageBody should between 1 and {limit} bytes; it is {size} bytes.",
            )
        if not PRIORITY_RANGE.low <= outgoing.priority <= PRIORITY_RANGE.high:
            return BatchItemError(errors.INVALID_ARGUMENT.code, "The value of Priority should between 1 and 16.")
        delay = queue.attributes.DelaySeconds if outgoing.delay_seconds is None else outgoing.delay_seconds
        if not QUEUE_RANGES["DelaySeconds"].low <= delay <= QUEUE_RANGES["DelaySeconds"].high:
            return BatchItemError(
                errors.INVALID_ARGUMENT.code, "The value of DelaySeconds should between 0 and 604800 seconds."
            )
        now = self._now()
        seq = next(self._seq)
        message = Message(
            message_id=f"{self._instance}-1-{now:X}-{200000000 + seq}",
            body=outgoing.body,
            body_md5=body_md5(outgoing.body),
            priority=outgoing.priority,
            enqueue_time=now,
            expires_at=now + queue.attributes.MessageRetentionPeriod * 1000,
            visible_at=now + delay * 1000,
            seq=seq,
            state="delayed" if delay else "active",
            group_id=outgoing.group_id,
            user_properties=outgoing.user_properties,
            system_properties=outgoing.system_properties,
        )
        queue.push(message)
        return message

    def receive(
        self, queue_name: str, limit: int, wait_seconds: int | None, peek: bool = False
    ) -> list[dict[str, object]]:
        """Long-polls up to `wait_seconds` (the queue's PollingWaitSeconds when None); 404 when nothing arrived."""
        with self._lock:
            queue = self._queue(queue_name)
            wait = queue.attributes.PollingWaitSeconds if wait_seconds is None else wait_seconds
            deadline = self.clock.now() + wait
            while True:
                queue = self._queue(queue_name)
                now = self._now()
                taken = queue.take(now, limit, peek)
                if taken:
                    return [m.view(with_handle=not peek) for m in taken]
                remaining = deadline - self.clock.now()
                if peek or remaining <= 0 or self._closed:
                    raise errors.MESSAGE_NOT_EXIST.error()
                next_visible = queue.next_visible_in(now)
                timeout = remaining if next_visible is None else min(remaining, next_visible / 1000 + 0.001)
                self._changed.wait(timeout=max(timeout, 0.001))

    def delete_messages(self, queue_name: str, handles: list[str]) -> list[ServiceError | None]:
        """One result per handle: None when deleted, else the error that handle earned."""
        with self._lock:
            queue = self._queue(queue_name)
            now = self._now()
            results: list[ServiceError | None] = []
            for handle in handles:
                try:
                    queue.delete(handle, now)
                    results.append(None)
                except ServiceError as error:
                    results.append(error)
            return results

    def change_visibility(self, queue_name: str, handle: str, timeout: int) -> tuple[str, int]:
        CHANGE_VISIBILITY_RANGE.check("VisibilityTimeout", timeout)
        with self._lock:
            result = self._queue(queue_name).change_visibility(handle, timeout, self._now())
            self._changed.notify_all()
            return result

    # Topics

    def create_topic(self, name: str, maximum_message_size: str | None, logging_enabled: str | None) -> bool:
        self.check_name(name, errors.INVALID_TOPIC_NAME)
        size = TOPIC_RANGES["MaximumMessageSize"].default
        if maximum_message_size is not None:
            size = TOPIC_RANGES["MaximumMessageSize"].check(
                "MaximumMessageSize", _parse_int("MaximumMessageSize", maximum_message_size)
            )
        logging = _parse_bool("LoggingEnabled", logging_enabled) if logging_enabled is not None else False
        with self._lock:
            existing = self.topics.get(name)
            if existing is not None:
                if (existing.maximum_message_size, existing.logging_enabled) != (size, logging):
                    raise errors.TOPIC_ALREADY_EXIST.error()
                return False
            now = self._now() // 1000
            self.topics[name] = Topic(name, size, logging, now, now)
            return True

    def set_topic_attributes(self, name: str, maximum_message_size: str | None, logging_enabled: str | None) -> None:
        with self._lock:
            topic = self._topic(name)
            if maximum_message_size is not None:
                topic.maximum_message_size = TOPIC_RANGES["MaximumMessageSize"].check(
                    "MaximumMessageSize", _parse_int("MaximumMessageSize", maximum_message_size)
                )
            if logging_enabled is not None:
                topic.logging_enabled = _parse_bool("LoggingEnabled", logging_enabled)
            topic.last_modify_time = self._now() // 1000

    def get_topic_attributes(self, name: str) -> dict[str, object]:
        with self._lock:
            return self._topic(name).attributes_view()

    def delete_topic(self, name: str) -> None:
        with self._lock:
            if self.topics.pop(name, None) is None:
                raise errors.TOPIC_NOT_EXIST.error()

    def list_topics(self, prefix: str, marker: str, limit: int) -> tuple[list[Topic], str]:
        with self._lock:
            names = sorted(n for n in self.topics if n.startswith(prefix) and n >= marker)
            next_marker = names[limit] if len(names) > limit else ""
            return [self.topics[n] for n in names[:limit]], next_marker

    def subscribe(self, topic_name: str, subscription: Subscription) -> bool:
        self.check_name(subscription.name, errors.INVALID_ARGUMENT)
        if subscription.notify_content_format not in NOTIFY_FORMATS:
            raise errors.INVALID_ARGUMENT.error("NotifyContentFormat must be one of XML, JSON, SIMPLIFIED.")
        if subscription.notify_strategy not in NOTIFY_STRATEGIES:
            raise errors.INVALID_ARGUMENT.error("NotifyStrategy must be BACKOFF_RETRY or EXPONENTIAL_DECAY_RETRY.")
        if len(subscription.filter_tag) > 16:
            raise errors.out_of_range("FilterTag", 1, 16, "characters")
        if not subscription.endpoint:
            raise errors.schema_violation("Endpoint")
        with self._lock:
            topic = self._topic(topic_name)
            existing = topic.subscriptions.get(subscription.name)
            if existing is not None:
                if not existing.same_as(subscription):
                    raise errors.SUBSCRIPTION_ALREADY_EXIST.error()
                return False
            subscription.create_time = subscription.last_modify_time = self._now() // 1000
            topic.subscriptions[subscription.name] = subscription
            return True

    def unsubscribe(self, topic_name: str, name: str) -> None:
        with self._lock:
            if self._topic(topic_name).subscriptions.pop(name, None) is None:
                raise errors.SUBSCRIPTION_NOT_EXIST.error()

    def get_subscription(self, topic_name: str, name: str) -> Subscription:
        with self._lock:
            return self._subscription(topic_name, name)

    def set_subscription_strategy(self, topic_name: str, name: str, strategy: str) -> None:
        if strategy not in NOTIFY_STRATEGIES:
            raise errors.INVALID_ARGUMENT.error("NotifyStrategy must be BACKOFF_RETRY or EXPONENTIAL_DECAY_RETRY.")
        with self._lock:
            subscription = self._subscription(topic_name, name)
            subscription.notify_strategy = strategy
            subscription.last_modify_time = self._now() // 1000

    def _subscription(self, topic_name: str, name: str) -> Subscription:
        subscription = self._topic(topic_name).subscriptions.get(name)
        if subscription is None:
            raise errors.SUBSCRIPTION_NOT_EXIST.error()
        return subscription

    def list_subscriptions(self, topic_name: str, prefix: str, marker: str, limit: int) -> tuple[list[str], str]:
        with self._lock:
            topic = self._topic(topic_name)
            names = sorted(n for n in topic.subscriptions if n.startswith(prefix) and n >= marker)
            next_marker = names[limit] if len(names) > limit else ""
            return names[:limit], next_marker

    def publish(
        self,
        topic_name: str,
        body: str,
        tag: str,
        render: Callable[[Topic, Subscription, str, str, str, str, int], str],
    ) -> tuple[str, str, list[HttpPush]]:
        """Fan out to every matching subscription; returns (message id, md5, HTTP pushes to send)."""
        with self._lock:
            topic = self._topic(topic_name)
            size = len(body.encode("utf-8"))
            if not 1 <= size <= topic.maximum_message_size:
                raise errors.INVALID_ARGUMENT.error(
                    f"The value of MessageBody should between 1 and {topic.maximum_message_size} bytes; "
                    f"it is {size} bytes."
                )
            now = self._now()
            message_id = f"{self._instance}-1-{now:X}-{200000000 + next(self._seq)}"
            md5 = body_md5(body)
            topic.message_count += 1
            pushes: list[HttpPush] = []
            for subscription in topic.subscriptions.values():
                delivery = Delivery(topic.name, subscription.name, subscription.endpoint, message_id, "delivered")
                self.deliveries.append(delivery)
                if subscription.filter_tag and subscription.filter_tag != tag:
                    delivery.outcome = "filtered"
                    continue
                payload = render(topic, subscription, body, message_id, md5, tag, now)
                queue_name = self.queue_endpoint_name(subscription.endpoint)
                if queue_name is not None:
                    queue = self.queues.get(queue_name)
                    if queue is None:
                        delivery.outcome = "queue_not_exist"
                        continue
                    result = self._enqueue(queue, OutgoingMessage(body=payload))
                    if isinstance(result, BatchItemError):
                        delivery.outcome, delivery.detail = "failed", result.message
                elif subscription.endpoint.startswith(("http://", "https://")):
                    delivery.outcome = "pending"
                    content_type = (
                        "application/json" if subscription.notify_content_format == "JSON" else "text/xml;charset=utf-8"
                    )
                    pushes.append(HttpPush(delivery, subscription.endpoint, payload, content_type))
                else:
                    delivery.outcome = "not_contacted"
                    delivery.detail = "mail and SMS endpoints are recorded, never contacted"
            self._changed.notify_all()
            return message_id, md5, pushes

    def queue_endpoint_name(self, endpoint: str) -> str | None:
        """`acs:mns:{region}:{account}:queues/{name}` names a queue of this emulator; anything else is not."""
        match = re.fullmatch(r"acs:mns:([^:]+):([^:]+):/?queues/([A-Za-z][A-Za-z0-9-]*)", endpoint)
        if match is None:
            return None
        return match.group(3)

    # Control plane

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            now = self._now()
            queues = []
            for queue in self.queues.values():
                queue.refresh(now)
                view = queue.attributes_view(now)
                view["Messages"] = [
                    {**m.view(with_handle=m.state == "inflight"), "State": m.state}
                    for m in sorted(queue.messages.values(), key=lambda m: m.seq)
                ]
                queues.append(view)
            topics = []
            for topic in self.topics.values():
                view = topic.attributes_view()
                view["Subscriptions"] = [
                    {
                        "SubscriptionName": s.name,
                        "Endpoint": s.endpoint,
                        "FilterTag": s.filter_tag,
                        "NotifyStrategy": s.notify_strategy,
                        "NotifyContentFormat": s.notify_content_format,
                    }
                    for s in topic.subscriptions.values()
                ]
                topics.append(view)
            deliveries = [vars(d).copy() for d in self.deliveries]
        return {"queues": queues, "topics": topics, "deliveries": deliveries}

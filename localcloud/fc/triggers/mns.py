"""The EventBridge MNS trigger (event-streaming mode): a poller that drains one queue into batches for one function.

It batches by `CountBasedWindow` / `TimeBasedWindow`, invokes the function with a CloudEvents array
(`events/fc/eventbridge-mns-cloudevents.json`) or, with `eventSchema: RawData`, the array of their `data`
(`events/fc/eventbridge-mns-rawdata.json`), deletes the batch on success, retries a failed invocation
`MaximumRetryAttempts` times, and then, as `errorsTolerance: ALL` does, sends each event of the batch as it was
delivered to the trigger's `deadLetterQueue` (`events/fc/eventbridge-dead-letter.json`) and deletes the batch.

Each poller has an MNS client of its own: an `mns.account.Account` holds one `http.client.HTTPConnection`, which
is not safe to share between threads, so the runtime builds one per poller from a factory.
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Protocol, TypedDict

from localcloud.fc.api import InvocationError
from localcloud.fc.pool import InstancePool

LOOPBACK = "127.0.0.1"


class ReceivedMessage(Protocol):
    """What the poller reads of a received `mns.queue.ReceiveMessageResponse`-style message."""

    @property
    def message_id(self) -> str: ...

    @property
    def message_body(self) -> str: ...

    @property
    def receipt_handle(self) -> str: ...


class MnsQueue(Protocol):
    """The calls the poller makes on an `mns.queue.Queue`."""

    def set_encoding(self, encoding: bool) -> None: ...

    def batch_receive_message(self, batch_size: int, wait_seconds: int = -1) -> list[ReceivedMessage]: ...

    def batch_delete_message(self, receipt_handle_list: list[str]) -> object: ...

    def send_message(self, message: object) -> object: ...


class MnsAccount(Protocol):
    """An `mns.account.Account`: one MNS client, with one HTTP connection."""

    def get_queue(self, queue_name: str) -> MnsQueue: ...


MnsAccountFactory = Callable[[], MnsAccount]
"""Builds a new MNS client (endpoint and credentials of the local cloud) for one poller."""


class MnsMessageData(TypedDict):
    """One message as EventBridge's MNS source describes it: the CloudEvent's `data`, and a RawData item."""

    requestId: str
    messageId: str
    messageBody: str


class CloudEvent(TypedDict):
    id: str
    source: str
    specversion: str
    type: str
    datacontenttype: str
    subject: str
    time: str
    aliyunaccountid: str
    aliyunpublishtime: str
    aliyunoriginalaccountid: str
    aliyuneventbusname: str
    aliyunregionid: str
    aliyunpublishaddr: str
    data: MnsMessageData


def _section(data: Mapping[str, object], *keys: str) -> Mapping[str, object]:
    """The mapping at `keys` inside trigger config, or an empty one when any level is absent."""
    for key in keys:
        value = data.get(key)
        data = value if isinstance(value, Mapping) else {}
    return data


def _number(value: object, name: str) -> int | float | str:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"{name}: {value!r} is not a number")
    return value


def is_mns_trigger(trigger: Mapping[str, object]) -> bool:
    """An s.yaml trigger that reads an MNS queue (`eventbridge` with `eventSourceType: MNS`)."""
    source = _section(trigger, "triggerConfig", "eventSourceConfig")
    return trigger.get("triggerType") == "eventbridge" and source.get("eventSourceType") == "MNS"


def source_queue(config: Mapping[str, object]) -> str:
    """The queue an MNS trigger's `triggerConfig` reads; KeyError when it names none."""
    name = _section(config, "eventSourceConfig", "eventSourceParameters", "sourceMNSParameters").get("QueueName")
    if not name:
        raise KeyError("triggerConfig.eventSourceConfig.eventSourceParameters.sourceMNSParameters.QueueName")
    return str(name)


@dataclass(frozen=True)
class BatchOptions:
    """How one MNS trigger batches, delivers and gives up, from its `triggerConfig`, with EventBridge's defaults."""

    count: int
    """`runOptions.batchWindow.CountBasedWindow`: at most this many messages a batch."""
    tasks: int
    """`runOptions.maximumTasks`: how many consumers read the queue at once, each invoking the function."""
    window_seconds: float
    """`runOptions.batchWindow.TimeBasedWindow`: wait at most this long for a batch to fill."""
    retries: int
    """`runOptions.retryStrategy.MaximumRetryAttempts`: invocations after the first before giving up."""
    schema: str
    """`eventSinkConfig.deliveryOption.eventSchema`: `CloudEvents` or `RawData`."""
    decode_base64: bool
    """`sourceMNSParameters.IsBase64Decode`: base64-decode bodies before delivery."""
    dead_letter_queue: str
    """The queue named by `runOptions.deadLetterQueue.Arn`; empty when there is none, and then a batch that failed
    every attempt stays on the queue and comes back when its visibility timeout ends."""

    @classmethod
    def from_trigger(cls, config: Mapping[str, object]) -> BatchOptions:
        run = _section(config, "runOptions")
        window = _section(run, "batchWindow")
        retry = _section(run, "retryStrategy")
        source = _section(config, "eventSourceConfig", "eventSourceParameters", "sourceMNSParameters")
        schema = _section(config, "eventSinkConfig", "deliveryOption").get("eventSchema")
        dead_letter = str(_section(run, "deadLetterQueue").get("Arn") or "")
        return cls(
            count=int(_number(window.get("CountBasedWindow", 1), "CountBasedWindow")),
            tasks=max(1, int(_number(run.get("maximumTasks", 1), "maximumTasks"))),
            window_seconds=float(_number(window.get("TimeBasedWindow", 0), "TimeBasedWindow")),
            retries=int(_number(retry.get("MaximumRetryAttempts", 3), "MaximumRetryAttempts")),
            schema=str(schema or "CloudEvents"),
            decode_base64=bool(source.get("IsBase64Decode", True)),
            dead_letter_queue=dead_letter.rsplit("/queues/", 1)[-1] if "/queues/" in dead_letter else "",
        )


def _maybe_base64(body: str) -> str:
    try:
        decoded = base64.b64decode(body, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return body
    return decoded


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def cloud_event(
    message: ReceivedMessage, *, function_name: str, queue: str, region: str, account_id: str, decode: bool
) -> CloudEvent:
    """The CloudEvent EventBridge delivers for one received message."""
    body = _maybe_base64(message.message_body) if decode else message.message_body
    source = f"MNS-{function_name}"
    now = _now()
    return {
        "id": str(uuid.uuid4()),
        "source": source,
        "specversion": "1.0",
        "type": "mns:Queue:SendMessage",
        "datacontenttype": "application/json; charset=utf-8",
        "subject": f"acs:mns:{region}:{account_id}:queues/{queue}",
        "time": now,
        "aliyunaccountid": account_id,
        "aliyunpublishtime": now,
        "aliyunoriginalaccountid": account_id,
        "aliyuneventbusname": source,
        "aliyunregionid": region,
        "aliyunpublishaddr": LOOPBACK,
        "data": {"requestId": uuid.uuid4().hex.upper()[:24], "messageId": message.message_id, "messageBody": body},
    }


def batch_payload(events: Sequence[CloudEvent], schema: str) -> list[CloudEvent] | list[MnsMessageData]:
    """What the function is invoked with: the CloudEvents, or with `RawData` only their `data`."""
    return list(events) if schema == "CloudEvents" else [event["data"] for event in events]


def dead_letter_body(item: CloudEvent | MnsMessageData) -> str:
    """The dead-letter queue message for one event of a batch that failed every attempt: the event as delivered."""
    return json.dumps(item)


def _message(body: str) -> object:
    from mns.queue import Message

    message: object = Message(body)
    return message


@dataclass
class QueuePoller:
    """EventBridge's MNS source, event-streaming mode, for one trigger; `account` is this poller's alone."""

    instance: InstancePool
    account: MnsAccount
    queue: str
    region: str
    account_id: str
    options: BatchOptions
    stopping: threading.Event
    log: Callable[[str], None]

    def _event(self, message: ReceivedMessage) -> CloudEvent:
        return cloud_event(
            message,
            function_name=self.instance.spec.function_name,
            queue=self.queue,
            region=self.region,
            account_id=self.account_id,
            decode=self.options.decode_base64,
        )

    def run(self) -> None:
        from mns.mns_exception import MNSExceptionBase

        options = self.options
        queue = self.account.get_queue(self.queue)
        queue.set_encoding(False)
        while not self.stopping.is_set():
            batch: list[ReceivedMessage] = []
            deadline = time.monotonic() + options.window_seconds
            try:
                while len(batch) < options.count and not self.stopping.is_set():
                    wait = 1 if not batch else max(0, int(deadline - time.monotonic()))
                    try:
                        batch += queue.batch_receive_message(min(16, options.count - len(batch)), wait)
                    except MNSExceptionBase as error:
                        if getattr(error, "type", "") != "MessageNotExist":
                            raise
                        if batch and time.monotonic() >= deadline:
                            break
                    if batch and time.monotonic() >= deadline:
                        break
                if not batch:
                    continue
                payload = batch_payload([self._event(m) for m in batch], options.schema)
                self._deliver(queue, batch, payload)
            except Exception as error:  # the poller must outlive any one bad batch
                self.log(f"[{self.instance.spec.resource}] poller: {type(error).__name__}: {error}")
                self.stopping.wait(1)

    def _deliver(
        self, queue: MnsQueue, batch: list[ReceivedMessage], payload: list[CloudEvent] | list[MnsMessageData]
    ) -> None:
        event = json.dumps(payload).encode()
        for attempt in range(self.options.retries + 1):
            try:
                self.instance.invoke(event)
                queue.batch_delete_message([m.receipt_handle for m in batch])
                return
            except InvocationError as error:
                self.log(f"[{self.instance.spec.resource}] attempt {attempt + 1} failed: {error}")
                if self.stopping.wait(min(0.2 * 2**attempt, 2)):
                    return
        dead_letter = self.options.dead_letter_queue
        if dead_letter:
            target = self.account.get_queue(dead_letter)
            target.set_encoding(False)
            for item in payload:
                target.send_message(_message(dead_letter_body(item)))
            queue.batch_delete_message([m.receipt_handle for m in batch])
            self.log(f"[{self.instance.spec.resource}] {len(batch)} message(s) sent to dead-letter queue {dead_letter}")

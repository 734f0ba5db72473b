"""MNS through `aliyun-mns-sdk`, with the role's credentials: publish outcomes, send to queues.

The account object is built once per issue of credentials, like the DMS clients. Sends and publishes are
retried briefly on network errors and 5xx, because an outcome that cannot be published must fail the
invocation (so the trigger redelivers) only after a real attempt, not on one lost packet.

Every answer's `MessageBodyMD5` is checked against the body, as the AWS SDKs check SQS's by default: the MNS SDK
accepts any 201, so an answer read off a confused connection (another request's) would otherwise pass for ours.
A mismatch is transient: the connection is dropped and the call made again. MNS documents the digest as the
uppercase hex MD5 of the body; that it covers the body as sent (raw text here, never base64) is inferred, so
`MNS_VERIFY_MD5=false` turns the check off should a region compute it otherwise.

The endpoint comes from shared.config: `MNS_ENDPOINT` (the local cloud sets it), else
https://{FC_ACCOUNT_ID}.mns.{region}.aliyuncs.com.
"""

from __future__ import annotations

import hashlib
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from shared.infra.credentials import RoleCredentials
from shared.infra.retry import RetryPolicy


class MnsUnavailableError(Exception):
    """MNS could not take the message after retries; the caller must not pretend it was delivered."""


class MessageDigestMismatchError(Exception):
    """An answer whose MessageBodyMD5 is not the MD5 of the body: another request's answer, or a damaged body."""


def body_md5(body: str) -> str:
    return hashlib.md5(body.encode("utf-8")).hexdigest().upper()  # noqa: S324 - MNS's own digest


def _retryable(error: BaseException) -> bool:
    if isinstance(error, MessageDigestMismatchError):
        return True
    kind = type(error).__name__
    if kind == "MNSClientNetworkException":
        return True
    if kind == "MNSServerException":
        code = str(getattr(error, "type", ""))
        return code in ("InternalError", "InternalServerError", "QpsLimitExceeded", "ServiceUnavailable")
    return False


def _escape_lone_surrogates(body: str) -> str:
    """Our bodies are JSON text, where a lone surrogate (decoded from a \\ud800 escape in some input, and
    unencodable) can only stand inside a string: spelled out as that escape again, it is the same JSON."""
    return body.encode("utf-8", "backslashreplace").decode("utf-8")


@dataclass(frozen=True)
class Sent:
    message_id: str


@dataclass(frozen=True)
class Received:
    body: str
    receipt_handle: str
    message_id: str
    dequeue_count: int
    enqueue_time_ms: int = 0
    """When MNS took the message in (its clock, ms since the epoch); 0 when not known."""


class Mns:
    def __init__(
        self,
        endpoint: str,
        credentials: Callable[[], RoleCredentials],
        retry: RetryPolicy | None = None,
        timeout_seconds: int = 5,
        sleep: Callable[[float], None] = time.sleep,
        check_md5: bool = True,
    ) -> None:
        self.endpoint = endpoint
        self.check_md5 = check_md5
        self._credentials = credentials
        self._retry = retry or RetryPolicy(max_attempts=3, base_delay=0.1, max_delay=1.0)
        self._timeout = timeout_seconds
        self._sleep = sleep
        self._lock = threading.Lock()
        self._local = threading.local()

    def _account(self) -> Any:
        """One account per thread and issue of credentials: the SDK's HTTP connection is not thread-safe."""
        from mns.account import Account

        current = self._credentials()
        cached = getattr(self._local, "account", None)
        if cached is None or cached[0] != current.fingerprint:
            account = Account(self.endpoint, current.access_key_id, current.access_key_secret, current.security_token)
            account.mns_client.set_connection_timeout(self._timeout)
            self._local.account = (current.fingerprint, account)
            return account
        return cached[1]

    def _with_retry(self, what: str, call: Callable[[], Any]) -> Any:
        attempt = 0
        while True:
            attempt += 1
            try:
                return call()
            except Exception as error:
                if not _retryable(error) or attempt >= self._retry.max_attempts:
                    raise MnsUnavailableError(f"{what}: {type(error).__name__}: {error}") from error
                self._local.account = None
                self._sleep(self._retry.delay(attempt, rng=random.Random()))

    def _verified(self, echoed: object, body: str, what: str) -> None:
        if self.check_md5 and str(echoed or "").upper() != body_md5(body):
            raise MessageDigestMismatchError(f"{what}: MessageBodyMD5 {echoed or '(none)'} is not the body's MD5")

    def publish(self, topic: str, body: str, tag: str = "") -> Sent:
        from mns.topic import TopicMessage

        def call() -> Sent:
            wire = _escape_lone_surrogates(body)
            answer = self._account().get_topic(topic).publish_message(TopicMessage(wire, tag))
            self._verified(answer.message_body_md5, wire, "the answer to PublishMessage")
            return Sent(answer.message_id)

        return self._with_retry(f"publish to topic {topic}", call)  # type: ignore[no-any-return]

    def send(self, queue: str, body: str, delay_seconds: int = 0) -> Sent:
        """Raw (not base64) bodies: our messages are JSON, and the FC trigger hands bodies over as they are."""
        from mns.queue import Message

        def call() -> Sent:
            q = self._account().get_queue(queue)
            q.set_encoding(False)
            wire = _escape_lone_surrogates(body)
            message = Message(wire)
            if delay_seconds:
                message.set_delayseconds(delay_seconds)
            answer = q.send_message(message)
            self._verified(answer.message_body_md5, wire, "the answer to SendMessage")
            return Sent(answer.message_id)

        return self._with_retry(f"send to queue {queue}", call)  # type: ignore[no-any-return]

    def receive(self, queue: str, count: int, wait_seconds: int) -> list[Received]:
        """Up to `count` messages (raw bodies); an empty list when the queue has none."""
        return self._take(queue, "receive from", lambda q: q.batch_receive_message(count, wait_seconds))

    def peek(self, queue: str, count: int) -> list[Received]:
        """Up to `count` messages without taking them: no receipt handles."""
        return self._take(queue, "peek at", lambda q: q.batch_peek_message(count))

    def _take(self, queue: str, what: str, read: Callable[[Any], list[Any]]) -> list[Received]:
        from mns.mns_exception import MNSServerException

        def call() -> list[Received]:
            q = self._account().get_queue(queue)
            q.set_encoding(False)
            try:
                messages = read(q)
            except MNSServerException as error:
                if error.type == "MessageNotExist":
                    return []
                raise
            for m in messages:
                self._verified(m.message_body_md5, m.message_body, f"message {m.message_id}")
            return [
                Received(
                    m.message_body,
                    getattr(m, "receipt_handle", "") or "",
                    m.message_id,
                    m.dequeue_count,
                    max(0, int(getattr(m, "enqueue_time", 0) or 0)),
                )
                for m in messages
            ]

        return self._with_retry(f"{what} queue {queue}", call)  # type: ignore[no-any-return]

    def release(self, queue: str, receipt_handle: str) -> None:
        """Make a received message visible again now, for whoever receives next."""
        self._with_retry(
            f"release a message of queue {queue}",
            lambda: self._account().get_queue(queue).change_message_visibility(receipt_handle, 0),
        )

    def delete(self, queue: str, receipt_handle: str) -> None:
        self._with_retry(
            f"remove a message of queue {queue}",
            lambda: self._account().get_queue(queue).delete_message(receipt_handle),
        )

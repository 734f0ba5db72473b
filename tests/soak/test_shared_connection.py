"""The interleaving that lost soak events, replayed step by step: two threads on one MNS account.

The sockets are scripted and pause at fixed points, so the race runs the same way every time: thread A's
request head goes to the first socket and A pauses; thread B finds the connection busy (`CannotSendRequest`), the
SDK closes it under A, and B's retry opens a second socket; A's body then follows B's request onto that socket,
and A reads B's 201. MNS would store B's message and refuse A's stray body as MalformedXML: A's message is lost
while A holds an answer that says it was stored.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from typing import Any

import pytest
from mns.account import Account
from mns.mns_exception import MNSClientNetworkException
from mns.mns_http import MNSHTTPConnection
from mns.queue import Message

from soak.clients import ForeignAnswerError, body_md5, send_verified

BODY_A = '{"event_id": "soak:a"}'
BODY_B = '{"event_id": "soak:b"}'


def _created(message_id: str, body: str) -> bytes:
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?><Message xmlns="http://mns.aliyuncs.com/doc/v1/">'
        f"<MessageId>{message_id}</MessageId><MessageBodyMD5>{body_md5(body)}</MessageBodyMD5></Message>"
    ).encode()
    head = (
        f"HTTP/1.1 201 Created\r\nContent-Type: text/xml\r\nx-mns-request-id: R1\r\nContent-Length: {len(xml)}\r\n\r\n"
    )
    return head.encode() + xml


class PausingSocket:
    """Records what is written; the `pause_on`-th write signals `reached` and waits for `release`."""

    def __init__(self, answer: bytes = b"", pause_on: int = 0) -> None:
        self.answer = answer
        self.pause_on = pause_on
        self.reached = threading.Event()
        self.release = threading.Event()
        self.writes: list[bytes] = []
        self.closed = False
        self._readers = 0

    def sendall(self, data: bytes) -> None:
        self.writes.append(bytes(data))
        if len(self.writes) == self.pause_on:
            self.reached.set()
            assert self.release.wait(10), "the script never released this socket"

    def makefile(self, mode: str, *args: object, **kwargs: object) -> io.BytesIO:
        self._readers += 1
        return io.BytesIO(self.answer if self._readers == 1 else b"")

    def setsockopt(self, *args: object) -> None:
        pass

    def settimeout(self, timeout: float | None) -> None:
        pass

    def close(self) -> None:
        self.closed = True


class ScriptedConnection(MNSHTTPConnection):  # type: ignore[misc]
    """The SDK's own connection class; only `connect` is scripted, handing out the sockets in order."""

    def __init__(self, host: str, sockets: list[PausingSocket]) -> None:
        super().__init__(host)
        self._sockets = sockets

    def connect(self) -> None:
        self.sock = self._sockets.pop(0)


def _shared_queue(sockets: list[PausingSocket]) -> Any:
    account = Account("http://127.0.0.1:1", "STS.key", "secret", "token")
    account.mns_client.http.conn = ScriptedConnection("127.0.0.1:1", sockets)
    queue = account.get_queue("hr-input")
    queue.set_encoding(False)
    return queue


def _run(target: Callable[[], object], into: dict[str, object], name: str) -> threading.Thread:
    def body() -> None:
        try:
            into[name] = target()
        except Exception as error:
            into[name] = error

    thread = threading.Thread(target=body, name=name)
    thread.start()
    return thread


def _replay(send_a: Callable[[Any, str], object]) -> tuple[dict[str, object], PausingSocket, PausingSocket]:
    first = PausingSocket(pause_on=1)  # pauses right after A's request head
    second = PausingSocket(answer=_created("B-message", BODY_B), pause_on=2)  # pauses after B's body
    queue = _shared_queue([first, second])
    results: dict[str, object] = {}
    thread_a = _run(lambda: send_a(queue, BODY_A), results, "a")
    assert first.reached.wait(10)

    def b_sends_and_retries() -> object:
        try:
            queue.send_message(Message(BODY_B))
        except MNSClientNetworkException as error:
            results["b_first_error"] = error
        return queue.send_message(Message(BODY_B))

    thread_b = _run(b_sends_and_retries, results, "b")
    assert second.reached.wait(10)
    first.release.set()  # A's body now goes to whatever socket the connection holds: the second one
    thread_a.join(10)
    second.release.set()
    thread_b.join(10)
    return results, first, second


def test_a_thread_sharing_an_account_reads_another_threads_answer_and_the_sdk_accepts_it() -> None:
    results, first, second = _replay(lambda queue, body: queue.send_message(Message(body)))

    assert "Request-sent" in str(results["b_first_error"])  # the SDK's CannotSendRequest, then a close under A
    assert first.closed
    assert len(first.writes) == 1  # A's head, on the socket B closed
    assert b"soak:b" in second.writes[1]
    assert b"soak:a" in second.writes[2]  # A's body, after B's whole request, on B's socket
    answer_a: Any = results["a"]
    assert answer_a.message_id == "B-message"
    assert answer_a.message_body_md5 == body_md5(BODY_B) != body_md5(BODY_A)


def test_the_soaks_verified_send_refuses_the_answer_another_thread_was_given() -> None:
    results, _, _ = _replay(send_verified)

    assert isinstance(results["a"], ForeignAnswerError)


@pytest.mark.parametrize("body", [BODY_A, "", "汉字 and \u00e9"])
def test_body_md5_is_the_uppercase_hex_digest_mns_answers_with(body: str) -> None:
    import hashlib

    assert body_md5(body) == hashlib.md5(body.encode()).hexdigest().upper()  # noqa: S324
    assert body_md5("Hello World!") == "ED076287532E86365E841E92BFC50D8C"  # MNS's documented example

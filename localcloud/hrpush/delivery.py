"""Pushes the local cloud makes as an HR platform would: one attempt now, the platform's retries later.

DingTalk and Feishu push events to a webhook and judge the answer themselves: DingTalk wants, within 1500 ms, a
signed and encrypted `success`; Feishu wants an HTTP 200 within 3 s (its URL handshake, the challenge back within
1 s). A platform module builds a `Push` (how to make each attempt's request, how to judge its answer, the retry
delays) and this module delivers it: the first attempt in the caller's thread, so a control-plane call answers with
its result, and every retry from one background thread.

Retries wait in service time (`Clock`): moving the clock forward makes a retry due at once, so Feishu's 15 s /
5 min / 1 h / 6 h schedule can be run through in a test without waiting. Each attempt's request is built anew
(fresh timestamp, nonce, IV), as a re-push is a new HTTP request for the same event; request timestamps are wall
time because a receiver checks them against its own clock, while event times come from service time.

Pushes go to loopback addresses only, as MNS's HTTP notifications do. Deliveries are kept (the newest 1000) for
`GET /hr/deliveries`; what they show never includes a mobile number, and the plaintext only on request.
"""

from __future__ import annotations

import http.client
import ipaddress
import itertools
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from localcloud.clock import Clock

MAX_DELIVERIES = 1000
IDLE_WAIT_SECONDS = 60.0
"""How long the retry thread sleeps with nothing due; a push or a clock advance wakes it earlier."""


@dataclass(frozen=True)
class Outgoing:
    """One attempt's HTTP request, POSTed to the push's URL with `query` added to the URL's own."""

    query: str
    headers: Mapping[str, str]
    body: bytes


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Mapping[str, str]
    body: bytes


Judge = Callable[[Answer], str]
"""'' when the answer is what the platform counts as delivered, else why not (never a secret)."""


@dataclass
class Push:
    platform: str
    event_type: str
    event_id: str | None
    url: str
    deadline_ms: int
    build: Callable[[], Outgoing]
    judge: Judge
    retry_delays: list[float]
    summary: dict[str, object] = field(default_factory=dict)
    """What a delivery shows of its event: ids, never a mobile number."""
    plaintext: str = ""
    """The event as the platform would encrypt it; shown only when asked for explicitly."""


@dataclass
class Attempt:
    at_ms: int
    status: int | None
    elapsed_ms: int
    ok: bool
    reason: str

    def public(self) -> dict[str, object]:
        return {
            "at_ms": self.at_ms,
            "status": self.status,
            "elapsed_ms": self.elapsed_ms,
            "ok": self.ok,
            "reason": self.reason,
        }


@dataclass
class Delivery:
    delivery_id: str
    push: Push
    created_ms: int
    remaining: list[float]
    attempts: list[Attempt] = field(default_factory=list)
    due: float | None = None
    """Service time of the next retry; None when none is scheduled."""
    delivered: bool = False
    stopped: str = ""
    """Why retries stopped early (a reset, the cloud stopping)."""
    finished: threading.Event = field(default_factory=threading.Event)

    @property
    def pending_retries(self) -> int:
        if self.finished.is_set():
            return 0
        return (1 if self.due is not None else 0) + len(self.remaining)

    def public(self, clock: Clock, show_plaintext: bool = False) -> dict[str, object]:
        push = self.push
        out: dict[str, object] = {
            "delivery_id": self.delivery_id,
            "platform": push.platform,
            "event_type": push.event_type,
            "event_id": push.event_id,
            "url": push.url,
            "created_ms": self.created_ms,
            "delivered": self.delivered,
            "done": self.finished.is_set(),
            "attempts": [a.public() for a in self.attempts],
            "pending_retries": self.pending_retries,
            "next_retry_in_s": (
                round(max(0.0, self.due - clock.now()), 3)
                if self.due is not None and not self.finished.is_set()
                else None
            ),
            **push.summary,
        }
        if self.stopped:
            out["stopped"] = self.stopped
        if show_plaintext:
            out["plaintext"] = push.plaintext
        return out


def is_loopback_url(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        return False
    if parts.hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


def send(url: str, outgoing: Outgoing, deadline_ms: int) -> tuple[Answer | None, int, str]:
    """(answer, elapsed ms, why there is none): POST to a loopback URL, giving up at the platform's deadline."""
    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, outgoing.query) if q)
    target = (parts.path or "/") + (f"?{query}" if query else "")
    started = time.monotonic()
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=deadline_ms / 1000)
    try:
        connection.request("POST", target, body=outgoing.body, headers=dict(outgoing.headers))
        response = connection.getresponse()
        body = response.read()
        answer = Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, body)
        return answer, _elapsed_ms(started), ""
    except TimeoutError:
        return None, _elapsed_ms(started), f"no answer within {deadline_ms} ms"
    except (OSError, http.client.HTTPException) as error:
        return None, _elapsed_ms(started), f"connection failed: {type(error).__name__}"
    finally:
        connection.close()


def _elapsed_ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


Sender = Callable[[str, Outgoing, int], tuple[Answer | None, int, str]]


class Deliverer:
    """Every push of the local cloud, its attempts, and the thread that makes its retries."""

    def __init__(self, clock: Clock, sender: Sender = send) -> None:
        self.clock = clock
        self.sender = sender
        self._lock = threading.Condition()
        self._deliveries: OrderedDict[str, Delivery] = OrderedDict()
        self._ids = itertools.count(1)
        self._closed = False
        self._thread: threading.Thread | None = None
        clock.on_advance(self._wake)

    def push(self, push: Push, wait: bool = False) -> Delivery:
        """Make the first attempt now; schedule the retries a failure calls for; with `wait`, return only when the
        push was delivered or its retries are spent."""
        if not is_loopback_url(push.url):
            raise ValueError(f"url: {push.url} is not an http:// loopback URL; the local cloud pushes only to loopback")
        with self._lock:
            delivery = Delivery(
                delivery_id=f"d-{next(self._ids):06d}",
                push=push,
                created_ms=self.clock.now_ms(),
                remaining=list(push.retry_delays),
            )
            self._deliveries[delivery.delivery_id] = delivery
            while len(self._deliveries) > MAX_DELIVERIES:
                self._deliveries.popitem(last=False)
        self._attempt(delivery)
        if wait:
            delivery.finished.wait()
        return delivery

    def _attempt(self, delivery: Delivery) -> None:
        if delivery.finished.is_set():
            return
        push = delivery.push
        at_ms = self.clock.now_ms()
        answer, elapsed_ms, failure = self.sender(push.url, push.build(), push.deadline_ms)
        if answer is not None and elapsed_ms > push.deadline_ms:
            failure = f"answered after {elapsed_ms} ms, past the {push.deadline_ms} ms deadline"
        elif answer is not None:
            failure = push.judge(answer)
        attempt = Attempt(at_ms, answer.status if answer else None, elapsed_ms, not failure, failure or "ok")
        with self._lock:
            delivery.attempts.append(attempt)
            if delivery.finished.is_set():
                return
            if attempt.ok:
                delivery.delivered = True
                delivery.due = None
                delivery.finished.set()
            elif delivery.remaining and not self._closed:
                delivery.due = self.clock.now() + delivery.remaining.pop(0)
                self._ensure_thread()
                self._lock.notify_all()
            else:
                delivery.due = None
                delivery.finished.set()

    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="hr-push-retries", daemon=True)
            self._thread.start()

    def _wake(self) -> None:
        with self._lock:
            self._lock.notify_all()

    def _run(self) -> None:
        while True:
            with self._lock:
                if self._closed:
                    return
                now = self.clock.now()
                pending = [d for d in self._deliveries.values() if d.due is not None and not d.finished.is_set()]
                due = min(pending, key=lambda d: d.due or 0.0, default=None)
                if due is None or due.due is None:
                    self._lock.wait(IDLE_WAIT_SECONDS)
                    continue
                if due.due > now:
                    self._lock.wait(min(due.due - now, IDLE_WAIT_SECONDS))
                    continue
                due.due = None
            self._attempt(due)

    def get(self, delivery_id: str) -> Delivery | None:
        with self._lock:
            return self._deliveries.get(delivery_id)

    def all(self) -> list[Delivery]:
        with self._lock:
            return list(self._deliveries.values())

    def _stop_pending(self, reason: str) -> None:
        for delivery in self._deliveries.values():
            if not delivery.finished.is_set():
                delivery.stopped = reason
                delivery.due = None
                delivery.remaining.clear()
                delivery.finished.set()

    def reset(self) -> None:
        """Forget every delivery; pending retries never happen and anyone waiting on one is released."""
        with self._lock:
            self._stop_pending("reset")
            self._deliveries.clear()
            self._lock.notify_all()

    def open(self) -> None:
        with self._lock:
            self._closed = False

    def close(self) -> None:
        """Stop the retry thread; deliveries stay visible, their pending retries stopped."""
        with self._lock:
            self._closed = True
            self._stop_pending("the local cloud stopped")
            self._lock.notify_all()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)

"""The soak's own MNS clients: one per thread, and a send that counts only when MNS echoes what was sent.

An `mns.account.Account` holds one `http.client.HTTPConnection`, which is not thread-safe. Shared by threads, a
send's request head can go to a socket another thread has just closed and its body to the next socket, and the
sender then reads another thread's 201; the SDK accepts any 201 and never compares `MessageBodyMD5` with the
body, so the soak would believe a message was stored that never was. Hence one account per thread, and a send
is counted only when the answer's MD5 is the MD5 of the body; any other answer is sent again.

The harness keeps its own check rather than importing the product's: an oracle that shares the code it judges
shares its bugs too.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Mapping
from typing import Any

OBSERVER_TIMEOUT_SECONDS = 10
"""The SDK's default socket timeout is 60 s; a stalled read that long would make a settle loop misjudge quiet."""


class ForeignAnswerError(Exception):
    """MNS answered 201, but for another body: the message we sent may never have been stored."""


def body_md5(body: str) -> str:
    return hashlib.md5(body.encode("utf-8")).hexdigest().upper()  # noqa: S324 - MNS's own digest


def new_account(env: Mapping[str, str], timeout_seconds: int = OBSERVER_TIMEOUT_SECONDS) -> Any:
    from mns.account import Account

    account = Account(
        env["MNS_ENDPOINT"],
        env["ALIBABA_CLOUD_ACCESS_KEY_ID"],
        env["ALIBABA_CLOUD_ACCESS_KEY_SECRET"],
        env["ALIBABA_CLOUD_SECURITY_TOKEN"],
    )
    account.mns_client.set_connection_timeout(timeout_seconds)
    return account


class ThreadAccounts:
    """One account per calling thread, dropped after a failure so the next attempt starts on a clean socket."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self._env = dict(env)
        self._local = threading.local()

    def get(self) -> Any:
        account = getattr(self._local, "account", None)
        if account is None:
            account = self._local.account = new_account(self._env)
        return account

    def discard(self) -> None:
        self._local.account = None


def send_verified(queue: Any, body: str) -> str:
    """The message id, once MNS has answered for exactly this body; ForeignAnswerError otherwise."""
    from mns.queue import Message

    answer = queue.send_message(Message(body))
    echoed = str(getattr(answer, "message_body_md5", "") or "")
    if echoed.upper() != body_md5(body):
        raise ForeignAnswerError(f"MessageBodyMD5 {echoed or '(none)'} is not the MD5 of the body sent")
    return str(answer.message_id)

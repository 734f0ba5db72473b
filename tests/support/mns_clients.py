"""Official MNS SDK objects aimed at a local cloud, and a raw signed request for what the SDK refuses to send."""

from __future__ import annotations

import http.client
import time
from typing import Any
from urllib.parse import urlsplit

from mns.account import Account
from mns.mns_exception import MNSServerException
from mns.queue import Message, QueueMeta

from localcloud import LocalCloud
from localcloud.mns.signature import content_md5, sign, string_to_sign
from localcloud.wire import Request


def account(cloud: LocalCloud, **overrides: str) -> Any:
    cfg = cloud.config
    return Account(
        cloud.mns_endpoint,
        overrides.get("access_key_id", cfg.access_key_id),
        overrides.get("access_key_secret", cfg.access_key_secret),
        overrides.get("security_token", cfg.security_token),
    )


def queue(cloud: LocalCloud, name: str = "q1", meta: Any = None, encoded: bool = True) -> Any:
    q = account(cloud).get_queue(name)
    q.create(meta or QueueMeta())
    q.set_encoding(encoded)
    return q


def send(q: Any, body: str, **options: Any) -> Any:
    message = Message(body)
    if "delay_seconds" in options:
        message.set_delayseconds(options["delay_seconds"])
    if "priority" in options:
        message.set_priority(options["priority"])
    return q.send_message(message)


def receive_error(call: Any, *args: Any) -> MNSServerException:
    try:
        call(*args)
    except MNSServerException as error:
        return error
    raise AssertionError("expected an MNSServerException")


def queue_endpoint(cloud: LocalCloud, name: str) -> str:
    return f"acs:mns:{cloud.config.region}:{cloud.config.account_id}:queues/{name}"


def raw_request(
    cloud: LocalCloud, method: str, target: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> tuple[int, str]:
    """A correctly signed request with any body: how tests reach server-side checks the SDK pre-empts."""
    host = urlsplit(cloud.mns_endpoint).netloc
    headers = {
        "host": host,
        "date": time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime()),
        "x-mns-version": "2015-06-06",
        **(headers or {}),
    }
    if body:
        headers["content-type"] = "text/xml;charset=UTF-8"
        headers["content-md5"] = content_md5(body)
    text = string_to_sign(Request(method, target, headers, body))
    cfg = cloud.config
    headers["authorization"] = f"MNS {cfg.access_key_id}:{sign(cfg.access_key_secret, text)}"
    headers["security-token"] = cfg.security_token
    connection = http.client.HTTPConnection(host, timeout=10)
    try:
        connection.request(method, target, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8")
    finally:
        connection.close()


def drain(acct: Any, name: str) -> list[str]:
    """Receive and delete everything now on a queue; raw (unencoded) bodies, in order."""
    q = acct.get_queue(name)
    q.set_encoding(False)
    bodies: list[str] = []
    while True:
        try:
            messages = q.batch_receive_message(16, 0)
        except MNSServerException as error:
            if error.type != "MessageNotExist":
                raise
            return bodies
        q.batch_delete_message([m.receipt_handle for m in messages])
        bodies += [m.message_body for m in messages]

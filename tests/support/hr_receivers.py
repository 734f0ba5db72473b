"""A tiny webhook that the local cloud's DingTalk and Feishu pushes are sent to, with its own crypto.

The crypto here is written apart from the emulator's (plain `cryptography` with its stock PKCS#7 unpadder, hashlib)
and is checked against the vendors' published vectors in tests/localcloud/unit/test_hr_push_crypto.py, so a push the
receiver accepts is one a receiver built from the vendors' documents accepts, not merely one the emulator agrees
with itself about. Each receiver answers by a `Behaviour` and records every request it got and why it refused one.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


@dataclass
class Received:
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    refused: str = ""
    """Why the receiver refused the request ('' when it accepted it)."""
    plaintext: Any = None
    """The decrypted (or plain) JSON the request carried, when it could be read."""


Reply = tuple[int, dict[str, str], bytes]
Behaviour = Callable[[Received], Reply]


class WebhookReceiver:
    """A loopback HTTP server on a free port; `behaviour` decides each answer and may mark the request refused."""

    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        self.received: list[Received] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                request = Received(
                    path=parts.path,
                    query=dict(parse_qsl(parts.query, keep_blank_values=True)),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=self.rfile.read(length),
                )
                with receiver._lock:
                    receiver.received.append(request)
                status, headers, body = receiver.behaviour(request)
                try:
                    self.send_response(status)
                    for name, value in {"Content-Type": "application/json", **headers}.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's name
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def requests(self) -> list[Received]:
        with self._lock:
            return list(self.received)

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.server.shutdown()
        self.server.server_close()


# DingTalk, from hr-sources.md §1.3


def dingtalk_signature(token: str, timestamp: str, nonce: str, encrypt: str) -> str:
    return hashlib.sha1("".join(sorted([token, timestamp, nonce, encrypt])).encode()).hexdigest()  # noqa: S324


def _dingtalk_cipher(encoding_aes_key: str) -> Cipher[modes.CBC]:
    key = base64.b64decode(encoding_aes_key + "=")
    return Cipher(algorithms.AES(key), modes.CBC(key[:16]))


def dingtalk_decrypt(encoding_aes_key: str, encrypt: str) -> tuple[bytes, str, bytes]:
    """(message, owner key, random prefix); raises ValueError on a bad key or padding."""
    decryptor = _dingtalk_cipher(encoding_aes_key).decryptor()
    padded = decryptor.update(base64.b64decode(encrypt)) + decryptor.finalize()
    unpadder = padding.PKCS7(256).unpadder()
    plain = unpadder.update(padded) + unpadder.finalize()
    (length,) = struct.unpack("!I", plain[16:20])
    return plain[20 : 20 + length], plain[20 + length :].decode(), plain[:16]


def dingtalk_encrypt(encoding_aes_key: str, message: bytes, owner_key: str, prefix: bytes | None = None) -> str:
    padder = padding.PKCS7(256).padder()
    plain = (prefix or os.urandom(16)) + struct.pack("!I", len(message)) + message + owner_key.encode()
    padded = padder.update(plain) + padder.finalize()
    encryptor = _dingtalk_cipher(encoding_aes_key).encryptor()
    return base64.b64encode(encryptor.update(padded) + encryptor.finalize()).decode()


def dingtalk_success_reply(token: str, encoding_aes_key: str, owner_key: str) -> bytes:
    encrypt = dingtalk_encrypt(encoding_aes_key, b"success", owner_key)
    timestamp, nonce = str(int(time.time() * 1000)), "respnonc"
    reply = {
        "msg_signature": dingtalk_signature(token, timestamp, nonce, encrypt),
        "timeStamp": timestamp,
        "nonce": nonce,
        "encrypt": encrypt,
    }
    return json.dumps(reply).encode()


@dataclass
class DingTalkApp:
    token: str
    aes_key: str
    app_key: str
    freshness_seconds: float = 3600.0


def dingtalk_check(app: DingTalkApp, request: Received) -> str:
    """'' for a push a careful receiver accepts (either query spelling), else why not; fills `plaintext`."""
    query = request.query
    sign = query.get("signature") or query.get("msg_signature") or ""
    timestamp = query.get("timestamp") or query.get("timeStamp") or ""
    nonce = query.get("nonce", "")
    try:
        encrypt = json.loads(request.body)["encrypt"]
    except (ValueError, KeyError, TypeError):
        return "body"
    if dingtalk_signature(app.token, timestamp, nonce, encrypt) != sign:
        return "signature"
    if abs(time.time() - int(timestamp) / 1000) > app.freshness_seconds:
        return "stale"
    try:
        message, owner, _ = dingtalk_decrypt(app.aes_key, encrypt)
        request.plaintext = json.loads(message)
    except ValueError:
        return "decrypt"
    if owner != app.app_key:
        return "owner_key"
    return ""


def dingtalk_behaviour(app: DingTalkApp, delay: float = 0.0) -> Behaviour:
    def behave(request: Received) -> Reply:
        request.refused = dingtalk_check(app, request)
        if request.refused:
            return 403, {}, json.dumps({"error": request.refused}).encode()
        time.sleep(delay)
        return 200, {}, dingtalk_success_reply(app.token, app.aes_key, app.app_key)

    return behave


# Feishu, from hr-sources.md §2.2


def feishu_decrypt(encrypt_key: str, encrypt: str) -> bytes:
    data = base64.b64decode(encrypt)
    cipher = Cipher(algorithms.AES(hashlib.sha256(encrypt_key.encode()).digest()), modes.CBC(data[:16]))
    decryptor = cipher.decryptor()
    padded = decryptor.update(data[16:]) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    return unpadder.update(padded) + unpadder.finalize()


def feishu_encrypt(encrypt_key: str, plaintext: bytes, iv: bytes) -> str:
    padder = padding.PKCS7(128).padder()
    cipher = Cipher(algorithms.AES(hashlib.sha256(encrypt_key.encode()).digest()), modes.CBC(iv))
    encryptor = cipher.encryptor()
    sealed = encryptor.update(padder.update(plaintext) + padder.finalize()) + encryptor.finalize()
    return base64.b64encode(iv + sealed).decode()


@dataclass
class FeishuApp:
    encrypt_key: str
    verification_token: str
    require_encryption: bool = True


def feishu_check(app: FeishuApp, request: Received) -> str:
    """'' for an event or handshake a careful receiver accepts, else why not; fills `plaintext`."""
    try:
        outer = json.loads(request.body)
    except ValueError:
        return "body"
    if "encrypt" in outer:
        headers = request.headers
        expected = hashlib.sha256(
            (
                headers.get("x-lark-request-timestamp", "") + headers.get("x-lark-request-nonce", "") + app.encrypt_key
            ).encode()
            + request.body
        ).hexdigest()
        if headers.get("x-lark-signature") != expected:
            return "signature"
        try:
            document = json.loads(feishu_decrypt(app.encrypt_key, outer["encrypt"]))
        except ValueError:
            return "decrypt"
    elif app.require_encryption:
        return "not encrypted"
    else:
        document = outer
    request.plaintext = document
    token = document.get("token") if document.get("type") == "url_verification" else document["header"]["token"]
    if token != app.verification_token:
        return "token"
    return ""


def feishu_behaviour(app: FeishuApp, delay: float = 0.0, challenge: Callable[[str], str] = lambda c: c) -> Behaviour:
    def behave(request: Received) -> Reply:
        request.refused = feishu_check(app, request)
        if request.refused:
            return 401, {}, json.dumps({"msg": request.refused}).encode()
        time.sleep(delay)
        if request.plaintext.get("type") == "url_verification":
            return 200, {}, json.dumps({"challenge": challenge(request.plaintext["challenge"])}).encode()
        return 200, {}, b'{"msg":"success"}'

    return behave


def answering(status: int, body: bytes = b"{}", delay: float = 0.0) -> Behaviour:
    def behave(request: Received) -> Reply:
        time.sleep(delay)
        return status, {}, body

    return behave


def sequence(*behaviours: Behaviour) -> Behaviour:
    """The first request gets the first behaviour, and so on; the last one answers the rest."""
    count = iter(range(10**6))
    lock = threading.Lock()

    def behave(request: Received) -> Reply:
        with lock:
            index = next(count)
        return behaviours[min(index, len(behaviours) - 1)](request)

    return behave

"""A loopback MNS stand-in that answers some requests for a body other than the one sent.

This is what a client sees when two threads share one `http.client` connection and one reads the other's 201:
a well-formed answer with someone else's MessageId and MessageBodyMD5. The local cloud never answers that way
(it answers each request on its own connection), so the checks against it need this stand-in. It speaks just
enough of MNS for SendMessage, PublishMessage and BatchReceiveMessage, and does not check signatures.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from xml.etree import ElementTree
from xml.sax.saxutils import escape

_NS = "http://mns.aliyuncs.com/doc/v1/"


def md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest().upper()  # noqa: S324


@dataclass
class ForeignAnswers:
    """The first `foreign` sends or publishes are answered for another body, and nothing of them is kept."""

    foreign: int = 0
    received: list[str] = field(default_factory=list)
    """Every body sent or published, in order."""
    stored: list[str] = field(default_factory=list)
    """The bodies answered for truly."""
    inbox: list[str] = field(default_factory=list)
    """Bodies every BatchReceiveMessage hands out, with wrong MD5s while `foreign` lasts, until one is true."""
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    @property
    def endpoint(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def _next_is_foreign(self) -> bool:
        with self._lock:
            if self.foreign > 0:
                self.foreign -= 1
                return True
            return False

    def answer_send(self, body: str) -> tuple[int, str]:
        with self._lock:
            self.received.append(body)
            number = len(self.received)
        if self._next_is_foreign():
            digest, message_id = md5(body + " (another thread's)"), f"FOREIGN-{number}"
        else:
            with self._lock:
                self.stored.append(body)
            digest, message_id = md5(body), f"MSG-{number}"
        xml = f'<Message xmlns="{_NS}"><MessageId>{message_id}</MessageId>'
        xml += f"<MessageBodyMD5>{digest}</MessageBodyMD5></Message>"
        return 201, xml

    def answer_receive(self) -> tuple[int, str]:
        with self._lock:
            bodies = list(self.inbox)
        if not bodies:
            return 404, f'<Error xmlns="{_NS}"><Code>MessageNotExist</Code><Message>none</Message></Error>'
        damaged = self._next_is_foreign()
        if not damaged:
            with self._lock:
                self.inbox = []  # a damaged answer leaves them to come back, as MNS would after the timeout
        items = []
        for number, body in enumerate(bodies, 1):
            digest = md5(body + " (damaged)") if damaged else md5(body)
            items.append(
                f"<Message><MessageId>R-{number}</MessageId><ReceiptHandle>H-{number}</ReceiptHandle>"
                f"<MessageBodyMD5>{digest}</MessageBodyMD5><MessageBody>{escape(body)}</MessageBody>"
                "<EnqueueTime>1</EnqueueTime><NextVisibleTime>2</NextVisibleTime>"
                "<FirstDequeueTime>1</FirstDequeueTime><DequeueCount>1</DequeueCount><Priority>8</Priority></Message>"
            )
        return 200, f'<Messages xmlns="{_NS}">{"".join(items)}</Messages>'

    def __enter__(self) -> ForeignAnswers:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

            def _reply(self, status: int, xml: str) -> None:
                payload = ('<?xml version="1.0" encoding="UTF-8"?>' + xml).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "text/xml;charset=utf-8")
                self.send_header("x-mns-request-id", "5F0000000000000000000000")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8")
                found = ElementTree.fromstring(raw).find(f"{{{_NS}}}MessageBody")
                self._reply(*stub.answer_send("" if found is None else found.text or ""))

            def do_GET(self) -> None:
                self._reply(*stub.answer_receive())

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()

"""Sockets to `Request` and back, on loopback only, keep-alive, one thread per connection.

The standard library server is enough: the SDKs under test are synchronous, long polls park a thread each,
and the emulator must add no dependency of its own.
"""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from localcloud.gateway import Gateway, Reply
from localcloud.wire import Request, Response, ServiceError

CONTROL_PREFIX = "/_localcloud/"
MAX_BODY_BYTES = 8 * 1024 * 1024

ControlHandler = Callable[[Request], Response]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], gateway: Gateway, control: ControlHandler) -> None:
        self.gateway = gateway
        self.control = control
        self.open_sockets: set[socket.socket] = set()
        self.sockets_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request: socket.socket, client_address: object) -> None:  # type: ignore[override]
        with self.sockets_lock:
            self.open_sockets.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: socket.socket) -> None:  # type: ignore[override]
        with self.sockets_lock:
            self.open_sockets.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that died or hung up mid-request (a killed function instance, say) is no emulator error."""
        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError, ConnectionAbortedError)):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]

    def close_all_connections(self) -> None:
        """Kept-alive client connections would otherwise hold their threads past shutdown."""
        with self.sockets_lock:
            sockets = list(self.open_sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    """Responses leave in one write; with Nagle on, delayed ACKs would still cost 40 ms a call."""
    server: _Server

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Per-call lines come from the gateway in verbose mode; the default access log is noise."""

    def _handle(self) -> None:
        length_header = self.headers.get("Content-Length", "0") or "0"
        headers = {name.lower(): value for name, value in self.headers.items()}
        try:
            length = int(length_header)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY_BYTES:
            self._refuse(headers, length)
            return
        body = self.rfile.read(length) if length else b""
        if len(body) < length:
            # The client went away mid-body (a killed process): a server never sees that request, let alone
            # answers it. Processing the fragment would turn one lost request into a garbled one.
            self.close_connection = True
            return
        request = Request(
            method=self.command,
            target=self.path,
            headers=headers,
            body=body,
            client_address=str(self.client_address[0]),
        )
        if request.path.startswith(CONTROL_PREFIX) or request.path == CONTROL_PREFIX.rstrip("/"):
            reply = Reply(self.server.control(request))
        else:
            reply = self.server.gateway.process(request)
        self._send(reply)

    def _refuse(self, headers: dict[str, str], length: int) -> None:
        """A body we will not read, answered in the service's own error format (SDKs cannot parse HTML)."""
        self.close_connection = True
        request = Request(self.command, self.path, headers, b"", str(self.client_address[0]))
        status, message = (
            (413, f"The request body is over {MAX_BODY_BYTES} bytes.")
            if length > 0
            else (400, "The Content-Length header is not a valid length.")
        )
        response = self.server.gateway.service.render_error(request, ServiceError(status, "InvalidArgument", message))
        self._send(Reply(response))

    def _send(self, reply: Reply) -> None:
        if reply.drop or reply.response is None:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        response = reply.response
        head = [f"{self.protocol_version} {response.status} {_reason(response.status)}"]
        head += [f"{name}: {value}" for name, value in response.headers.items()]
        head.append(f"Content-Length: {len(response.body)}")
        body = response.body if self.command != "HEAD" else b""
        self.wfile.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _handle  # noqa: N815 - http.server names


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


class HttpEndpoint:
    """One listening port serving one service plus the control plane."""

    def __init__(self, host: str, port: int, gateway: Gateway, control: ControlHandler) -> None:
        self._server = _Server((host, port), gateway, control)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def host(self) -> str:
        return str(self._server.server_address[0])

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"localcloud-{self._server.gateway.service.name}",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.close_all_connections()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

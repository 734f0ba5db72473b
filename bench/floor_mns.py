"""The floor for MNS benchmarks: a loopback server that answers send, receive and delete with canned XML.

It checks no signature and keeps no state, so the SDK, `http.client` and the socket are all that remain; the
emulator's cost is whatever it adds on top of this. Run as a process of its own; it prints its port.
"""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

NS = 'xmlns="http://mns.aliyuncs.com/doc/v1/"'
SENT = (
    f'<?xml version="1.0" encoding="UTF-8"?><Message {NS}><MessageId>F-1</MessageId>'
    "<MessageBodyMD5>0</MessageBodyMD5></Message>"
)
RECEIVED = (
    f'<?xml version="1.0" encoding="UTF-8"?><Message {NS}><MessageId>F-1</MessageId><ReceiptHandle>1-F</ReceiptHandle>'
    "<MessageBodyMD5>0</MessageBodyMD5><MessageBody>aGVsbG8=</MessageBody><EnqueueTime>1</EnqueueTime>"
    "<NextVisibleTime>2</NextVisibleTime><FirstDequeueTime>1</FirstDequeueTime><DequeueCount>1</DequeueCount>"
    "<Priority>8</Priority></Message>"
)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def _answer(self, status: int, body: str, headers: dict[str, str] | None = None) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0") or 0))
        data = body.encode()
        self.send_response_only(status)
        self.send_header("x-mns-request-id", "FLOOR")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        if data:
            self.send_header("Content-Type", "text/xml;charset=utf-8")
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        self._answer(201, SENT)

    def do_GET(self) -> None:
        self._answer(200, RECEIVED)

    def do_PUT(self) -> None:
        self._answer(201, "", {"Location": f"http://{self.headers.get('host', '')}{self.path}"})

    def do_DELETE(self) -> None:
        self._answer(204, "")


def main() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()

"""The HTTP trigger: a loopback server per function that turns real requests into FC3 HTTP events and back.

The event is the FC3 built-in runtime's (`events/fc/http.json`): `rawPath` URL-encoded and the decoded path in
`requestContext.http.path`, header names Go-canonical, repeated headers and query parameters comma-joined,
`timeEpoch` a string, binary bodies base64-encoded. The handler's answer is mapped back as FC maps it:
`{"statusCode", "headers", "body", "isBase64Encoded"}`, else bytes, else text.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TypedDict
from urllib.parse import unquote, unquote_plus

from localcloud.fc.api import InvocationError
from localcloud.fc.pool import InstancePool
from localcloud.fc.process import new_request_id


class HttpDetails(TypedDict):
    method: str
    path: str
    protocol: str
    sourceIp: str
    userAgent: str


class HttpRequestContext(TypedDict):
    accountId: str
    domainName: str
    domainPrefix: str
    http: HttpDetails
    requestId: str
    time: str
    timeEpoch: str


class HttpEvent(TypedDict):
    version: str
    rawPath: str
    body: str
    isBase64Encoded: bool
    headers: dict[str, str]
    queryParameters: dict[str, str]
    requestContext: HttpRequestContext


def _go_header(name: str) -> str:
    return "-".join(part[:1].upper() + part[1:].lower() for part in name.split("-"))


def http_event(method: str, target: str, headers: Mapping[str, str], body: bytes, client: str) -> HttpEvent:
    """An FC3 HTTP trigger event for one real request (headers Go-canonical, repeated values comma-joined)."""
    path, _, query = target.partition("?")
    parameters: dict[str, str] = {}
    for pair in filter(None, query.split("&")):
        key, _, value = pair.partition("=")
        key, value = unquote_plus(key), unquote_plus(value)
        parameters[key] = f"{parameters[key]},{value}" if key in parameters else value
    try:
        text, encoded = body.decode("utf-8"), False
    except UnicodeDecodeError:
        text, encoded = base64.b64encode(body).decode("ascii"), True
    now = time.time()
    return {
        "version": "v1",
        "rawPath": path,
        "body": text,
        "isBase64Encoded": encoded,
        "headers": {_go_header(k): v for k, v in headers.items()},
        "queryParameters": parameters,
        "requestContext": {
            "accountId": "",
            "domainName": "localhost",
            "domainPrefix": "local",
            "http": {
                "method": method,
                "path": unquote(path),
                "protocol": "HTTP/1.1",
                "sourceIp": client,
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": new_request_id(),
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
            "timeEpoch": str(int(now * 1000)),
        },
    }


def http_answer(result: object) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body for what the handler returned."""
    if isinstance(result, dict) and "statusCode" in result:
        raw = result.get("body") or ""
        payload = base64.b64decode(raw) if result.get("isBase64Encoded") else str(raw).encode("utf-8")
        return int(result["statusCode"]), {str(k): str(v) for k, v in (result.get("headers") or {}).items()}, payload
    if isinstance(result, bytes):
        return 200, {"Content-Type": "application/octet-stream"}, result
    text = result if isinstance(result, str) else json.dumps(result)
    return 200, {"Content-Type": "text/plain"}, text.encode("utf-8")


class HttpTriggerServer(ThreadingHTTPServer):
    """One function's HTTP trigger on a free loopback port."""

    daemon_threads = True

    def __init__(self, instance: InstancePool) -> None:
        self.instance = instance
        super().__init__(("127.0.0.1", 0), _HttpTriggerHandler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _HttpTriggerHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body leave as two writes; Nagle would hold the body ~40 ms
    server: HttpTriggerServer

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def _serve(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers: dict[str, str] = {}
        for name, value in self.headers.items():
            key = name.lower()
            headers[key] = f"{headers[key]},{value}" if key in headers else value
        event = http_event(self.command, self.path, headers, body, self.client_address[0])
        try:
            result = self.server.instance.invoke(json.dumps(event).encode(), event["requestContext"]["requestId"])
            status, out_headers, payload = http_answer(result)
        except InvocationError as error:
            status, out_headers, payload = 502, {"Content-Type": "text/plain"}, f"function error: {error}".encode()
        self.send_response(status)
        for name, value in out_headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":  # RFC 9110 9.3.2: the length a GET would have, but never the content
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _serve  # noqa: N815

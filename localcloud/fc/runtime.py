"""A local Function Compute for the functions s.yaml declares, wired to the local cloud.

- Each function runs in its own process (an "instance"), one invocation at a time, with the environment FC
  would give it: s.yaml's variables, FC_* system variables, and the local cloud's endpoints and STS credentials.
- HTTP triggers: a loopback server per function turns real HTTP requests into FC3 HTTP events and back.
- EventBridge MNS triggers: a poller drains the queue into batches (count and time windows), invokes the
  function with a CloudEvents (or RawData) array, deletes the batch on success, retries on failure, and after
  the retry strategy is spent sends each message to the trigger's dead-letter queue, as errorsTolerance ALL does.
- Timer triggers fire on their cron expression (six fields with seconds, or `@every 30s`), and on demand.

It knows the product only through s.yaml: handlers, code paths, variables and triggers.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, unquote_plus

from localcloud.fc.cron import Schedule
from localcloud.fc.instance import read_frame, write_frame
from localcloud.fc.spec import FunctionSpec

InvokeResult = dict[str, Any]


class InvocationError(Exception):
    """The function raised (FC's UnhandledInvocationError) or its instance died."""


@dataclass
class FunctionInstance:
    spec: FunctionSpec
    code: Path
    environment: dict[str, str]
    extra_path: list[str] = field(default_factory=list)
    log: Callable[[str], None] = lambda line: None
    _process: subprocess.Popen[bytes] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _start(self) -> subprocess.Popen[bytes]:
        script = Path(__file__).with_name("instance.py")
        command = [sys.executable, str(script), str(self.code), self.spec.handler, *self.extra_path]
        process = subprocess.Popen(  # noqa: S603
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=self.environment,
            cwd=str(self.code),
        )
        threading.Thread(target=self._pump_logs, args=(process,), daemon=True).start()
        assert process.stdout is not None
        ready = read_frame(process.stdout)
        if not ready or not ready.get("ready"):
            process.kill()
            raise InvocationError(f"{self.spec.function_name}: the instance did not start (see its log)")
        return process

    def _pump_logs(self, process: subprocess.Popen[bytes]) -> None:
        assert process.stderr is not None
        for raw in process.stderr:
            self.log(raw.decode("utf-8", "replace").rstrip("\n"))

    def invoke(self, event: bytes, request_id: str | None = None) -> Any:
        """The handler's return value; InvocationError when it raised, as FC reports a function error."""
        with self._lock:
            if self._process is None or self._process.poll() is not None:
                self._process = self._start()
            process = self._process
            assert process.stdin is not None
            assert process.stdout is not None
            frame = {"event": base64.b64encode(event).decode(), "context": {"request_id": request_id or _request_id()}}
            try:
                write_frame(process.stdin, frame)
                answer = read_frame(process.stdout)
            except (BrokenPipeError, OSError) as error:
                self._process = None
                raise InvocationError(f"{self.spec.function_name}: instance crashed: {error}") from error
            if answer is None:
                self._process = None
                raise InvocationError(f"{self.spec.function_name}: instance exited during the invocation")
        if not answer.get("ok"):
            raise InvocationError(str(answer.get("error")))
        if "bytes" in answer:
            return base64.b64decode(answer["bytes"])
        return answer.get("json")

    def kill(self) -> bool:
        """SIGKILL the instance mid-invocation, as an out-of-memory kill or a host failure would; no lock, since
        the invocation that holds it is what is being killed. The next invocation starts a new instance."""
        process = self._process
        if process is None or process.poll() is not None:
            return False
        process.kill()
        return True

    def stop(self) -> None:
        with self._lock:
            if self._process is not None and self._process.poll() is None:
                assert self._process.stdin is not None
                self._process.stdin.close()
                try:
                    self._process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self._process.kill()
            self._process = None


def _request_id() -> str:
    return "1-" + uuid.uuid4().hex[:8] + "-" + uuid.uuid4().hex[:24]


def _go_header(name: str) -> str:
    return "-".join(part[:1].upper() + part[1:].lower() for part in name.split("-"))


def http_event(method: str, target: str, headers: Mapping[str, str], body: bytes, client: str) -> dict[str, Any]:
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
            "requestId": _request_id(),
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
            "timeEpoch": str(int(now * 1000)),
        },
    }


class _HttpTrigger(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, instance: FunctionInstance) -> None:
        self.instance = instance
        super().__init__(("127.0.0.1", 0), _HttpTriggerHandler)


class _HttpTriggerHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body leave as two writes; Nagle would hold the body ~40 ms
    server: _HttpTrigger

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
            status, out_headers, payload = _http_answer(result)
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


def _http_answer(result: Any) -> tuple[int, dict[str, str], bytes]:
    if isinstance(result, dict) and "statusCode" in result:
        raw = result.get("body") or ""
        payload = base64.b64decode(raw) if result.get("isBase64Encoded") else str(raw).encode("utf-8")
        return int(result["statusCode"]), {str(k): str(v) for k, v in (result.get("headers") or {}).items()}, payload
    if isinstance(result, bytes):
        return 200, {"Content-Type": "application/octet-stream"}, result
    text = result if isinstance(result, str) else json.dumps(result)
    return 200, {"Content-Type": "text/plain"}, text.encode("utf-8")


def _message(body: str) -> Any:
    from mns.queue import Message

    return Message(body)


def _maybe_base64(body: str) -> str:
    try:
        decoded = base64.b64decode(body, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return body
    return decoded


@dataclass
class QueuePoller:
    """EventBridge's MNS source, event-streaming mode, for one trigger."""

    instance: FunctionInstance
    account: Any
    queue: str
    region: str
    account_id: str
    config: Mapping[str, Any]
    stopping: threading.Event
    log: Callable[[str], None]

    def _options(self) -> tuple[int, float, int, str, bool, str]:
        run = self.config.get("runOptions") or {}
        window = run.get("batchWindow") or {}
        retry = run.get("retryStrategy") or {}
        source = ((self.config.get("eventSourceConfig") or {}).get("eventSourceParameters") or {}).get(
            "sourceMNSParameters"
        ) or {}
        schema = ((self.config.get("eventSinkConfig") or {}).get("deliveryOption") or {}).get("eventSchema")
        dead_letter = str((run.get("deadLetterQueue") or {}).get("Arn") or "")
        return (
            int(window.get("CountBasedWindow", 1)),
            float(window.get("TimeBasedWindow", 0)),
            int(retry.get("MaximumRetryAttempts", 3)),
            str(schema or "CloudEvents"),
            bool(source.get("IsBase64Decode", True)),
            dead_letter.rsplit("/queues/", 1)[-1] if "/queues/" in dead_letter else "",
        )

    def _event(self, message: Any, decode: bool) -> dict[str, Any]:
        body = _maybe_base64(message.message_body) if decode else message.message_body
        data = {"requestId": uuid.uuid4().hex.upper()[:24], "messageId": message.message_id, "messageBody": body}
        return {
            "id": str(uuid.uuid4()),
            "source": f"MNS-{self.instance.spec.function_name}",
            "specversion": "1.0",
            "type": "mns:Queue:SendMessage",
            "datacontenttype": "application/json; charset=utf-8",
            "subject": f"acs:mns:{self.region}:{self.account_id}:queues/{self.queue}",
            "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "aliyunaccountid": self.account_id,
            "aliyunregionid": self.region,
            "data": data,
        }

    def run(self) -> None:
        from mns.mns_exception import MNSExceptionBase

        count, window, attempts, schema, decode, dead_letter = self._options()
        queue = self.account.get_queue(self.queue)
        queue.set_encoding(False)
        while not self.stopping.is_set():
            batch: list[Any] = []
            deadline = time.monotonic() + window
            try:
                while len(batch) < count and not self.stopping.is_set():
                    wait = 1 if not batch else max(0, int(deadline - time.monotonic()))
                    try:
                        batch += queue.batch_receive_message(min(16, count - len(batch)), wait)
                    except MNSExceptionBase as error:
                        if getattr(error, "type", "") != "MessageNotExist":
                            raise
                        if batch and time.monotonic() >= deadline:
                            break
                    if batch and time.monotonic() >= deadline:
                        break
                if not batch:
                    continue
                events = [self._event(m, decode) for m in batch]
                payload = events if schema == "CloudEvents" else [e["data"] for e in events]
                self._deliver(queue, batch, payload, attempts, dead_letter)
            except Exception as error:  # the poller must outlive any one bad batch
                self.log(f"[{self.instance.spec.resource}] poller: {type(error).__name__}: {error}")
                self.stopping.wait(1)

    def _deliver(self, queue: Any, batch: list[Any], payload: list[Any], attempts: int, dead_letter: str) -> None:
        event = json.dumps(payload).encode()
        for attempt in range(attempts + 1):
            try:
                self.instance.invoke(event)
                queue.batch_delete_message([m.receipt_handle for m in batch])
                return
            except InvocationError as error:
                self.log(f"[{self.instance.spec.resource}] attempt {attempt + 1} failed: {error}")
                if self.stopping.wait(min(0.2 * 2**attempt, 2)):
                    return
        if dead_letter:
            target = self.account.get_queue(dead_letter)
            target.set_encoding(False)
            for item in payload:
                target.send_message(_message(json.dumps(item)))
            queue.batch_delete_message([m.receipt_handle for m in batch])
            self.log(f"[{self.instance.spec.resource}] {len(batch)} message(s) sent to dead-letter queue {dead_letter}")


def _stderr_lines() -> Callable[[str], None]:
    """One write per line under a lock: instances log from several threads, and a line must stay whole."""
    lock = threading.Lock()

    def write(line: str) -> None:
        with lock:
            sys.stderr.write(line + "\n")
            sys.stderr.flush()

    return write


class LocalFunctionRuntime:
    def __init__(
        self,
        functions: list[FunctionSpec],
        root: Path,
        cloud_env: Mapping[str, str],
        source_map: Mapping[str, Path] | None = None,
        log: Callable[[str], None] | None = None,
        region: str = "cn-hangzhou",
        account_id: str = "1234567890123456",
        timers: bool = True,
    ) -> None:
        self.functions = functions
        self.root = root
        self.cloud_env = dict(cloud_env)
        self.log = log or _stderr_lines()
        self.region = region
        self.account_id = account_id
        self.timers = timers
        self.stopping = threading.Event()
        self.instances: dict[str, FunctionInstance] = {}
        self.http_urls: dict[str, str] = {}
        self._servers: list[_HttpTrigger] = []
        self._threads: list[threading.Thread] = []
        for spec in functions:
            code = (source_map or {}).get(spec.resource) or (root / spec.code).resolve()
            self.instances[spec.resource] = FunctionInstance(
                spec, code, self._environment(spec), [str(root)] if source_map else [], self.log
            )

    def _environment(self, spec: FunctionSpec) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "SYSTEMROOT", "TMPDIR")}
        env.update({k: str(v) for k, v in spec.environment.items() if k != "PYTHONPATH"})
        env.update(self.cloud_env)
        env.update(
            {
                "FC_FUNCTION_NAME": spec.function_name,
                "FC_FUNCTION_HANDLER": spec.handler,
                "FC_FUNCTION_MEMORY_SIZE": str(spec.props.get("memorySize", 512)),
                "FC_TIMEOUT": str(spec.timeout),
                "FC_REGION": self.region,
                "FC_ACCOUNT_ID": self.account_id,
                "FC_RUNTIME": spec.runtime,
                "FC_INSTANCE_ID": uuid.uuid4().hex,
                "PYTHONUNBUFFERED": "1",
            }
        )
        return env

    def start(self, account: Any) -> LocalFunctionRuntime:
        for spec in self.functions:
            instance = self.instances[spec.resource]
            for trigger in spec.triggers:
                kind = trigger.get("triggerType")
                config = trigger.get("triggerConfig") or {}
                if kind == "http":
                    server = _HttpTrigger(instance)
                    self._servers.append(server)
                    self._spawn(server.serve_forever, f"http-{spec.resource}")
                    self.http_urls[spec.resource] = f"http://127.0.0.1:{server.server_address[1]}"
                elif kind == "eventbridge" and (config.get("eventSourceConfig") or {}).get("eventSourceType") == "MNS":
                    params = config["eventSourceConfig"]["eventSourceParameters"]["sourceMNSParameters"]
                    poller = QueuePoller(
                        instance,
                        account,
                        params["QueueName"],
                        self.region,
                        self.account_id,
                        config,
                        self.stopping,
                        self.log,
                    )
                    self._spawn(poller.run, f"poller-{spec.resource}")
                elif kind == "timer" and self.timers and config.get("enable", True):
                    schedule = Schedule.parse(str(config["cronExpression"]))
                    payload = str(config.get("payload") or "")
                    name = str(trigger.get("triggerName"))
                    self._spawn(
                        partial(self._timer, schedule, spec.resource, payload, name),
                        f"timer-{spec.resource}",
                    )
        return self

    def _spawn(self, target: Callable[[], None], name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _timer(self, schedule: Schedule, resource: str, payload: str, name: str) -> None:
        while not self.stopping.is_set():
            due = schedule.next_after(time.time())
            if self.stopping.wait(max(0.0, due - time.time())):
                return
            try:
                self.fire_timer(resource, payload, name)
            except InvocationError as error:
                self.log(f"[{resource}] timer invocation failed: {error}")

    def fire_timer(self, resource: str, payload: str = "", name: str = "timer") -> Any:
        event = {
            "triggerTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "triggerName": name,
            "payload": payload,
        }
        return self.instances[resource].invoke(json.dumps(event).encode())

    def invoke(self, resource: str, event: bytes) -> Any:
        return self.instances[resource].invoke(event)

    def kill_instance(self, resource: str) -> bool:
        instance = self.instances.get(resource)
        return instance is not None and instance.kill()

    def stop(self) -> None:
        self.stopping.set()
        for server in self._servers:
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        for instance in self.instances.values():
            instance.stop()

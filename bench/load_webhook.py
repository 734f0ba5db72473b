"""A bounded load run against the local webhook: throughput, latency and errors, with zero errors required.

    python bench/load_webhook.py [--clients 4] [--duration 10] [--requests N] [--json PATH] [--log PATH]

The whole local deployment (`python -m localcloud dev --no-timers`) runs in a child process, so the clients
here never share an interpreter (or a GIL) with the server they measure. Each client is a thread holding one
keep-alive HTTP connection and sending signed `POST /events` requests, each a distinct event (a unique event_id,
correlation id and uid) derived from the valid samples in events/hr/. Every answer must be 202; any other
status or a connection error is an error, and one error makes the run fail.

Threads are enough on the client side: a request costs the client far less than the server (which runs the
function in an instance of its own, one invocation at a time, as FC does with concurrency 1), and the client's
CPU share is printed so that claim is checked on every run.

Afterwards the run checks that every accepted event reached the input queue: the local cloud's call log must
hold one successful SendMessage to INPUT_QUEUE per 202. The log is bounded, so it is read while the load runs;
a gap in its sequence numbers means records were lost and fails the run rather than guessing. The worker
drains the queue at the same time (capped at DMS_QPS, so it falls behind; that is expected), and the outcomes
it published and the backlog left are reported. Finally the functions' log is scanned for secrets and unmasked
mobiles (scripts/scan_logs.py).

`--requests` caps the total; with it and no `--duration`, the run lasts until the cap is reached.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import sys
import threading
import time
import uuid
import warnings
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from localcloud.control.client import ControlClient  # noqa: E402
from localcloud.process import LocalCloudProcess  # noqa: E402
from scripts.scan_logs import known_secrets, scan_file  # noqa: E402
from shared.webhook.auth import sign  # noqa: E402

SAMPLES = ("hired-explicit-roles.json", "hired-mapping-only.json", "updated.json")
FIRST_UID = 4_000_000_000_000
"""13 digits, well apart from the samples' own UIDs and from those bench/product.py uses."""
DEFAULT_DURATION = 10.0


class Events:
    """Distinct, valid events: the samples in turn, each with its own identity so none is a duplicate."""

    def __init__(self, run: str) -> None:
        self.run = run
        self.samples = [json.loads((ROOT / "events" / "hr" / name).read_text(encoding="utf-8")) for name in SAMPLES]

    def body(self, number: int) -> bytes:
        """Negative numbers are the warm-up requests."""
        sample = self.samples[number % len(self.samples)]
        label = f"warmup{-number}" if number < 0 else f"{number:07d}"
        event = {
            **sample,
            "event_id": f"load:{self.run}:{label}",
            "correlation_id": f"load-{self.run}-{label}",
            "employee": {**sample["employee"], "uid": str(FIRST_UID + number)},
        }
        return json.dumps(event, separators=(",", ":")).encode("utf-8")


@dataclass
class ClientResult:
    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    accepted: int = 0


class Load:
    """Hands out request numbers until the cap or the deadline, whichever comes first."""

    def __init__(self, url: str, secret: str, events: Events, cap: int | None) -> None:
        parts = urlsplit(url)
        if parts.hostname not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError(f"WEBHOOK_URL: {url} is not a loopback URL")
        self.host, self.port = parts.hostname, parts.port or 80
        self.secret = secret
        self.events = events
        self.cap = cap
        self.deadline = math.inf
        self._issued = 0
        self._lock = threading.Lock()

    def take(self) -> int | None:
        with self._lock:
            if (self.cap is not None and self._issued >= self.cap) or time.monotonic() >= self.deadline:
                return None
            self._issued += 1
            return self._issued

    def connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.host, self.port, timeout=30)

    def post(self, connection: http.client.HTTPConnection, number: int, result: ClientResult) -> float:
        """Seconds for one request; the outcome lands in `result`."""
        body = self.events.body(number)
        stamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "X-Timestamp": stamp,
            "X-Signature": sign(self.secret, stamp, body),
        }
        started = time.perf_counter()
        try:
            connection.request("POST", "/events", body, headers)
            answer = connection.getresponse()
            answer.read()
        except (OSError, http.client.HTTPException) as error:
            connection.close()  # the next request reconnects
            result.errors[type(error).__name__] += 1
            return time.perf_counter() - started
        elapsed = time.perf_counter() - started
        if answer.status == 202:
            result.accepted += 1
        else:
            result.errors[f"HTTP {answer.status}"] += 1
        return elapsed

    def client(self, index: int, warmup: ClientResult, result: ClientResult, barrier: threading.Barrier) -> None:
        connection = self.connect()
        try:
            # One request per client before the clock starts: it opens the keep-alive connection and, for the
            # first client, pays the instance's cold start, which is bench/product.py's subject, not this one's.
            try:
                self.post(connection, -1 - index, warmup)
            except BaseException:
                barrier.abort()  # or the run would wait forever for this client
                raise
            barrier.wait()
            while (number := self.take()) is not None:
                result.latencies.append(self.post(connection, number, result))
        finally:
            connection.close()


class CallLogReader:
    """Reads the bounded call log often enough that no record falls out of it before it is counted."""

    def __init__(self, control: ControlClient, interval: float = 0.25) -> None:
        self.control = control
        self.interval = interval
        self.last = max((int(c["seq"]) for c in control.calls()), default=0)
        self.counts: Counter[tuple[str, str, str]] = Counter()
        self.gaps = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="call-log", daemon=True)

    def start(self) -> CallLogReader:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.read()

    def read(self) -> None:
        for record in self.control.calls(since=self.last):
            seq = int(record["seq"])
            if seq != self.last + 1:
                self.gaps += seq - self.last - 1
            self.last = seq
            if 200 <= int(record["status"]) < 300:
                params = record.get("params") or {}
                target = str(params.get("queue") or params.get("topic") or "")
                self.counts[(str(record["action"]), target, str(record["service"]))] += 1

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self.read()

    def count(self, action: str, target: str) -> int:
        return sum(n for (a, t, _), n in self.counts.items() if a == action and t == target)


def percentile(ordered: list[float], q: float) -> float:
    """Nearest rank: a latency some request really had."""
    if not ordered:
        return math.nan
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def queue_backlog(env: dict[str, str], name: str) -> int:
    from mns.account import Account

    queue = Account(
        env["MNS_ENDPOINT"],
        env["ALIBABA_CLOUD_ACCESS_KEY_ID"],
        env["ALIBABA_CLOUD_ACCESS_KEY_SECRET"],
        env["ALIBABA_CLOUD_SECURITY_TOKEN"],
    ).get_queue(name)
    meta = queue.get_attributes()
    with warnings.catch_warnings():  # the SDK marks the counts deprecated, yet they are what MNS answers
        warnings.simplefilter("ignore", DeprecationWarning)
        return int(meta.active_messages) + int(meta.inactive_messages) + int(meta.delay_messages)


def run(args: argparse.Namespace) -> dict[str, Any]:
    log_path = Path(args.log)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    duration = args.duration if args.duration is not None else (None if args.requests else DEFAULT_DURATION)
    with LocalCloudProcess(command="dev", extra_args=["--no-timers"], stderr=log_path) as cloud:
        env = cloud.env
        control = ControlClient(env["LOCALCLOUD_CONTROL_URL"])
        load = Load(env["WEBHOOK_URL"], env["WEBHOOK_SECRET"], Events(uuid.uuid4().hex[:8]), args.requests)
        calls = CallLogReader(control).start()
        warmups = [ClientResult() for _ in range(args.clients)]
        results = [ClientResult() for _ in range(args.clients)]
        barrier = threading.Barrier(args.clients + 1)
        threads = [
            threading.Thread(target=load.client, args=(i, warmups[i], results[i], barrier), name=f"client-{i}")
            for i in range(args.clients)
        ]
        for thread in threads:
            thread.start()
        barrier.wait()
        started = time.perf_counter()
        cpu_started = time.process_time()
        load.deadline = time.monotonic() + duration if duration is not None else math.inf
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        calls.stop()
        backlog = queue_backlog(env, env["INPUT_QUEUE"])
        secrets = known_secrets(env)
    latencies = sorted(t for r in results for t in r.latencies)
    errors: Counter[str] = Counter()
    for r in (*warmups, *results):
        errors.update(r.errors)
    accepted = sum(r.accepted for r in (*warmups, *results))
    enqueued = calls.count("SendMessage", env["INPUT_QUEUE"])
    findings = scan_file(log_path, secrets)
    with log_path.open(encoding="utf-8", errors="replace") as log:
        log_lines = sum(1 for _ in log)
    return {
        "clients": args.clients,
        "requests": len(latencies),
        "duration_s": elapsed,
        "requests_per_s": len(latencies) / elapsed if elapsed else 0.0,
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p90_ms": percentile(latencies, 0.90) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "max_ms": (latencies[-1] if latencies else math.nan) * 1000,
        "errors": sum(errors.values()),
        "error_kinds": dict(errors),
        "warmup_requests": args.clients,
        "accepted": accepted,
        "enqueued": enqueued,
        "unaccounted": accepted - enqueued,
        "call_log_gaps": calls.gaps,
        "outcomes_published": calls.count("PublishMessage", env["RESULT_TOPIC"]),
        "dead_lettered": calls.count("SendMessage", env["DEAD_LETTER_QUEUE"]),
        "input_backlog": backlog,
        "client_cpu_percent": 100 * cpu / elapsed if elapsed else 0.0,
        "log": str(log_path),
        "log_lines": log_lines,
        "log_findings": len(findings),
    }


def report(figures: dict[str, Any]) -> None:
    print(f"\nwebhook POST /events, {figures['clients']} keep-alive clients, loopback")
    rows = [
        ("requests", f"{figures['requests']}"),
        ("duration", f"{figures['duration_s']:.2f} s"),
        ("requests/s", f"{figures['requests_per_s']:.0f}"),
        ("p50", f"{figures['p50_ms']:.1f} ms"),
        ("p90", f"{figures['p90_ms']:.1f} ms"),
        ("p99", f"{figures['p99_ms']:.1f} ms"),
        ("max", f"{figures['max_ms']:.1f} ms"),
        ("errors", f"{figures['errors']}" + (f" {figures['error_kinds']}" if figures["error_kinds"] else "")),
        ("client CPU", f"{figures['client_cpu_percent']:.0f}% of one core"),
    ]
    for name, value in rows:
        print(f"  {name:<12}{value:>14}")
    print(
        f"\naccepted {figures['accepted']} (with {figures['warmup_requests']} warm-up), "
        f"enqueued {figures['enqueued']} to the input queue, unaccounted {figures['unaccounted']}"
        + (f", call log gaps {figures['call_log_gaps']}" if figures["call_log_gaps"] else "")
    )
    print(
        f"worker meanwhile: {figures['outcomes_published']} outcomes published, "
        f"{figures['dead_lettered']} dead-lettered, {figures['input_backlog']} still queued"
    )
    print(f"log scan of {figures['log']} ({figures['log_lines']} lines): {figures['log_findings']} findings")


def failures(figures: dict[str, Any]) -> Iterator[str]:
    if figures["unaccounted"] != 0:
        yield f"{figures['unaccounted']} accepted events are not on the input queue"
    if figures["call_log_gaps"]:
        yield f"the call log lost {figures['call_log_gaps']} records before they were read; enqueueing unverified"
    if figures["log_findings"]:
        yield f"the log scan found {figures['log_findings']} leaks; run scripts/scan_logs.py {figures['log']}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=4, help="concurrent keep-alive clients (default 4)")
    parser.add_argument(
        "--duration",
        type=float,
        default=None,
        help=f"seconds of load (default {DEFAULT_DURATION:g} without --requests)",
    )
    parser.add_argument("--requests", type=int, default=None, help="stop after this many requests in all")
    parser.add_argument("--json", default=str(ROOT / "bench" / "results-load.json"), help="where to write figures")
    parser.add_argument(
        "--log", default=str(ROOT / "build" / "load-functions.log"), help="where the deployment's log goes"
    )
    args = parser.parse_args(argv)
    if args.clients < 1 or (args.requests is not None and args.requests < 1):
        parser.error("--clients and --requests must be at least 1")
    if args.duration is not None and args.duration <= 0:
        parser.error("--duration must be positive")
    print(f"  starting the local deployment (log: {args.log}) ...", flush=True)
    figures = run(args)
    report(figures)
    Path(args.json).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(f"\nwritten to {args.json}")
    problems = list(failures(figures))
    for problem in problems:
        print(f"FAILED: {problem}", file=sys.stderr)
    print(f"errors: {figures['errors']}")
    return 1 if figures["errors"] or problems else 0


if __name__ == "__main__":
    sys.exit(main())

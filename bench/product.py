"""The product against its floors: the same official SDK calls made by a bare script, in the same run.

    python bench/product.py [--scale tiny|full] [--people N] [--json bench/results.json]

Figures (each a ratio to a baseline measured here, median of several runs, absolute numbers beside it):

- worker_cold_start_vs_naive_floor, worker_cold_start_ratio: new process, import the worker, converge one hire
  / new process, make the same calls (bench/floor_lifecycle.py) through the generated DMS SDKs (the naive floor),
  and through the OpenAPI core (the generic floor, the path the product takes). Both floors import the MNS and
  Tablestore SDKs too.
- webhook_cold_start_ratio: new process, import the webhook, answer one signed POST /events
  / new process, import the MNS SDK, send one message.
- dingtalk_cold_answer_ratio: new process, import the webhook, answer one signed, encrypted DingTalk user_add_org
  push on POST /hr/dingtalk (check, decrypt, queue the notice, encrypt the reply) / new process, import the MNS
  SDK and `cryptography`, decrypt the push, send it; both in absolute seconds beside DingTalk's 1.5 s deadline.
- warm_overhead_ratio: hires through the worker at concurrency 1 / the floor's same calls in a loop.
- lifecycle_overhead_ratio: per person a hire, a move and a leave through the worker / the floor's same calls
  (register reads and conditional writes, DMS reads and writes, the breaker's row, the outcome). Before timing,
  one person's calls are compared in the call log, product against floor (`same_calls`).
- batch_latency_ratio: a batch with 50 ms injected DMS latency at concurrency 16 / ceil(n/16) x 3 x 50 ms.
- rate_limit_peak_calls_per_s, rate_limit_total_s: hires at a 20 QPS ceiling; peak RegisterUser calls in any 1 s.
- replay_ratio, replay_peak_rss_growth_mb: replaying dead-letter records / raw receive+send+delete calls;
  peak RSS of a small replay subtracted from a large one.
- initial_load_ratio, initial_load_throttled_fraction: bench/initial_load.py (`--people`, default 2,000).
- package_mb: the built worker package (`make build`), unpacked as the earlier figures were; zipped beside it.

The local cloud runs in a process of its own; cold starts run in fresh processes; the rest runs here. Product
and baseline alternate (run by run for cold starts, 16 events at a time for the warm figures), so a machine that
slows down mid-run slows both alike. The product's modules are byte-compiled first, as `make build` ships them:
FC's /code is read-only, so a package without bytecode would compile on every cold start, and this machine's
PYTHONDONTWRITEBYTECODE would otherwise make the product pay that here while the SDKs (compiled by pip) do not.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.floor_lifecycle import Floor  # noqa: E402
from bench.initial_load import run as initial_load  # noqa: E402
from localcloud.control.client import ControlClient  # noqa: E402
from localcloud.process import LocalCloudProcess  # noqa: E402

SCALES: dict[str, dict[str, int]] = {
    "full": {
        "runs": 9,
        "warm": 2000,
        "lifecycle": 480,
        "batch": 200,
        "rate": 200,
        "replay_small": 1000,
        "replay_large": 10000,
        "people": 2000,
    },
    "tiny": {
        "runs": 1,
        "warm": 32,
        "lifecycle": 16,
        "batch": 32,
        "rate": 25,
        "replay_small": 20,
        "replay_large": 60,
        "people": 48,
    },
}
SECRET = "bench-webhook-secret"
QUEUES = {"INPUT_QUEUE": "hr-input", "DEAD_LETTER_QUEUE": "hr-dead-letter", "PARKING_QUEUE": "hr-parking"}
WORKSPACE = "209230000007305"
OUTCOME_SIZED = json.dumps({"uid": "UID", "status": "provisioned", "padding": "x" * 900})
"""The floor publishes as many bytes as a real outcome carries: the same call means the same payload."""


def hr_event(uid: int, with_workspace: bool = True) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "event_id": f"bench:{uid}",
        "source": "bench",
        "type": "employee.hired",
        "occurred_at": "2026-11-22T09:00:00+08:00",
        "employee": {
            "uid": str(uid),
            "nickname": f"Bench {uid}",
            "mobile": "13812345678",
            "department": "Data Engineering" if with_workspace else "Sales",
            "title": "Engineer",
        },
    }


def lifecycle_event(uid: int, kind: str) -> dict[str, Any]:
    """The hire, then a move (roles, workspace role and nickname change), then the leave, of one person."""
    event = hr_event(uid)
    if kind == "moved":
        event.update(type="employee.updated", event_id=f"bench:{uid}:moved", occurred_at="2026-11-23T09:00:00+08:00")
        event["employee"]["nickname"] = f"Moved {uid}"
        event["employee"]["dms"] = {"roles": ["USER", "DBA"], "workspace_id": WORKSPACE, "workspace_role": "ADMIN"}
    elif kind == "left":
        event.update(type="employee.left", event_id=f"bench:{uid}:left", occurred_at="2026-11-24T09:00:00+08:00")
    return event


def cloudevents(events: list[dict[str, Any]]) -> bytes:
    return json.dumps(
        [
            {"id": str(i), "specversion": "1.0", "data": {"messageId": str(i), "messageBody": json.dumps(e)}}
            for i, e in enumerate(events)
        ]
    ).encode()


def deployed_environment() -> dict[str, str]:
    """The worker's environment as s.yaml sets it, so the product runs configured as it is deployed."""
    from localcloud.fc.spec import load

    worker = next(
        f for f in load(ROOT / "s.yaml", environ={**os.environ, "WEBHOOK_SECRET": SECRET}) if f.resource == "worker"
    )
    return {k: str(v) for k, v in worker.environment.items() if k != "PYTHONPATH"}


class Bench:
    def __init__(self, env: dict[str, str], scale: dict[str, int]) -> None:
        self.scale = scale
        self.control = ControlClient(env["LOCALCLOUD_CONTROL_URL"])
        self.control.seed(json.loads((ROOT / "deploy" / "local-seed.json").read_text()))
        self.cloud_env = env
        self.env = {
            **deployed_environment(),
            **{k: v for k, v in env.items() if not k.startswith("LOCALCLOUD_")},
            **QUEUES,
            "RESULT_TOPIC": "hr-results",
            "WEBHOOK_SECRET": SECRET,
            **DINGTALK,
            "DMS_QPS": "100000",
            "FC_FUNCTION_NAME": "bench",
        }
        self.next_uid = 3_000_000_000_000

    def uids(self, count: int) -> list[int]:
        start = self.next_uid
        self.next_uid += count
        return list(range(start, start + count))

    # Cold starts, in fresh processes

    def _process_seconds(self, argv: list[str], *args: str) -> float:
        started = time.perf_counter()
        env = {**os.environ, **self.env}
        subprocess.run([sys.executable, *argv, *args], cwd=ROOT, env=env, check=True, capture_output=True)
        return time.perf_counter() - started

    def cold(self, product: str, *baselines: list[str]) -> dict[str, float]:
        """Median seconds of `product` (a script) and of each baseline (an argv), run in turn, and the ratios."""
        runs: list[list[float]] = [[] for _ in range(1 + len(baselines))]
        for _ in range(self.scale["runs"]):
            runs[0].append(self._process_seconds(["-c", product], str(self.uids(1)[0])))
            for index, baseline in enumerate(baselines, start=1):
                runs[index].append(self._process_seconds(baseline, str(self.uids(1)[0])))
        medians = [statistics.median(times) for times in runs]
        figures = {"product_s": medians[0]}
        for index, median in enumerate(medians[1:], start=1):
            suffix = "" if index == 1 else f"_{index}"
            figures[f"baseline{suffix}_s"] = median
            figures[f"ratio{suffix}"] = medians[0] / median
        return figures

    def dingtalk_push(self) -> str:
        """A fresh, signed, encrypted user_add_org push as DingTalk sends it (query and body), as JSON text."""
        from shared.hr.dingtalk_crypto import DingTalkCrypto, signature

        crypto = DingTalkCrypto(DINGTALK["DINGTALK_TOKEN"], DINGTALK["DINGTALK_AES_KEY"], DINGTALK["DINGTALK_APP_KEY"])
        uid = self.uids(1)[0]
        stamp, nonce = str(int(time.time() * 1000)), f"n{uid}"
        message = {
            "EventType": "user_add_org",
            "eventId": f"bench-{uid}",
            "EventTime": int(stamp),
            "userId": [f"u{uid}"],
        }
        sealed = crypto.encrypt(json.dumps(message))
        query = {
            "signature": signature(DINGTALK["DINGTALK_TOKEN"], stamp, nonce, sealed),
            "timestamp": stamp,
            "nonce": nonce,
        }
        return json.dumps({"query": query, "body": json.dumps({"encrypt": sealed})})

    def dingtalk_cold(self) -> dict[str, float]:
        """The webhook's cold answer to a DingTalk push against the floor, run in turn, medians."""
        product: list[float] = []
        floor: list[float] = []
        for _ in range(self.scale["runs"]):
            product.append(self._process_seconds(["-c", DINGTALK_COLD], self.dingtalk_push()))
            floor.append(self._process_seconds(["-c", DINGTALK_FLOOR], self.dingtalk_push()))
        self.drain(QUEUES["INPUT_QUEUE"])
        product_s, floor_s = statistics.median(product), statistics.median(floor)
        return {"product_s": product_s, "baseline_s": floor_s, "ratio": product_s / floor_s, "deadline_s": 1.5}

    # Warm paths, in this process

    @contextlib.contextmanager
    def instance(self, **overrides: str) -> Iterator[Any]:
        saved = dict(os.environ)
        os.environ.update({**self.env, **overrides})
        from shared import wiring

        wiring.reset()
        try:
            with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
                yield wiring.get(None)
        finally:
            wiring.reset()
            os.environ.clear()
            os.environ.update(saved)

    def floor(self) -> Floor:
        return Floor(self.env, "generic")

    def account(self) -> Any:
        from mns.account import Account

        env = self.env
        return Account(
            env["MNS_ENDPOINT"],
            env["ALIBABA_CLOUD_ACCESS_KEY_ID"],
            env["ALIBABA_CLOUD_ACCESS_KEY_SECRET"],
            env["ALIBABA_CLOUD_SECURITY_TOKEN"],
        )

    def queue(self, name: str) -> Any:
        q = self.account().get_queue(name)
        q.set_encoding(False)
        return q

    def drain(self, queue: str) -> None:
        from mns.mns_exception import MNSServerException

        q = self.queue(queue)
        while True:
            try:
                q.batch_delete_message([m.receipt_handle for m in q.batch_receive_message(16, 0)])
            except MNSServerException:
                return

    def warm(self) -> dict[str, float]:
        from functions.worker.index import handler

        rounds = max(1, self.scale["warm"] // 16)
        product = baseline = 0.0
        floor = self.floor()
        floor.hire(str(self.uids(1)[0]))
        with self.instance(WORKER_CONCURRENCY="1"):
            handler(cloudevents([hr_event(u) for u in self.uids(16)]), None)
            for _ in range(rounds):
                batch = cloudevents([hr_event(u) for u in self.uids(16)])
                started = time.perf_counter()
                handler(batch, None)
                product += time.perf_counter() - started
                uids = self.uids(16)
                started = time.perf_counter()
                for uid in uids:
                    floor.hire(str(uid))
                baseline += time.perf_counter() - started
        self.drain("hr-outcomes")
        events = rounds * 16
        return {
            "product_ms_per_event": product / events * 1000,
            "baseline_ms_per_event": baseline / events * 1000,
            "ratio": product / baseline,
        }

    def calls_of(self, run: Callable[[], object]) -> list[tuple[str, str]]:
        since = max((c["seq"] for c in self.control.calls()), default=0)
        run()
        return [(c["service"], c["action"]) for c in self.control.calls(since=since)]

    def lifecycle(self) -> dict[str, Any]:
        """Per person a hire, a move and a leave, 16 people a batch, product and floor in turn."""
        from functions.worker.index import handler

        floor = self.floor()
        rounds = max(1, self.scale["lifecycle"] // 16)
        product = baseline = 0.0
        with self.instance(WORKER_CONCURRENCY="1", LEAVER_LIMIT="1000000"):

            def through_worker(uids: list[int]) -> float:
                started = time.perf_counter()
                for kind in ("hired", "moved", "left"):
                    handler(cloudevents([lifecycle_event(u, kind) for u in uids]), None)
                return time.perf_counter() - started

            def through_floor(uids: list[int]) -> float:
                started = time.perf_counter()
                for step in (floor.hire, floor.move, floor.leave):
                    for uid in uids:
                        step(str(uid))
                return time.perf_counter() - started

            through_worker(self.uids(1))
            through_floor(self.uids(1))
            mine, theirs = self.uids(1), self.uids(1)
            product_calls = self.calls_of(lambda: through_worker(mine))
            floor_calls = self.calls_of(lambda: through_floor(theirs))
            for _ in range(rounds):
                product += through_worker(self.uids(16))
                baseline += through_floor(self.uids(16))
        self.drain("hr-outcomes")
        events = rounds * 16 * 3
        return {
            "product_ms_per_event": product / events * 1000,
            "baseline_ms_per_event": baseline / events * 1000,
            "ratio": product / baseline,
            "same_calls": product_calls == floor_calls,
            "calls_per_person": len(product_calls),
            "product_calls": product_calls,
            "floor_calls": floor_calls,
        }

    def batch_latency(self) -> dict[str, float]:
        from functions.worker.index import handler

        count = self.scale["batch"]
        rule = self.control.add_fault(service="dms*", action="*", kind="latency", latency_ms=50)
        try:
            times = []
            for _ in range(max(1, self.scale["runs"] // 2)):
                with self.instance(WORKER_CONCURRENCY="16"):
                    batch = cloudevents([hr_event(u) for u in self.uids(count)])
                    started = time.perf_counter()
                    handler(batch, None)
                    times.append(time.perf_counter() - started)
                self.drain("hr-outcomes")
        finally:
            self.control._call("DELETE", f"/faults/{rule['id']}")
        ideal = math.ceil(count / 16) * 3 * 0.050
        measured = statistics.median(times)
        return {"product_s": measured, "ideal_s": ideal, "ratio": measured / ideal}

    def rate_limit(self) -> dict[str, float]:
        from functions.worker.index import handler

        count = self.scale["rate"]
        since = max((c["seq"] for c in self.control.calls()), default=0)
        with self.instance(WORKER_CONCURRENCY="16", DMS_QPS="20"):
            events = [hr_event(u, with_workspace=False) for u in self.uids(count)]
            started = time.perf_counter()
            for chunk in range(0, count, 50):
                handler(cloudevents(events[chunk : chunk + 50]), None)
            total = time.perf_counter() - started
        self.drain("hr-outcomes")
        times = sorted(c["time"] for c in self.control.calls(action="RegisterUser", since=since))
        peak = max(sum(1 for t in times if s <= t < s + 1.0) for s in times)
        return {"peak_calls_per_s": float(peak), "total_s": total, "expected_s": count / 20}

    def replay(self) -> dict[str, float]:
        figures: dict[str, float] = {}
        for size in ("replay_small", "replay_large"):
            count = self.scale[size]
            self.fill_dead_letters(count)
            script = REPLAY_SCRIPT
            env = {**os.environ, **self.env, "MAX_REPLAYS": "1000"}
            out = subprocess.run(
                [sys.executable, "-c", script], cwd=ROOT, env=env, check=True, capture_output=True, text=True
            )
            result = json.loads(out.stdout.strip().splitlines()[-1])
            figures[f"{size}_s"] = result["seconds"]
            figures[f"{size}_rss_mb"] = result["rss_mb"]
            self.drain(QUEUES["INPUT_QUEUE"])
        count = self.scale["replay_large"]
        self.fill_dead_letters(count)
        out = subprocess.run(
            [sys.executable, "-c", RAW_REPLAY_SCRIPT],
            cwd=ROOT,
            env={**os.environ, **self.env},
            check=True,
            capture_output=True,
            text=True,
        )
        figures["baseline_large_s"] = json.loads(out.stdout.strip().splitlines()[-1])["seconds"]
        self.drain(QUEUES["INPUT_QUEUE"])
        figures["ratio"] = figures["replay_large_s"] / figures["baseline_large_s"]
        figures["rss_growth_mb"] = figures["replay_large_rss_mb"] - figures["replay_small_rss_mb"]
        return figures

    def fill_dead_letters(self, count: int) -> None:
        from mns.queue import Message

        from shared.messaging.formats import dead_letter

        q = self.queue(QUEUES["DEAD_LETTER_QUEUE"])
        for start in range(0, count, 16):
            records = [
                Message(dead_letter(json.dumps(hr_event(u)), {"status": "failed"}, 0, None, "bench"))
                for u in self.uids(min(16, count - start))
            ]
            q.batch_send_message(records)

    def package(self) -> dict[str, float]:
        from scripts.build import size_mb, zipped_mb

        subprocess.run([sys.executable, str(ROOT / "scripts" / "build.py")], check=True, capture_output=True)
        built = ROOT / "build" / "worker"
        rss = {
            which: json.loads(
                subprocess.run(
                    [sys.executable, "-c", RSS_SCRIPT, which], cwd=ROOT, capture_output=True, text=True, check=True
                ).stdout
            )
            for which in ("product", "generated", "generic")
        }
        functions = ("webhook", "worker", "replay", "reconcile")
        return {
            "package_mb": size_mb(built),
            "package_zipped_mb": zipped_mb(built),
            **{f"{name}_package_mb": size_mb(ROOT / "build" / name) for name in functions},
            "rss_after_import_mb": rss["product"],
            "generated_sdks_rss_after_import_mb": rss["generated"],
            "generic_core_rss_after_import_mb": rss["generic"],
        }


WEBHOOK_COLD = """
import json, os, sys, time
from functions.webhook.index import handler
from shared.webhook.auth import sign
uid = sys.argv[1]
body = json.dumps({"schema_version": 1, "event_id": "cold:" + uid, "source": "bench", "type": "employee.hired",
    "occurred_at": "2026-11-22T09:00:00+08:00", "employee": {"uid": uid, "nickname": "Cold"}}).encode()
stamp = str(int(time.time()))
signature = sign(os.environ["WEBHOOK_SECRET"], stamp, body)
headers = {"Content-Type": "application/json", "X-Timestamp": stamp, "X-Signature": signature}
event = {"body": body.decode(), "isBase64Encoded": False, "headers": headers, "queryParameters": {},
         "requestContext": {"requestId": "cold", "http": {"method": "POST", "path": "/events"}}}
assert handler(json.dumps(event).encode(), None)["statusCode"] == 202
"""

DINGTALK = {
    "DINGTALK_TOKEN": "bench-token",
    "DINGTALK_AES_KEY": "BenchEncodingAesKey0123456789abcdefghijklmn",
    "DINGTALK_APP_KEY": "dingbenchappkey",
    "DINGTALK_APP_SECRET": "bench-app-secret",
}

DINGTALK_COLD = """
import json, sys
from functions.webhook.index import handler
push = json.loads(sys.argv[1])
event = {"body": push["body"], "isBase64Encoded": False, "headers": {"Content-Type": "application/json"},
         "queryParameters": push["query"], "requestContext": {"requestId": "cold",
         "http": {"method": "POST", "path": "/hr/dingtalk"}}}
answer = handler(json.dumps(event).encode(), None)
assert answer["statusCode"] == 200 and "encrypt" in json.loads(answer["body"]), answer
"""

DINGTALK_FLOOR = """
import base64, json, os, struct, sys
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from mns.account import Account
from mns.queue import Message
push = json.loads(sys.argv[1])
key = base64.b64decode(os.environ["DINGTALK_AES_KEY"] + "=")
decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
plain = decryptor.update(base64.b64decode(json.loads(push["body"])["encrypt"])) + decryptor.finalize()
message = plain[20 : 20 + struct.unpack(">I", plain[16:20])[0]].decode()
q = Account(os.environ["MNS_ENDPOINT"], os.environ["ALIBABA_CLOUD_ACCESS_KEY_ID"],
    os.environ["ALIBABA_CLOUD_ACCESS_KEY_SECRET"], os.environ["ALIBABA_CLOUD_SECURITY_TOKEN"]).get_queue("hr-input")
q.set_encoding(False)
q.send_message(Message(message))
"""

MNS_COLD = """
import os, sys
from mns.account import Account
from mns.queue import Message
q = Account(os.environ["MNS_ENDPOINT"], os.environ["ALIBABA_CLOUD_ACCESS_KEY_ID"],
    os.environ["ALIBABA_CLOUD_ACCESS_KEY_SECRET"], os.environ["ALIBABA_CLOUD_SECURITY_TOKEN"]).get_queue("hr-input")
q.set_encoding(False)
q.send_message(Message('{"uid": "%s"}' % sys.argv[1]))
"""

WORKER_COLD = """
import json, sys
from functions.worker.index import handler
uid = sys.argv[1]
event = {"schema_version": 1, "event_id": "cold:" + uid, "source": "bench", "type": "employee.hired",
    "occurred_at": "2026-11-22T09:00:00+08:00", "employee": {"uid": uid, "nickname": "Cold",
    "department": "Data Engineering"}}
batch = [{"id": "1", "specversion": "1.0", "data": {"messageId": "1", "messageBody": json.dumps(event)}}]
report = json.loads(handler(json.dumps(batch).encode(), None))
assert report["statuses"] == {"provisioned": 1}, report
"""

FLOOR = str(ROOT / "bench" / "floor_lifecycle.py")

REPLAY_SCRIPT = """
import contextlib, io, json, os, time
from shared import wiring
from shared.replay import replay
from shared.infra.retry import Deadline
with contextlib.redirect_stdout(io.StringIO()):
    instance = wiring.get(None)
    started = time.perf_counter()
    report = replay(instance, Deadline.after(3600))
    seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "handled": report["handled"],
    "rss_mb": int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0]) / 1024}))
"""

RAW_REPLAY_SCRIPT = """
import json, os, time
from mns.account import Account
from mns.mns_exception import MNSServerException
from mns.queue import Message
e = os.environ
account = Account(e["MNS_ENDPOINT"], e["ALIBABA_CLOUD_ACCESS_KEY_ID"], e["ALIBABA_CLOUD_ACCESS_KEY_SECRET"],
    e["ALIBABA_CLOUD_SECURITY_TOKEN"])
dlq, target = account.get_queue(e["DEAD_LETTER_QUEUE"]), account.get_queue(e["INPUT_QUEUE"])
dlq.set_encoding(False); target.set_encoding(False)
started = time.perf_counter()
while True:
    try:
        messages = dlq.batch_receive_message(16, 1)
    except MNSServerException:
        break
    for m in messages:
        target.send_message(Message(m.message_body))
        dlq.delete_message(m.receipt_handle)
print(json.dumps({"seconds": time.perf_counter() - started}))
"""

RSS_SCRIPT = """
import json, sys
import mns.account, tablestore
if sys.argv[1] == "product":
    import functions.worker.index, shared.dms.transport, shared.lifecycle.provisioner, shared.state.sdk
    import alibabacloud_tea_openapi.client, pydantic
elif sys.argv[1] == "generated":
    import alibabacloud_dms20250414.client, alibabacloud_dms_enterprise20181101.client, pydantic
else:
    import alibabacloud_tea_openapi.client, pydantic
# VmHWM, not ru_maxrss: Linux carries ru_maxrss across fork and exec, so it would report the bench's own peak
print(json.dumps(int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0]) / 1024))
"""


def compile_product() -> None:
    """Bytecode for the product's own modules, as the FC package carries it (scripts/build.py does the same)."""
    import compileall

    for folder in ("shared", "functions"):
        compileall.compile_dir(str(ROOT / folder), quiet=1)


def measure(name: str, run: Callable[[], dict[str, float]]) -> dict[str, float]:
    print(f"  measuring {name} ...", flush=True)
    return run()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", choices=sorted(SCALES), default="full")
    parser.add_argument("--people", type=int, help="people in the initial load (default 2,000; tiny 48)")
    parser.add_argument("--quota", type=float, default=15.0, help="DMS calls per second per API in the initial load")
    parser.add_argument("--json", default=str(ROOT / "bench" / "results.json"))
    args = parser.parse_args(argv)
    scale = SCALES[args.scale]
    compile_product()
    with LocalCloudProcess() as cloud:
        bench = Bench(cloud.env, scale)
        webhook = measure("webhook cold start", lambda: bench.cold(WEBHOOK_COLD, ["-c", MNS_COLD]))
        dingtalk = measure("webhook cold answer to a DingTalk push", bench.dingtalk_cold)
        worker = measure("worker cold start", lambda: bench.cold(WORKER_COLD, [FLOOR, "generated"], [FLOOR, "generic"]))
        warm = measure("warm overhead", bench.warm)
        lifecycle = measure("lifecycle per-event cost", bench.lifecycle)
        batch = measure("batch latency hiding", bench.batch_latency)
        rate = measure("rate-limit accuracy", bench.rate_limit)
        replay = measure("replay throughput and memory", bench.replay)
        package = measure("package", bench.package)
    people = args.people or scale["people"]
    load = measure(f"initial load of {people} people", lambda: initial_load(people, args.quota, 4))
    results: dict[str, Any] = {
        "worker_cold_start_vs_naive_floor": worker["ratio"],
        "worker_cold_start_ratio": worker["ratio_2"],
        "webhook_cold_start_ratio": webhook["ratio"],
        "dingtalk_cold_answer_ratio": dingtalk["ratio"],
        "dingtalk_cold_answer_s": dingtalk["product_s"],
        "warm_overhead_ratio": warm["ratio"],
        "lifecycle_overhead_ratio": lifecycle["ratio"],
        "lifecycle_same_calls": lifecycle["same_calls"],
        "batch_latency_ratio": batch["ratio"],
        "rate_limit_peak_calls_per_s": rate["peak_calls_per_s"],
        "rate_limit_total_s": rate["total_s"],
        "replay_ratio": replay["ratio"],
        "replay_peak_rss_growth_mb": replay["rss_growth_mb"],
        "initial_load_ratio": load["ratio"],
        "initial_load_throttled_fraction": load["throttled_fraction"],
        "package_mb": package["package_mb"],
        "scale": args.scale,
        "absolute": {
            "webhook_cold_start": webhook,
            "dingtalk_cold_answer": dingtalk,
            "worker_cold_start": worker,
            "warm": warm,
            "lifecycle": lifecycle,
            "batch": batch,
            "rate_limit": rate,
            "replay": replay,
            "initial_load": load,
            "package": package,
        },
    }
    rows = [
        ("worker cold / naive floor", worker["product_s"], "s", worker["baseline_s"], worker["ratio"], "<= 0.80"),
        ("worker cold / generic floor", worker["product_s"], "s", worker["baseline_2_s"], worker["ratio_2"], "<= 1.15"),
        ("webhook cold start", webhook["product_s"], "s", webhook["baseline_s"], webhook["ratio"], "<= 1.20"),
        (
            "DingTalk push, cold answer",
            dingtalk["product_s"],
            "s",
            dingtalk["baseline_s"],
            dingtalk["ratio"],
            "<< 1.5 s",
        ),
        (
            "warm overhead / event",
            warm["product_ms_per_event"],
            "ms",
            warm["baseline_ms_per_event"],
            warm["ratio"],
            "<= 1.10",
        ),
        (
            "lifecycle / event",
            lifecycle["product_ms_per_event"],
            "ms",
            lifecycle["baseline_ms_per_event"],
            lifecycle["ratio"],
            "<= 1.15",
        ),
        ("batch latency (50 ms DMS)", batch["product_s"], "s", batch["ideal_s"], batch["ratio"], "<= 1.3"),
        ("replay", replay["replay_large_s"], "s", replay["baseline_large_s"], replay["ratio"], "<= 1.20"),
        ("initial load, 4 instances", load["wall_s"], "s", load["ideal_s"], load["ratio"], "<= 1.25"),
    ]
    print(f"\n{'figure':<30}{'product':>12}{'baseline':>12}{'ratio':>8}  target")
    for name, product, unit, baseline, ratio, target in rows:
        print(f"{name:<30}{product:>9.2f} {unit:<2}{baseline:>9.2f} {unit:<2}{ratio:>8.2f}  {target}")
    print(
        f"{'lifecycle calls':<30}{'the same as the floor' if lifecycle['same_calls'] else 'DIFFERENT from the floor'}"
        f" ({lifecycle['calls_per_person']} per person: hire, move, leave)"
    )
    print(
        f"{'initial load':<30}{load['people']} people, quota {load['quota_per_api']:.0f}/s per API: "
        f"{load['dms_calls']} DMS calls, {load['throttled_fraction']:.2%} throttled (target <= 2 %), "
        f"peak RSS {load['peak_rss_mb_per_instance']:.0f} MB per instance"
    )
    print(
        f"{'rate limit (20 QPS ceiling)':<30}peak {rate['peak_calls_per_s']:.0f} RegisterUser/s, "
        f"total {rate['total_s']:.2f} s (expected {rate['expected_s']:.1f} s)"
    )
    print(
        f"{'replay memory':<30}peak RSS growth {replay['rss_growth_mb']:.1f} MB from "
        f"{scale['replay_small']} to {scale['replay_large']} records"
    )
    print(
        f"{'package':<30}{package['package_mb']:.1f} MB unpacked (target <= 39), {package['package_zipped_mb']:.1f} MB"
        f" zipped; RSS after import {package['rss_after_import_mb']:.0f} MB (generated SDKs "
        f"{package['generated_sdks_rss_after_import_mb']:.0f} MB, generic core "
        f"{package['generic_core_rss_after_import_mb']:.0f} MB)"
    )
    Path(args.json).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"\nwritten to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

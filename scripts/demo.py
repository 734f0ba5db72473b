"""The demo: the whole product on one machine, driven through all three ways events arrive.

It starts `python -m localcloud dev` (the local cloud plus the three functions of s.yaml) as a separate
process, then sends the sample HR events in events/hr/ through the MNS input queue, the signed webhook and the
dead-letter replay, prints every outcome as it lands on the result topic, and a summary. Everything goes over
loopback HTTP with the official SDKs and real signatures.
"""

from __future__ import annotations

import json
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mns.account import Account
from mns.mns_exception import MNSServerException
from mns.queue import Message

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from localcloud.control.client import ControlClient  # noqa: E402
from localcloud.process import LocalCloudProcess  # noqa: E402
from shared.webhook.auth import sign  # noqa: E402

EVENTS = ROOT / "events" / "hr"
OUTCOMES_QUEUE = "hr-outcomes"


class Demo:
    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.control = ControlClient(env["LOCALCLOUD_CONTROL_URL"])
        self.account = Account(
            env["MNS_ENDPOINT"],
            env["ALIBABA_CLOUD_ACCESS_KEY_ID"],
            env["ALIBABA_CLOUD_ACCESS_KEY_SECRET"],
            env["ALIBABA_CLOUD_SECURITY_TOKEN"],
        )
        self.seen: Counter[str] = Counter()

    def step(self, text: str) -> None:
        print(f"\n== {text}", flush=True)

    def webhook(self, name: str, secret: str | None = None) -> None:
        body = (EVENTS / name).read_bytes()
        stamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "X-Timestamp": stamp,
            "X-Signature": sign(secret or self.env["WEBHOOK_SECRET"], stamp, body),
        }
        request = urllib.request.Request(self.env["WEBHOOK_URL"] + "/events", body, headers, method="POST")  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
                status, detail = answer.status, json.loads(answer.read())
        except urllib.error.HTTPError as error:
            status, detail = error.code, json.loads(error.read())
        summary = detail.get("status") if status < 400 else f"{detail['title']}: {detail['detail']}"
        print(f"   POST /events {name} -> {status} {summary}", flush=True)

    def enqueue(self, name: str) -> None:
        queue = self.account.get_queue(self.env["INPUT_QUEUE"])
        queue.set_encoding(False)
        queue.send_message(Message((EVENTS / name).read_text()))
        print(f"   sent {name} to queue {self.env['INPUT_QUEUE']}", flush=True)

    def outcomes(self, expected: int, seconds: float = 45) -> list[dict[str, Any]]:
        """Read the result topic (through its subscribed queue) until `expected` outcomes arrived."""
        queue = self.account.get_queue(OUTCOMES_QUEUE)
        queue.set_encoding(False)
        found: list[dict[str, Any]] = []
        deadline = time.monotonic() + seconds
        while len(found) < expected and time.monotonic() < deadline:
            try:
                messages = queue.batch_receive_message(16, 1)
            except MNSServerException:
                continue
            queue.batch_delete_message([m.receipt_handle for m in messages])
            for message in messages:
                outcome = json.loads(message.message_body)
                found.append(outcome)
                self.show(outcome)
        if len(found) < expected:
            raise SystemExit(f"only {len(found)} of {expected} outcomes arrived in {seconds:.0f}s")
        return found

    def show(self, outcome: dict[str, Any]) -> None:
        data = outcome["data"]
        self.seen[data["status"]] += 1
        steps = ", ".join(
            f"{s['step']}={s['result']}" + (f" ({s['code']})" if s.get("code") else "") for s in data.get("steps", [])
        )
        listed = data.get("problems", [])
        problems = "; ".join(f"{p['field']}: {p['reason']}" for p in listed[:2])
        if len(listed) > 2:
            problems += f" (+{len(listed) - 2} more)"
        detail = steps or problems or data.get("detail", "")
        print(f"   outcome {data['status']:<20} uid={data.get('uid') or '-':<14} {detail}", flush=True)

    def wait(self, condition: Callable[[], bool], seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while not condition():
            if time.monotonic() > deadline:
                raise SystemExit("the demo waited too long; see the function logs above")
            time.sleep(0.2)

    def dead_letters(self) -> int:
        queue = self.account.get_queue(self.env["DEAD_LETTER_QUEUE"])
        queue.set_encoding(False)
        try:
            return len(queue.batch_peek_message(16))
        except MNSServerException:
            return 0

    def run(self) -> None:
        self.step("Through the MNS queue: a new event, the same event again, an invalid one")
        for name in ("updated.json", "updated.json", "invalid-role.json"):
            self.enqueue(name)
        self.outcomes(3)

        self.step("Through the signed webhook (and one request with a wrong signature, refused)")
        self.webhook("hired-explicit-roles.json")
        self.webhook("hired-mapping-only.json")
        self.webhook("hired-mapping-only.json", secret="not-the-secret")  # noqa: S106 - the wrong one, on purpose
        self.outcomes(2)

        self.step("DMS fails (an injected 503 on RegisterUser): a new hire fails and goes to the dead-letter queue")
        self.control.add_fault(
            service="dms-enterprise", action="RegisterUser", kind="error", status=503, code="ServiceUnavailable"
        )
        self.enqueue_new_hire()
        self.outcomes(1)
        self.wait(lambda: self.dead_letters() == 2)
        print("   the dead-letter queue holds 2 records: the failed new hire and the invalid event", flush=True)

        self.step("DMS recovers; the replay timer re-enqueues both: the new hire is provisioned, the invalid one not")
        self.control.clear_faults()
        print(f"   replay: {self.control.fire_timer('replay')}", flush=True)
        self.outcomes(2)

        self.step("The invalid event is poison: after 3 replays it is parked, with a quarantined outcome")
        while self.seen["quarantined"] == 0:
            self.wait(lambda: self.dead_letters() > 0)
            print(f"   replay: {self.control.fire_timer('replay')}", flush=True)
            self.outcomes(1)
        parked = self.account.get_queue(self.env["PARKING_QUEUE"])
        parked.set_encoding(False)
        record = json.loads(parked.peek_message().message_body)
        reason = record["reason"]["status"]
        print(f"   parking queue {self.env['PARKING_QUEUE']}: replays={record['replays']}, last reason={reason}")

        self.step("Summary")
        for status in ("provisioned", "already_provisioned", "rejected", "failed", "quarantined"):
            print(f"   {status:<20} {self.seen[status]}", flush=True)
        users = self.control.state("dms")["users"]
        print(f"   DMS users now: {', '.join(u['uid'] + ' ' + ','.join(u['role_names']) for u in users)}", flush=True)

    def enqueue_new_hire(self) -> None:
        body = json.loads((EVENTS / "hired-mapping-only.json").read_text())
        body["event_id"] = "feishu:contact.user.created_v3:demo-replay"
        body["employee"]["uid"] = "2000000000099"
        body["employee"]["nickname"] = "Chen Jing"
        queue = self.account.get_queue(self.env["INPUT_QUEUE"])
        queue.set_encoding(False)
        queue.send_message(Message(json.dumps(body)))
        print("   sent a new hire (uid 2000000000099) to the input queue", flush=True)


def main() -> int:
    print("== Starting the local cloud and the three functions of s.yaml (python -m localcloud dev)", flush=True)
    log = ROOT / "build" / "demo-functions.log"
    log.parent.mkdir(exist_ok=True)
    cloud = LocalCloudProcess(["--no-timers"], command="dev", stderr=log)
    print(f"   function logs (JSON lines): {log.relative_to(ROOT)}", flush=True)
    for name in ("WEBHOOK_URL", "INPUT_QUEUE", "RESULT_TOPIC", "DEAD_LETTER_QUEUE", "PARKING_QUEUE", "MNS_ENDPOINT"):
        print(f"   {name}={cloud.env[name]}", flush=True)
    try:
        Demo(cloud.env).run()
    finally:
        print("\n== Stopping everything with Ctrl-C (SIGINT)", flush=True)
        code = cloud.stop()
        print(f"   exit code {code}", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())

"""The demo: the whole product on one machine, driven through every way events arrive, and a smoke test.

It starts `python -m localcloud dev` (the local cloud plus the functions of s.yaml) as a separate process, then
sends the sample HR events in events/hr/ through the MNS input queue and the signed webhook, walks one person
(Wang Fang, uid 2000000000001) through hire, move, a stale late update, leave and rehire with DMS's state shown
after each step, trips the mass-leaver breaker (LEAVER_LIMIT=1 here) and releases the held leave, and drives the
dead-letter replay to a provisioned retry and a parked poison event. It prints every outcome as it lands on the
result topic and a summary, and exits non-zero when an expected status, DMS state or check was not seen.
Everything goes over loopback HTTP with the official SDKs and real signatures.
"""

from __future__ import annotations

import json
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
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
LEAVER_LIMIT = 2
"""The demo's mass-leaver breaker limit (s.yaml says 10): Wang Fang and Han Meimei leave, a third leaver is held."""
WANG_FANG = "2000000000001"
LI_LEI = "2000000000002"
HAN_MEIMEI = "2000000000301"
PRIYA = "2000000000302"
ANALYTICS, ENGINEERING = "209230000007291", "209230000007305"
DMS_SERVICES = ("dms", "dms-enterprise")
READS = {"get_user", "list_workspace_members"}


class DemoFailedError(Exception):
    """Something the demo waits for never happened: the product (or the local cloud) is broken."""


@dataclass(frozen=True)
class LifecycleStep:
    title: str
    sample: str
    status: str
    dms: dict[str, Any]
    """What DMS must show for the person afterwards: any of state, roles, nickname, workspaces."""


LIFECYCLE = (
    LifecycleStep(
        "hire",
        "hired-explicit-roles.json",
        "provisioned",
        {"state": "NORMAL", "roles": "USER,DBA", "nickname": "Wang Fang", "workspaces": {ANALYTICS: "ADMIN"}},
    ),
    LifecycleStep(
        "move to Analytics",
        "updated-moved.json",
        "updated",
        {"state": "NORMAL", "roles": "USER", "nickname": "Wang Fang (Analytics)", "workspaces": {ANALYTICS: "MEMBER"}},
    ),
    LifecycleStep(
        "a stale update arriving late (HR sent it before the move)",
        "updated-stale.json",
        "superseded",
        {"state": "NORMAL", "roles": "USER", "nickname": "Wang Fang (Analytics)", "workspaces": {ANALYTICS: "MEMBER"}},
    ),
    LifecycleStep("leave", "left.json", "deprovisioned", {"state": "DISABLE", "workspaces": {}}),
    LifecycleStep(
        "rehire into Data Engineering",
        "rehired.json",
        "updated",
        {"state": "NORMAL", "roles": "USER", "nickname": "Wang Fang", "workspaces": {ENGINEERING: "MEMBER"}},
    ),
)


def sample(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((EVENTS / name).read_text(encoding="utf-8"))
    return document


@dataclass
class Checks:
    expected: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    passed: int = 0

    def check(self, ok: bool, what: str) -> None:
        if ok:
            self.passed += 1
        else:
            self.failures.append(what)
            print(f"   !! CHECK FAILED: {what}", flush=True)


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
        self.checks = Checks()

    def step(self, text: str) -> None:
        print(f"\n== {text}", flush=True)

    # -- sending ---------------------------------------------------------------------------------------------------

    def webhook(self, name: str, body: bytes | None = None, secret: str | None = None) -> int:
        body = (EVENTS / name).read_bytes() if body is None else body
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
        return int(status)

    def enqueue(self, name: str, body: str | None = None) -> None:
        queue = self.account.get_queue(self.env["INPUT_QUEUE"])
        queue.set_encoding(False)
        queue.send_message(Message((EVENTS / name).read_text() if body is None else body))
        print(f"   sent {name} to queue {self.env['INPUT_QUEUE']}", flush=True)

    # -- outcomes --------------------------------------------------------------------------------------------------

    def collect(self, done: Callable[[list[dict[str, Any]]], bool], what: str, seconds: float) -> list[dict[str, Any]]:
        """Read the result topic (through its subscribed queue), showing each outcome, until `done` says so."""
        queue = self.account.get_queue(OUTCOMES_QUEUE)
        queue.set_encoding(False)
        found: list[dict[str, Any]] = []
        deadline = time.monotonic() + seconds
        while not done(found):
            if time.monotonic() > deadline:
                raise DemoFailedError(f"{what} did not arrive in {seconds:.0f}s (see build/demo-functions.log)")
            try:
                messages = queue.batch_receive_message(16, 1)
            except MNSServerException:
                continue
            queue.batch_delete_message([m.receipt_handle for m in messages])
            for message in messages:
                outcome = json.loads(message.message_body)
                found.append(outcome)
                self.show(outcome)
        return found

    def outcomes(self, *statuses: str, seconds: float = 45) -> list[dict[str, Any]]:
        """Wait for as many outcomes as `statuses` names, in any order, and check they are those statuses."""
        found = self.collect(lambda got: len(got) >= len(statuses), f"{len(statuses)} outcome(s)", seconds)
        self.expect(Counter(statuses), Counter(o["data"]["status"] for o in found))
        return found

    def outcome_of(self, event_id: str, status: str, seconds: float = 45) -> dict[str, Any]:
        """Wait for the outcome of one event and check its status."""
        found = self.collect(
            lambda got: any(o["data"]["event_id"] == event_id for o in got), f"the outcome of {event_id}", seconds
        )
        self.expect(Counter([status]), Counter(o["data"]["status"] for o in found))
        return next(o for o in found if o["data"]["event_id"] == event_id)

    def expect(self, wanted: Counter[str], got: Counter[str]) -> None:
        self.checks.expected.update(wanted)
        self.checks.check(got == wanted, f"expected outcomes {dict(wanted)}, saw {dict(got)}")

    def show(self, outcome: dict[str, Any]) -> None:
        data = outcome["data"]
        self.seen[data["status"]] += 1
        steps = data.get("steps", [])
        writes = [
            s["operation"]
            + ("" if s["result"] == "done" else f" {s['result']}")
            + (f" ({s['code']})" if s["result"] == "failed" else "")
            for s in steps
            if s["step"] not in READS
        ]
        listed = data.get("problems", [])
        problems = "; ".join(f"{p['field']}: {p['reason']}" for p in listed[:2])
        if len(listed) > 2:
            problems += f" (+{len(listed) - 2} more)"
        if data.get("superseded_by"):
            detail = f"superseded by {data['superseded_by']} (no steps)"
        elif data.get("reason"):
            detail = data["reason"]
        elif writes:
            detail = ", ".join(writes)
        elif steps:
            detail = "no DMS write (" + ", ".join(s["operation"] for s in steps) + " read)"
        else:
            detail = problems or data.get("detail", "")
        print(f"   outcome {data['status']:<14} uid={data.get('uid') or '-':<14} {detail}", flush=True)

    # -- DMS state -------------------------------------------------------------------------------------------------

    def person(self, uid: str) -> dict[str, Any] | None:
        """One person as DMS shows them on the control plane: state, roles, nickname, workspace memberships."""
        state = self.control.state("dms")
        user = next((u for u in state["users"] if u["uid"] == uid), None)
        if user is None:
            return None
        workspaces = {
            w["workspace_id"]: str(m["RoleName"]).upper()
            for w in state["workspaces"]
            for m in w["members"]
            if m["MemberId"] == uid
        }
        return {
            "state": user["state"],
            "roles": ",".join(user["role_names"]),
            "nickname": user["nick"],
            "workspaces": workspaces,
        }

    def show_person(self, uid: str, wanted: dict[str, Any], label: str = "DMS") -> dict[str, Any] | None:
        person = self.person(uid)
        if person is None:
            print(f"   {label}: no user {uid}", flush=True)
        else:
            spaces = ", ".join(f"{w} {r}" for w, r in person["workspaces"].items()) or "none"
            nick = json.dumps(person["nickname"], ensure_ascii=False)
            print(
                f"   {label}: {person['state']:<7} roles={person['roles']:<8} nick={nick:<24} workspaces: {spaces}",
                flush=True,
            )
        differs = {k: v for k, v in wanted.items() if person is None or person.get(k) != v}
        self.checks.check(not differs, f"DMS for {uid}: expected {differs}, saw {person}")
        return person

    def last_call(self) -> int:
        calls = self.control.calls()
        return int(calls[-1]["seq"]) if calls else 0

    # -- the demo --------------------------------------------------------------------------------------------------

    def run(self) -> None:
        self.step("Through the MNS queue: a new event, the same event again, an invalid one")
        for name in ("updated.json", "updated.json", "invalid-role.json"):
            self.enqueue(name)
        self.outcomes("provisioned", "unchanged", "rejected")

        self.step("Through the signed webhook: a new hire, and one request with a wrong signature, refused")
        self.webhook("hired-mapping-only.json")
        refused = self.webhook("hired-mapping-only.json", secret="not-the-secret")  # noqa: S106 - wrong on purpose
        self.checks.check(refused == 401, f"a wrong signature is refused with 401, got {refused}")
        self.outcomes("provisioned")

        self.lifecycle()
        self.platforms()
        self.breaker()
        self.dead_letter_replay()
        self.summary()

    def lifecycle(self) -> None:
        self.step(f"One person's lifecycle (Wang Fang, uid {WANG_FANG}), one event at a time through the webhook")
        for number, item in enumerate(LIFECYCLE, 1):
            event = sample(item.sample)
            print(f"-- {number}. {item.title}: {event['type']} of {event['occurred_at']}", flush=True)
            before, since = self.person(WANG_FANG), self.last_call()
            self.webhook(item.sample)
            outcome = self.outcome_of(event["event_id"], item.status)
            if item.status == "superseded":
                moved = sample("updated-moved.json")["event_id"]
                by = outcome["data"].get("superseded_by")
                self.checks.check(by == moved, f"superseded by the move {moved}, said {by}")
                calls = self.control.calls(since=since)
                dms = [c["action"] for c in calls if c["service"] in DMS_SERVICES]
                others = sorted(
                    {f"{c['service']} {c['action']}" for c in calls if c["service"] not in (*DMS_SERVICES, "mns")}
                )
                print(
                    f"   call log from sending it to its outcome: DMS calls: {', '.join(dms) or 'none'}; "
                    f"other calls (MNS aside): {', '.join(others) or 'none'}",
                    flush=True,
                )
                self.checks.check(not dms, f"a superseded event makes no DMS call, made {dms}")
                after = self.show_person(WANG_FANG, item.dms, label="DMS unchanged")
                self.checks.check(after == before, f"DMS unchanged by a superseded event: {before} -> {after}")
            else:
                self.show_person(WANG_FANG, item.dms)

    def platforms(self) -> None:
        self.step("HR platforms as they push: the local cloud plays DingTalk and Feishu (signed, encrypted, retried)")
        checked = self.control.dingtalk_check_url()
        challenged = self.control.feishu_url_verification(encrypt=True)
        for name, delivery in (("DingTalk check_url", checked), ("Feishu url_verification", challenged)):
            attempt = delivery["attempts"][0]
            print(f"   {name}: {attempt['status']} in {attempt['elapsed_ms']} ms, delivered={delivery['delivered']}")
            self.checks.check(delivery["delivered"], f"{name} answered as the platform expects: {delivery}")
        print("-- DingTalk: Han Meimei joins (user_add_org names only her user id; the worker fetches her details,")
        print("   and her UID comes from the custom field aliyun_uid)")
        self.control.add_dingtalk_user(
            "dt-demo-01",
            "韩梅梅",
            mobile="13800000301",
            title="Data Engineer",
            dept_id_list=[42],
            extension={"aliyun_uid": HAN_MEIMEI},
        )
        self.platform_push("dingtalk", "user_add_org", "demo-dt-hire")
        self.outcome_of("dingtalk:demo-dt-hire:dt-demo-01", "provisioned")
        self.show_person(HAN_MEIMEI, {"state": "NORMAL", "roles": "USER", "nickname": "韩梅梅"})
        refused = self.control.dingtalk_push("user_add_org", ["dt-demo-01"], tamper="signature", retry_delays=[])
        status = refused["attempts"][0]["status"]
        print(f"   the same push with a forged signature: {status}, delivered={refused['delivered']}, nothing queued")
        self.checks.check(status == 401, f"a forged DingTalk push is refused with 401, got {status}")
        print("-- DingTalk: she leaves (user_leave_org; DingTalk no longer knows her, the register recalls her UID)")
        self.control.remove_dingtalk_user("dt-demo-01")
        self.platform_push("dingtalk", "user_leave_org", "demo-dt-leave")
        self.outcome_of("dingtalk:demo-dt-leave:dt-demo-01", "deprovisioned")
        self.show_person(HAN_MEIMEI, {"state": "DISABLE"})
        print(
            "-- Feishu: Priya Raman joins (contact.user.created_v3 carries the whole user, UID in a custom attribute)"
        )
        priya = {
            "open_id": "ou_demo_priya",
            "name": "Priya Raman",
            "mobile": "+6591234567",
            "job_title": "Engineer",
            "department_ids": ["od-data"],
            "status": {"is_resigned": False},
            "custom_attrs": [{"type": "TEXT", "id": "C-7000000000000000001", "value": {"text": PRIYA}}],
        }
        self.platform_push("feishu", "contact.user.created_v3", "demo-fs-hire", user=priya)
        self.outcome_of("feishu:demo-fs-hire:ou_demo_priya", "provisioned")
        self.show_person(PRIYA, {"state": "NORMAL", "roles": "USER"})
        print("-- Feishu: she moves to database administration (contact.user.updated_v3)")
        moved = {**priya, "job_title": "Database Administrator", "department_ids": ["od-dba"]}
        self.platform_push("feishu", "contact.user.updated_v3", "demo-fs-move", user=moved, old_user=priya)
        self.outcome_of("feishu:demo-fs-move:ou_demo_priya", "updated")
        self.show_person(PRIYA, {"state": "NORMAL", "roles": "USER,DBA"})

    def platform_push(
        self, platform: str, event_type: str, event_id: str, user: dict[str, Any] | None = None, **options: Any
    ) -> None:
        if platform == "dingtalk":
            delivery = self.control.dingtalk_push(event_type, ["dt-demo-01"], event_id=event_id, **options)
        else:
            delivery = self.control.feishu_push(event_type, user or {}, event_id=event_id, **options)
        attempt = delivery["attempts"][0]
        print(f"   {platform} pushes {event_type}: answered {attempt['status']} in {attempt['elapsed_ms']} ms")
        self.checks.check(delivery["delivered"], f"the {platform} push of {event_type} was delivered: {delivery}")

    def breaker(self) -> None:
        self.step(f"Mass-leaver breaker (LEAVER_LIMIT={LEAVER_LIMIT} for the demo): a third leaver within the hour")
        leave = sample("left.json")
        leave["event_id"] = "dingtalk:user_leave_org:demo-third-leaver"
        leave["correlation_id"] = "onb-demo-third-leaver"
        leave["employee"] = {"uid": LI_LEI}
        self.webhook("left.json (Li Lei's)", body=json.dumps(leave).encode())
        self.outcome_of(leave["event_id"], "held")
        self.show_person(LI_LEI, {"state": "NORMAL", "workspaces": {ENGINEERING: "MEMBER"}}, label="DMS untouched")
        listed = self.invoke_replay({"held": "list"})
        records, breaker = listed.get("records", []), listed.get("breaker", {})
        held = ", ".join(f"uid {r['uid']} ({r['event_id']})" for r in records) or "none"
        print(
            f'   replay {{"held": "list"}}: held {held}; breaker tripped_at={breaker.get("tripped_at")}, '
            f"{breaker.get('recent_leavers')} leaver(s) in the window, limit {breaker.get('limit')}",
            flush=True,
        )
        self.checks.check([r["uid"] for r in records] == [LI_LEI], f"one held leave, for {LI_LEI}: {records}")
        released = self.invoke_replay({"held": "release"})
        print(f'   an operator releases it: replay {{"held": "release"}}: {json.dumps(released)}', flush=True)
        self.outcome_of(leave["event_id"], "deprovisioned")
        self.show_person(LI_LEI, {"state": "DISABLE", "workspaces": {}})

    def invoke_replay(self, options: dict[str, Any]) -> dict[str, Any]:
        result = self.control.invoke_function("replay", options)
        answer: dict[str, Any] = json.loads(result) if isinstance(result, (str, bytes)) else result
        return answer

    def dead_letter_replay(self) -> None:
        self.step("DMS fails (an injected 503 on RegisterUser): a new hire fails and goes to the dead-letter queue")
        self.control.add_fault(
            service="dms-enterprise", action="RegisterUser", kind="error", status=503, code="ServiceUnavailable"
        )
        self.enqueue_new_hire()
        self.outcomes("failed")
        self.wait(lambda: self.dead_letters() == 2)
        print("   the dead-letter queue holds 2 records: the failed new hire and the invalid event", flush=True)

        self.step("DMS recovers; the replay timer re-enqueues both: the new hire is provisioned, the invalid one not")
        self.control.clear_faults()
        print(f"   replay: {self.control.fire_timer('replay')}", flush=True)
        self.outcomes("provisioned", "rejected")

        self.step("The invalid event is poison: after 3 replays it is parked, with a quarantined outcome")
        for expected in ("rejected", "rejected", "quarantined"):
            self.wait(lambda: self.dead_letters() > 0)
            print(f"   replay: {self.control.fire_timer('replay')}", flush=True)
            self.outcomes(expected)
        parked = self.account.get_queue(self.env["PARKING_QUEUE"])
        parked.set_encoding(False)
        record = json.loads(parked.peek_message().message_body)
        reason = record["reason"]["status"]
        print(f"   parking queue {self.env['PARKING_QUEUE']}: replays={record['replays']}, last reason={reason}")
        self.checks.check((record["replays"], reason) == (3, "rejected"), f"parked after 3 rejections: {record}")

    def summary(self) -> None:
        self.step("Summary")
        expected = self.checks.expected
        print(f"   {'status':<14} {'seen':>4} {'expected':>8}", flush=True)
        for status in sorted(set(expected) | set(self.seen), key=lambda s: (-expected[s], s)):
            mark = "" if self.seen[status] == expected[status] else "   <- differs"
            print(f"   {status:<14} {self.seen[status]:>4} {expected[status]:>8}{mark}", flush=True)
        self.checks.check(self.seen == expected, f"outcomes seen {dict(self.seen)}, expected {dict(expected)}")
        users = self.control.state("dms")["users"]
        listed = ", ".join(f"{u['uid']} {u['state']} {','.join(u['role_names'])}" for u in users)
        print(f"   DMS users now: {listed}", flush=True)
        failed = len(self.checks.failures)
        print(f"   checks: {self.checks.passed} passed, {failed} failed", flush=True)
        for failure in self.checks.failures:
            print(f"     - {failure}", flush=True)

    # -- helpers ---------------------------------------------------------------------------------------------------

    def wait(self, condition: Callable[[], bool], seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while not condition():
            if time.monotonic() > deadline:
                raise DemoFailedError("the demo waited too long; see build/demo-functions.log")
            time.sleep(0.2)

    def dead_letters(self) -> int:
        queue = self.account.get_queue(self.env["DEAD_LETTER_QUEUE"])
        queue.set_encoding(False)
        try:
            return len(queue.batch_peek_message(16))
        except MNSServerException:
            return 0

    def enqueue_new_hire(self) -> None:
        body = sample("hired-mapping-only.json")
        body["event_id"] = "feishu:contact.user.created_v3:demo-replay"
        body["employee"]["uid"] = "2000000000099"
        body["employee"]["nickname"] = "Chen Jing"
        self.enqueue("a new hire (uid 2000000000099)", json.dumps(body))


def main() -> int:
    started = time.monotonic()
    args = ["--no-timers", "--env", f"LEAVER_LIMIT={LEAVER_LIMIT}"]
    command = " ".join(["python -m localcloud dev", *args])
    print(f"== Starting the local cloud and the functions of s.yaml ({command})", flush=True)
    log = ROOT / "build" / "demo-functions.log"
    log.parent.mkdir(exist_ok=True)
    cloud = LocalCloudProcess(args, command="dev", stderr=log)
    print(f"   function logs (JSON lines): {log.relative_to(ROOT)}", flush=True)
    shown = ("WEBHOOK_URL", "INPUT_QUEUE", "RESULT_TOPIC", "DEAD_LETTER_QUEUE", "PARKING_QUEUE", "HOLD_QUEUE")
    for name in (*shown, "MNS_ENDPOINT"):
        if name in cloud.env:
            print(f"   {name}={cloud.env[name]}", flush=True)
    failures: list[str] = []
    try:
        demo = Demo(cloud.env)
        try:
            demo.run()
        finally:
            failures = demo.checks.failures
    except DemoFailedError as error:
        print(f"\n!! {error}", flush=True)
        failures = [*failures, str(error)]
    finally:
        print("\n== Stopping everything with Ctrl-C (SIGINT)", flush=True)
        code = cloud.stop()
        print(f"   exit code {code}", flush=True)
    passed = not failures and code == 0
    print(f"\n== Demo {'passed' if passed else 'FAILED'} in {time.monotonic() - started:.1f}s", flush=True)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())

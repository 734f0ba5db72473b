"""One soak run: the whole deployment on a local cloud, people's lives sent in through three doors under faults and
crashes, then the proof.

Phases: start `localcloud dev` in a child process (its log kept for the scan) with a short lease, a mass-leaver
limit the run will pass, and a register table that keeps every version of its cells; install the fault and crash
rules; send every planned event from concurrent senders (the webhook's 429/503 answers and failed queue sends are
retried, as an HR system would); install the crash rule on SendMessage once the senders are done; wait for the
input queue to drain under faults, the replay timer firing every few seconds all along, so late replays land among
newer events; lift the faults; fire the replay timer until the input and dead-letter queues are empty and no
outcome has arrived for a while; release the leaves the breaker held, as an operator would, and settle again; then
read the evidence (outcomes, call log, DMS, MNS and Tablestore state with every cell version), check the
invariants, and keep the evidence beside the log (`python -m soak --recheck` checks it again).

The local cloud's clock is never advanced: the call log and Tablestore's cell versions must share one clock for
the history checks to place calls inside leases.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

from localcloud.control.client import ControlClient, ControlPlaneError
from localcloud.process import ROOT, LocalCloudProcess
from shared.lifecycle.mapping import load_mapping
from shared.messaging.formats import dead_letter
from shared.webhook.auth import sign
from soak import chaos, invariants
from soak.chaos import DMS_WRITES
from soak.clients import ForeignAnswerError, ThreadAccounts, new_account, send_verified
from soak.observe import Observer
from soak.workload import LEFT, Planned, plan

OUTCOME_QUEUE = "hr-outcomes"
HOLD_QUEUE = "hr-held"
"""s.yaml's HOLD_QUEUE, for a `localcloud dev` that does not print it."""
SEED = ROOT / "deploy" / "local-seed.json"
KEEP_VERSIONS = 1_000_000
"""max_versions of the soak's register table: every version of every cell is kept for the audit."""
RELEASE_ROUNDS = 5


@dataclass
class SoakOptions:
    events: int = 1000
    people: int = 0
    """Lives to send, instead of filling `events` (0: fill `events`)."""
    duplicates: float = 0.10
    invalid: float = 0.05
    poison: float = 0.02
    dms_faults: float = 0.20
    mns_faults: float = 0.05
    tablestore_faults: float = 0.05
    crashes: int = 1
    """Crashes of the worker after each dangerous call (chaos.CRASH_POINTS), at most; 0 for none."""
    crash_probability: float = 0.1
    replay_every: float = 3.0
    """Seconds between replay timer firings while events are sent and processed under faults; 0: only after."""
    clients: int = 4
    dms_qps: int = 50
    read_timeout_ms: int = 2000
    lease_seconds: int = 8
    leaver_action: str = "disable"
    leaver_limit: int = 0
    """LEAVER_LIMIT; 0: a sixth of the planned leaves, so the breaker trips part way through."""
    in_order: float = 0.0
    """Share of lives delivered in the order they happened (workload.plan); the rest are shuffled."""
    seed: int = 1
    time_limit: float = 1200.0
    log_path: Path = ROOT / "build" / "soak-functions.log"
    crash: list[dict[str, Any]] = field(default_factory=list)
    """Extra fault rules (crash rules, say) installed with the others; a SendMessage crash once sending is done."""


@dataclass
class SoakResult:
    figures: dict[str, Any]
    violations: list[str]


class _Sender:
    """Delivers one planned event through its route, retrying what a real HR system would retry.

    Each sending thread has its own MNS account (see soak/clients.py), and a queue send counts only when MNS
    echoes the MD5 of its body. A send that keeps failing is recorded in `unsent`, to be reported as a
    violation, rather than raised: one stubborn event must not end the run without its figures.
    """

    def __init__(self, env: dict[str, str], accounts: ThreadAccounts, attempts: int = 30) -> None:
        self.env = env
        self.accounts = accounts
        self.attempts = attempts
        self.retries: Counter[str] = Counter()
        self.unsent: dict[str, str] = {}
        self._lock = threading.Lock()

    def _retried(self, kind: str, attempt: int) -> None:
        with self._lock:
            self.retries[kind] += 1
        time.sleep(min(0.05 * 2**attempt, 1.0))

    def webhook(self, planned: Planned) -> tuple[int, Any]:
        for attempt in range(self.attempts):
            stamp = str(int(time.time()))
            headers = {
                "Content-Type": "application/json",
                "X-Timestamp": stamp,
                "X-Signature": sign(self.env["WEBHOOK_SECRET"], stamp, planned.body),
            }
            request = urllib.request.Request(  # noqa: S310 - the local webhook on loopback
                self.env["WEBHOOK_URL"] + "/events", data=planned.body, headers=headers, method="POST"
            )
            try:
                with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
                    return answer.status, json.loads(answer.read())
            except urllib.error.HTTPError as error:
                status, body = error.code, json.loads(error.read() or b"null")
                if status not in (429, 503):
                    return status, body
            except OSError:
                pass
            self._retried("webhook", attempt)
        return 0, None

    def queue(self, planned: Planned, queue_name: str | None = None, body: str | None = None) -> bool:
        """Whether MNS stored the message (the event itself unless `body`), as its answer for that body says."""
        from mns.mns_exception import MNSExceptionBase

        name = queue_name or self.env["INPUT_QUEUE"]
        text, last = body if body is not None else planned.body.decode("utf-8"), ""
        for attempt in range(self.attempts):
            try:
                queue = self.accounts.get().get_queue(name)
                queue.set_encoding(False)
                send_verified(queue, text)
                return True
            except (MNSExceptionBase, OSError, ForeignAnswerError) as error:
                last = f"{type(error).__name__}: {error}"
                self.accounts.discard()
                self._retried("queue_foreign_answer" if isinstance(error, ForeignAnswerError) else "queue", attempt)
        self._give_up(planned, f"queue {name} refused it {self.attempts} times; last: {last}")
        return False

    def late(self, planned: Planned) -> bool:
        """Onto the dead-letter queue as the worker's own record, so only the replay timer brings it in: late."""
        record = dead_letter(planned.body.decode("utf-8"), {"soak": "late replay"}, 0, None, "soak")
        return self.queue(planned, self.env["DEAD_LETTER_QUEUE"], record)

    def deliver(self, planned: Planned) -> tuple[int, Any] | None:
        """The webhook's final answer, or None for the other routes; never raises."""
        try:
            if planned.route == "webhook":
                return self.webhook(planned)
            if planned.route == "late":
                self.late(planned)
            else:
                self.queue(planned)
        except Exception as error:  # a harness bug must become a violation, not a lost run
            self._give_up(planned, f"the sender failed: {type(error).__name__}: {error}")
        return None

    def _give_up(self, planned: Planned, reason: str) -> None:
        with self._lock:
            self.unsent[planned.event_id] = reason


def _in_flight(control: ControlClient, queues: list[str]) -> int:
    state = control.state("mns")
    return sum(len(q.get("Messages") or []) for q in state["queues"] if q["QueueName"] in queues)


def _replay(control: ControlClient, actions: Counter[str]) -> None:
    """Fire the replay timer once, counting what it did; a failed invocation is counted, not raised."""
    try:
        report = control.fire_timer("replay")
    except ControlPlaneError:
        actions["timer_failed"] += 1
        return
    if isinstance(report, str):
        report = json.loads(report)
    actions.update((report or {}).get("actions") or {})
    actions["timer_fired"] += 1


class _Replayer:
    """Fires the replay timer every few seconds while events are sent and processed under faults, as the deployed
    timer would (more often): late replays land among newer events, and failed events are replayed under faults
    too. Every `every` seconds; never when 0."""

    def __init__(self, control: ControlClient, dead_letter_queue: str, actions: Counter[str], every: float) -> None:
        self.control = control
        self.queue = dead_letter_queue
        self.actions = actions
        self.every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="soak-replayer", daemon=True)

    def __enter__(self) -> _Replayer:
        if self.every > 0:
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=120)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                if _in_flight(self.control, [self.queue]):
                    _replay(self.control, self.actions)
            except (ControlPlaneError, OSError):
                continue


def _settle(
    control: ControlClient, observer: Observer, env: dict[str, str], deadline: float, quiet_seconds: float = 3.0
) -> tuple[Counter[str], bool]:
    """Replay until nothing is left to replay and nothing new comes out; the replay actions, and whether it did.

    Quiet needs the outcome queue drained as well: an observer that fell behind has not seen everything yet.
    """
    actions: Counter[str] = Counter()
    dead_letter_queue = env["DEAD_LETTER_QUEUE"]
    work = [env["INPUT_QUEUE"], dead_letter_queue, OUTCOME_QUEUE]
    last_count, quiet_since = -1, time.monotonic()
    while time.monotonic() < deadline:
        if _in_flight(control, [dead_letter_queue]):
            _replay(control, actions)
        count = observer.outcome_count()
        if count != last_count or _in_flight(control, work):
            last_count, quiet_since = count, time.monotonic()
        elif time.monotonic() - quiet_since >= quiet_seconds:
            return actions, True
        time.sleep(0.5)
    return actions, False


def _held(control: ControlClient, hold_queue: str) -> list[str]:
    return invariants.held_event_ids(
        next((q.get("Messages") or [] for q in control.state("mns")["queues"] if q["QueueName"] == hold_queue), [])
    )


def _release_held(
    control: ControlClient, observer: Observer, env: dict[str, str], deadline: float, actions: Counter[str]
) -> tuple[list[str], dict[str, Any], bool]:
    """As an operator would: look at what the breaker held, release it all through the replay function, settle.
    Leaves that arrive after a release may trip the breaker again, hence rounds. The event ids seen held, the
    breaker's state before the first release, and whether the system went quiet."""
    seen: list[str] = []
    breaker: dict[str, Any] = {}
    quiet = True
    for _ in range(RELEASE_ROUNDS):
        held = _held(control, env.get("HOLD_QUEUE") or HOLD_QUEUE)
        if not held:
            break
        seen += held
        if not breaker:
            listing = control.invoke_function("replay", {"held": "list"})
            breaker = dict((json.loads(listing) if isinstance(listing, str) else listing).get("breaker") or {})
        report = control.invoke_function("replay", {"held": "release"})
        report = json.loads(report) if isinstance(report, str) else report
        actions.update({f"held_{k}": v for k, v in ((report or {}).get("actions") or {}).items()})
        more, quiet = _settle(control, observer, env, deadline)
        actions.update(more)
    return seen, breaker, quiet


def _keep(evidence: invariants.Evidence, violations: list[str], path: Path) -> None:
    """The evidence beside the log, so a person can follow a violation back to its calls and cell versions, and
    re-check it (`python -m soak --recheck PATH`)."""
    document = {"violations": violations, **evidence.to_json()}
    path.write_text(json.dumps(document, ensure_ascii=False) + "\n", encoding="utf-8")


def recheck(path: Path) -> list[str]:
    """The invariants again, on evidence a run kept."""
    document = json.loads(path.read_text(encoding="utf-8"))
    return invariants.check_all(invariants.Evidence.from_json(document), load_mapping())


def _seed_file(log_path: Path) -> Path:
    """deploy/local-seed.json with the register table keeping every cell version, beside the log."""
    seed = json.loads(SEED.read_text(encoding="utf-8"))
    for table in seed.get("tablestore_tables", []):
        if table.get("name") == invariants.REGISTER_TABLE:
            table["max_versions"] = KEEP_VERSIONS
    path = log_path.with_name("soak-seed.json")
    path.write_text(json.dumps(seed, indent=2) + "\n", encoding="utf-8")
    return path


def leaver_limit(options: SoakOptions, sent: list[Planned]) -> int:
    if options.leaver_limit > 0:
        return options.leaver_limit
    leaves = sum(p.type == LEFT for p in sent if not p.duplicate)
    return max(1, leaves // 6)


def run(options: SoakOptions, progress: Callable[[str], None] = print) -> SoakResult:
    started = time.monotonic()
    sent = plan(
        options.events,
        people=options.people,
        duplicates=options.duplicates,
        invalid=options.invalid,
        poison=options.poison,
        in_order=options.in_order,
        seed=options.seed,
        run=f"s{options.seed}-{int(time.time())}",
    )
    options.log_path.parent.mkdir(parents=True, exist_ok=True)
    limit = leaver_limit(options, sent)
    settings = {
        "DMS_QPS": options.dms_qps,
        "DMS_READ_TIMEOUT_MS": options.read_timeout_ms,
        "LEASE_SECONDS": options.lease_seconds,
        "LEAVER_LIMIT": limit,
        "LEAVER_ACTION": options.leaver_action,
    }
    extra = ["--no-timers", "--seed-file", str(_seed_file(options.log_path))]
    for name, value in settings.items():
        extra += ["--env", f"{name}={value}"]
    with LocalCloudProcess(extra, command="dev", stderr=options.log_path) as cloud:
        env = cloud.env
        control = ControlClient(env["LOCALCLOUD_CONTROL_URL"], timeout=120)
        observer = Observer(control, new_account(env), OUTCOME_QUEUE).start()
        try:
            drive = _drive(options, sent, env, control, observer, started, progress)
        finally:
            observer.stop()
        drive.evidence.calls = observer.calls
        drive.evidence.lost_calls = observer.lost_calls
        secrets = [env["ALIBABA_CLOUD_ACCESS_KEY_SECRET"], env["ALIBABA_CLOUD_SECURITY_TOKEN"], env["WEBHOOK_SECRET"]]
    from scripts.scan_logs import scan

    log_lines = options.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
    drive.evidence.log_findings = [str(finding) for finding in scan(log_lines, secrets)]
    progress(f"soak: checking the invariants after {time.monotonic() - started:.1f} s ...")
    violations = invariants.check_all(drive.evidence, load_mapping())
    if not drive.quiet:
        violations.append(f"the system was not quiet within the {options.time_limit:.0f} s limit")
    _keep(drive.evidence, violations, options.log_path.with_name(options.log_path.stem + "-evidence.json"))
    figures = _figures(options, sent, observer, drive, log_lines, started)
    figures["leaver_limit"] = limit
    figures["audited"] = _audited(drive.evidence)
    return SoakResult(figures, violations)


@dataclass
class Drive:
    """What driving the run left: the evidence, the replays, whether it went quiet, who sent, when sending ended."""

    evidence: invariants.Evidence
    actions: Counter[str]
    quiet: bool
    sender: _Sender
    sent_at: float
    breaker: dict[str, Any]


def _drive(
    options: SoakOptions,
    sent: list[Planned],
    env: dict[str, str],
    control: ControlClient,
    observer: Observer,
    started: float,
    progress: Callable[[str], None],
) -> Drive:
    """Faults on, everything sent, faults off, replays until quiet, held leaves released; the evidence then."""
    network = chaos.network_rules(
        options.dms_faults,
        options.mns_faults,
        options.tablestore_faults,
        dms_hang=options.read_timeout_ms / 1000 + 1,
        tablestore_hang=6.0,
    )
    crashes = chaos.crash_rules(options.crashes, options.crash_probability) + list(options.crash)
    early, late = [r for r in crashes if not chaos.is_late(r)], [r for r in crashes if chaos.is_late(r)]
    installed = chaos.install(control, early + network)
    progress(f"soak: {len(sent)} sends, {installed + len(late)} fault rules; sending ...")
    sender = _Sender(env, ThreadAccounts(env))
    actions: Counter[str] = Counter()
    deadline = started + options.time_limit
    with _Replayer(control, env["DEAD_LETTER_QUEUE"], actions, options.replay_every):
        with ThreadPoolExecutor(options.clients) as pool:
            delivered = list(pool.map(sender.deliver, sent))
        chaos.install(control, late)
        sending_done = time.monotonic()
        progress(f"soak: sent in {sending_done - started:.1f} s; processing under faults ...")
        while time.monotonic() < deadline and _in_flight(control, [env["INPUT_QUEUE"]]):
            time.sleep(0.5)
    answers = {index: answer for index, answer in enumerate(delivered) if answer is not None}
    control.clear_faults()
    progress(f"soak: faults lifted after {time.monotonic() - started:.1f} s; replaying until quiet ...")
    settled, quiet = _settle(control, observer, env, deadline)
    actions.update(settled)
    progress(f"soak: quiet after {time.monotonic() - started:.1f} s; releasing the held leaves ...")
    held_seen, breaker, released_quiet = _release_held(control, observer, env, deadline, actions)
    state = control.state()
    evidence = invariants.Evidence(
        sent=sent,
        webhook_answers=answers,
        outcomes=observer.outcomes,
        calls=observer.calls,
        dms_state=state["dms"],
        mns_state=state["mns"],
        queues={
            "input": env["INPUT_QUEUE"],
            "dead_letter": env["DEAD_LETTER_QUEUE"],
            "parking": env["PARKING_QUEUE"],
            "hold": env.get("HOLD_QUEUE") or HOLD_QUEUE,
        },
        register=state["tablestore"],
        held_seen=held_seen,
        clock=state.get("clock") or {},
        leaver_action=options.leaver_action,
        unsent=dict(sender.unsent),
    )
    return Drive(evidence, actions, quiet and released_quiet, sender, sending_done, breaker)


def _figures(
    options: SoakOptions,
    sent: list[Planned],
    observer: Observer,
    drive: Drive,
    log_lines: list[str],
    started: float,
) -> dict[str, Any]:
    steps = [s for o in observer.outcomes for s in (o.get("data") or {}).get("steps", [])]
    dms_calls = [c for c in observer.calls if str(c["service"]).startswith("dms")]
    statuses = Counter(str(o["data"]["status"]) for o in observer.outcomes)
    held_ids = {str(o["data"]["event_id"]) for o in observer.outcomes if o["data"]["status"] == "held"}
    valid = [p for p in sent if p.kind == "valid" and not p.duplicate]
    by_type = Counter(p.type.removeprefix("employee.") for p in valid)
    faults = observer.faults_by_kind()
    return {
        "seconds": round(time.monotonic() - started, 1),
        "sending_seconds": round(drive.sent_at - started, 1),
        "sends": len(sent),
        "people": len({p.uid for p in valid}),
        "distinct_events": len({p.event_id for p in sent}),
        "events_by_type": dict(sorted(by_type.items())),
        "rehires": _rehires(valid),
        "duplicates": sum(p.duplicate for p in sent),
        "invalid": sum(p.kind == "invalid" and not p.duplicate for p in sent),
        "poison": sum(p.kind == "poison" for p in sent),
        "routes": dict(sorted(Counter(p.route for p in sent).items())),
        "fault_rates": {"dms": options.dms_faults, "mns": options.mns_faults, "tablestore": options.tablestore_faults},
        "injected_faults": dict(sorted((k, v) for k, v in faults.items() if not k.endswith(":crash"))),
        "crashes": _crashes(observer.calls),
        "tablestore_faults": sum(v for k, v in faults.items() if k.startswith("tablestore:") and ":crash" not in k),
        "dms_calls": len(dms_calls),
        "dms_retries": sum(max(0, int(s.get("attempts", 0)) - 1) for s in steps),
        "tablestore_calls": sum(c["service"] == "tablestore" for c in observer.calls),
        "client_retries": dict(drive.sender.retries),
        "trigger_redeliveries": sum("[worker] attempt " in line for line in log_lines),
        "deferred": sum('"message":"deferred"' in line for line in log_lines),
        "replays": dict(sorted(drive.actions.items())),
        "superseded": statuses["superseded"],
        "held": len(held_ids),
        "released": drive.actions.get("held_released", 0),
        "breaker_before_release": drive.breaker,
        "outcomes": len(observer.outcomes),
        "outcomes_by_status": dict(sorted(statuses.items())),
        "log_lines": len(log_lines),
    }


def _audited(evidence: invariants.Evidence) -> dict[str, int]:
    """How much history the lease and claim checks read: register writes and leases (and those a crash or a lost
    release left to run out), DMS calls about a person and the writes among them, leaves that took effect, and
    writes that another in the same millisecond partly replaced (read the innocent way: invariants.leases)."""
    history = invariants.History.of(evidence)
    calls = [call for mine in history.calls.values() for call in mine]
    return {
        "register_writes": sum(len(w) for w in history.writes.values()),
        "leases": sum(len(found) for found in history.leases.values()),
        "leases_run_out": sum(
            before.released_ms is None for found in history.leases.values() for before, _ in pairwise(found)
        ),
        "person_dms_calls": len(calls),
        "dms_writes": sum(call["action"] in DMS_WRITES for call in calls),
        "leaves_took_effect": sum(len(history.leaves_took_effect(uid)) for uid in history.calls),
        "uncertain_writes": sum(w.uncertain for found in history.writes.values() for w in found),
        "lost_writes": len(history.lost),
    }


def _rehires(valid: list[Planned]) -> int:
    """Hires that follow a leave of the same person."""
    left: set[str] = set()
    count = 0
    for planned in sorted(valid, key=lambda p: (p.uid, str(p.document.get("occurred_at")))):
        if planned.type == LEFT:
            left.add(planned.uid)
        elif planned.type == "employee.hired" and planned.uid in left:
            count += 1
    return count


def _crashes(calls: list[dict[str, Any]]) -> dict[str, int]:
    """Crashes that killed the worker, by the call after which they did; `idle` when no worker was running."""
    found: Counter[str] = Counter()
    for call in calls:
        fault = str(call.get("fault") or "")
        if "crash" in fault:
            found["idle" if "no running function" in fault else str(call["action"])] += 1
    return dict(sorted(found.items()))

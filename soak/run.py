"""One soak run: the whole deployment on a local cloud, events in through both doors under faults, then the proof.

Phases: start `localcloud dev` in a child process (its log kept for the scan); install the fault rules; send
every planned event (the webhook's 429/503 answers and failed queue sends are retried, as an HR system would);
lift the faults; fire the replay timer whenever the dead-letter queue holds something, until the input and
dead-letter queues are empty and no outcome has arrived for a while; then check the invariants.
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
from pathlib import Path
from typing import Any

from localcloud.control.client import ControlClient
from localcloud.process import ROOT, LocalCloudProcess
from shared.lifecycle.mapping import load_mapping
from shared.webhook.auth import sign
from soak import chaos, invariants
from soak.clients import ForeignAnswerError, ThreadAccounts, new_account, send_verified
from soak.observe import Observer
from soak.workload import Planned, plan

OUTCOME_QUEUE = "hr-outcomes"


@dataclass
class SoakOptions:
    events: int = 1000
    duplicates: float = 0.10
    invalid: float = 0.05
    poison: float = 0.02
    dms_faults: float = 0.20
    mns_faults: float = 0.05
    clients: int = 4
    dms_qps: int = 50
    read_timeout_ms: int = 2000
    seed: int = 1
    time_limit: float = 600.0
    log_path: Path = ROOT / "build" / "soak-functions.log"
    crash: list[dict[str, Any]] = field(default_factory=list)
    """Extra fault rules (crash rules, say) installed with the others."""


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

    def queue(self, planned: Planned) -> bool:
        """Whether MNS stored the event, as its answer for exactly this body says."""
        from mns.mns_exception import MNSExceptionBase

        body, last = planned.body.decode("utf-8"), ""
        for attempt in range(self.attempts):
            try:
                queue = self.accounts.get().get_queue(self.env["INPUT_QUEUE"])
                queue.set_encoding(False)
                send_verified(queue, body)
                return True
            except (MNSExceptionBase, OSError, ForeignAnswerError) as error:
                last = f"{type(error).__name__}: {error}"
                self.accounts.discard()
                self._retried("queue_foreign_answer" if isinstance(error, ForeignAnswerError) else "queue", attempt)
        self._give_up(planned, f"the input queue refused it {self.attempts} times; last: {last}")
        return False

    def deliver(self, planned: Planned) -> tuple[int, Any] | None:
        """The webhook's final answer, or None for the queue route; never raises."""
        try:
            if planned.route == "webhook":
                return self.webhook(planned)
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


def _settle(
    control: ControlClient, observer: Observer, env: dict[str, str], deadline: float, quiet_seconds: float = 3.0
) -> tuple[Counter[str], bool]:
    """Replay until nothing is left to replay and nothing new comes out; the replay actions, and whether it did.

    Quiet needs the outcome queue drained as well: an observer that fell behind has not seen everything yet.
    """
    actions: Counter[str] = Counter()
    dead_letter = env["DEAD_LETTER_QUEUE"]
    work = [env["INPUT_QUEUE"], dead_letter, OUTCOME_QUEUE]
    last_count, quiet_since = -1, time.monotonic()
    while time.monotonic() < deadline:
        if _in_flight(control, [dead_letter]):
            report = control.fire_timer("replay")
            if isinstance(report, str):
                report = json.loads(report)
            actions.update((report or {}).get("actions") or {})
            actions["timer_fired"] += 1
        count = observer.outcome_count()
        if count != last_count or _in_flight(control, work):
            last_count, quiet_since = count, time.monotonic()
        elif time.monotonic() - quiet_since >= quiet_seconds:
            return actions, True
        time.sleep(0.5)
    return actions, False


@dataclass
class Drive:
    """What driving the run left: the evidence, the replays, whether it went quiet, who sent, when sending ended."""

    evidence: invariants.Evidence
    actions: Counter[str]
    quiet: bool
    sender: _Sender
    sent_at: float


def run(options: SoakOptions, progress: Callable[[str], None] = print) -> SoakResult:
    started = time.monotonic()
    sent = plan(
        options.events,
        duplicates=options.duplicates,
        invalid=options.invalid,
        poison=options.poison,
        seed=options.seed,
        run=f"s{options.seed}-{int(time.time())}",
    )
    options.log_path.parent.mkdir(parents=True, exist_ok=True)
    extra = [
        "--no-timers",
        "--env",
        f"DMS_QPS={options.dms_qps}",
        "--env",
        f"DMS_READ_TIMEOUT_MS={options.read_timeout_ms}",
    ]
    with LocalCloudProcess(extra, command="dev", stderr=options.log_path) as cloud:
        env = cloud.env
        control = ControlClient(env["LOCALCLOUD_CONTROL_URL"], timeout=120)
        observer = Observer(control, new_account(env), OUTCOME_QUEUE).start()
        try:
            drive = _drive(options, sent, env, control, observer, started, progress)
        finally:
            observer.stop()
        secrets = [env["ALIBABA_CLOUD_ACCESS_KEY_SECRET"], env["ALIBABA_CLOUD_SECURITY_TOKEN"], env["WEBHOOK_SECRET"]]
    from scripts.scan_logs import scan

    log_lines = options.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
    drive.evidence.log_findings = [str(finding) for finding in scan(log_lines, secrets)]
    violations = invariants.check_all(drive.evidence, load_mapping())
    if not drive.quiet:
        violations.append(f"the system was not quiet within the {options.time_limit:.0f} s limit")
    figures = _figures(options, sent, observer, drive.sender, drive.actions, log_lines, started)
    figures["sending_seconds"] = round(drive.sent_at - started, 1)
    return SoakResult(figures, violations)


def _drive(
    options: SoakOptions,
    sent: list[Planned],
    env: dict[str, str],
    control: ControlClient,
    observer: Observer,
    started: float,
    progress: Callable[[str], None],
) -> Drive:
    """Faults on, everything sent, faults off, replays until quiet; the evidence as the cloud holds it then."""
    rules = chaos.install(
        control, options.dms_faults, options.mns_faults, hang_seconds=options.read_timeout_ms / 1000 + 1
    )
    for rule in options.crash:
        control.add_fault(**rule)
    progress(f"soak: {len(sent)} sends, {rules + len(options.crash)} fault rules; sending ...")
    sender = _Sender(env, ThreadAccounts(env))
    with ThreadPoolExecutor(options.clients) as pool:
        delivered = list(pool.map(sender.deliver, sent))
    answers = {index: answer for index, answer in enumerate(delivered) if answer is not None}
    sending_done = time.monotonic()
    progress(f"soak: sent in {sending_done - started:.1f} s; processing under faults ...")
    deadline = started + options.time_limit
    while time.monotonic() < deadline and _in_flight(control, [env["INPUT_QUEUE"]]):
        time.sleep(0.5)
    control.clear_faults()
    progress(f"soak: faults lifted after {time.monotonic() - started:.1f} s; replaying until quiet ...")
    actions, quiet = _settle(control, observer, env, deadline)
    evidence = invariants.Evidence(
        sent=sent,
        webhook_answers=answers,
        outcomes=observer.outcomes,
        calls=observer.calls,
        dms_state=control.state("dms"),
        mns_state=control.state("mns"),
        queues={
            "input": env["INPUT_QUEUE"],
            "dead_letter": env["DEAD_LETTER_QUEUE"],
            "parking": env["PARKING_QUEUE"],
        },
        lost_calls=observer.lost_calls,
        unsent=dict(sender.unsent),
    )
    return Drive(evidence, actions, quiet, sender, sending_done)


def _figures(
    options: SoakOptions,
    sent: list[Planned],
    observer: Observer,
    sender: _Sender,
    actions: Counter[str],
    log_lines: list[str],
    started: float,
) -> dict[str, Any]:
    steps = [s for o in observer.outcomes for s in (o.get("data") or {}).get("steps", [])]
    dms_calls = [c for c in observer.calls if str(c["service"]).startswith("dms")]
    return {
        "seconds": round(time.monotonic() - started, 1),
        "sends": len(sent),
        "distinct_events": len({p.event_id for p in sent}),
        "duplicates": sum(p.duplicate for p in sent),
        "invalid": sum(p.kind == "invalid" and not p.duplicate for p in sent),
        "poison": sum(p.kind == "poison" for p in sent),
        "via_webhook": sum(p.route == "webhook" for p in sent),
        "via_queue": sum(p.route == "queue" for p in sent),
        "dms_fault_rate": options.dms_faults,
        "mns_fault_rate": options.mns_faults,
        "injected_faults": dict(sorted(observer.faults_by_kind().items())),
        "dms_calls": len(dms_calls),
        "dms_retries": sum(max(0, int(s.get("attempts", 0)) - 1) for s in steps),
        "client_retries": dict(sender.retries),
        "trigger_redeliveries": sum("[worker] attempt " in line for line in log_lines),
        "replays": dict(sorted(actions.items())),
        "outcomes": len(observer.outcomes),
        "outcomes_by_status": dict(sorted(Counter(str(o["data"]["status"]) for o in observer.outcomes).items())),
        "log_lines": len(log_lines),
    }

"""The roster import's core: converge everyone a roster lists, then, because a roster is complete, make leavers of
the people the register holds active whom it leaves out.

Every person goes through the provisioner like any HR event: the register orders their events and holds their
lease, the convergence reads DMS and makes only the calls the difference needs, the outcome is published to the
result topic. So a second run of the same file makes no DMS write, a person an HR event moved after the roster's
as-of time keeps the move (the row is superseded), and leavers pass the mass-leaver breaker: past LEAVER_LIMIT they
wait on the hold queue for an operator, which is the point of the breaker when a roster export is cut short.

Leavers are taken only from a roster that can be trusted to list everyone: when any row is rejected, nobody is
made a leaver (the rejected row is somebody, and the file may be damaged further than one row shows). Rows go
first and leavers after, so an import stopped half way has taken no access away.

Everything the deployment needs is checked before the first person (configuration, credentials, the role mapping,
a readable register, the hold queue when there may be leavers): DeploymentError means nothing was done.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.config import ConfigError
from shared.contract.problems import Problem
from shared.infra.credentials import CredentialsMissingError
from shared.infra.retry import Deadline
from shared.lifecycle.convergence import PersonBusyError
from shared.lifecycle.mapping import MappingError
from shared.lifecycle.outcome import Outcome, identify
from shared.lifecycle.provisioner import Provisioner
from shared.messaging.client import MnsUnavailableError
from shared.roster.difference import hold_past_breaker, planned
from shared.roster.events import HIRED, UPDATED, Prepared, Stamp, column, leave, prepare, stamp_problems
from shared.roster.progress import Progress
from shared.roster.reading import Roster
from shared.roster.summary import Leavers, Result, Summary, from_outcome
from shared.state.register import RegisterConfigurationError, RegisterUnavailableError
from shared.wiring import Wiring

SCAN_PAGE = 1000


class DeploymentError(Exception):
    """The deployment cannot run this roster (configuration, credentials, mapping, register): nothing was done."""


class OptionsError(Exception):
    """`--source` or `--as-of` breaks the contract every event must keep: nothing was done."""


@dataclass(frozen=True)
class Options:
    as_of: datetime
    source: str = "roster"
    dry_run: bool = False
    leavers: bool = True
    concurrency: int = 4
    person_seconds: float = 60.0
    """Each person's budget, as one function invocation's: a busy person is waited for within it."""


@dataclass(frozen=True)
class _Work:
    line: int | None
    nickname: str
    document: dict[str, Any]


def run(wiring: Wiring, roster: Roster, options: Options, progress: Progress | None = None) -> Summary:
    stamp = Stamp(options.source, options.as_of, roster.sha256)
    wrong = stamp_problems(stamp)
    if wrong:
        raise OptionsError("; ".join(f"--{_option(p.field)}: {p.reason}" for p in wrong))
    dry_run = options.dry_run or wiring.settings.dry_run
    prepared = prepare(roster, stamp)
    provisioner, active, damaged = _preflight(wiring)
    absent = tuple(sorted(active - prepared.listed))
    leavers = _leavers(prepared, absent, options.leavers)
    if leavers.decision == "applied" and absent and not dry_run and not wiring.settings.hold_queue:
        raise DeploymentError(
            f"HOLD_QUEUE is not set, and {len(absent)} leavers may meet the mass-leaver breaker: name the hold "
            "queue (hr-held), or run with --no-leavers"
        )
    summary = Summary(
        roster.path,
        roster.format,
        roster.sha256,
        stamp.occurred_at,
        stamp.source,
        dry_run,
        len(roster.rows),
        leavers=leavers,
        limit=wiring.settings.leavers.limit,
    )
    summary.notes.extend(
        f"Register row {uid!r} cannot be read, so it was not judged a leaver; fix or delete it "
        "(`python -m shared.state show UID`)."
        for uid in damaged
        if uid not in prepared.listed  # a listed person's row fails their convergence, naming it
    )
    meter = progress or Progress(0, io.StringIO(), enabled=False)
    meter.add(len(prepared.rejections) + len(prepared.entries))
    for rejection in prepared.rejections:
        problems = tuple(Problem(column(p.field), p.reason) for p in rejection.problems)
        summary.results.append(Result("rejected", rejection.uid, rejection.line, rejection.nickname, problems=problems))
        if not dry_run:
            outcome = identify(rejection.document, stamp.correlation_id).outcome(
                "rejected", problems=list(rejection.problems)
            )
            _publish(provisioner, outcome, summary)
        meter.advance("rejected")
    rows = [
        _Work(entry.line, entry.nickname, entry.event(stamp, UPDATED if entry.uid in active else HIRED))
        for entry in prepared.entries
    ]
    summary.results.extend(_converge_all(provisioner, rows, options, dry_run, stamp, meter))
    if leavers.decision == "applied" and absent:
        meter.add(len(absent))
        gone = [_Work(None, "", leave(uid, stamp)) for uid in absent]
        results = _converge_all(provisioner, gone, options, dry_run, stamp, meter)
        if dry_run and any(r.status == "leave" for r in results):
            results = _with_holds(wiring, results, options, summary)
        summary.results.extend(results)
    return summary


def _with_holds(wiring: Wiring, results: list[Result], options: Options, summary: Summary) -> list[Result]:
    """A dry run's leaves, those the breaker would hold marked; unmarked, and said so, if its state is unreadable."""
    try:
        state = wiring.breaker.state(Deadline.after(options.person_seconds))
    except (RegisterUnavailableError, RegisterConfigurationError) as error:
        summary.notes.append(f"The mass-leaver breaker's state could not be read, so no leave is shown held: {error}")
        return results
    return hold_past_breaker(results, state)


def _preflight(wiring: Wiring) -> tuple[Provisioner, set[str], list[str]]:
    """The provisioner and who the register holds active (and which rows it cannot read), or why not."""
    try:
        wiring.credentials()
        provisioner = wiring.provisioner
        active, damaged = _register_people(wiring)
    except (ConfigError, CredentialsMissingError, MappingError, RegisterConfigurationError) as error:
        raise DeploymentError(str(error)) from None
    except RegisterUnavailableError as error:
        raise DeploymentError(f"the person register cannot be read: {error}") from None
    return provisioner, active, damaged


def _register_people(wiring: Wiring) -> tuple[set[str], list[str]]:
    register = wiring.register
    active: set[str] = set()
    damaged: list[str] = []
    after: str | None = None
    while True:
        page, after = register.scan(
            after, SCAN_PAGE, Deadline.after(60), on_damaged=lambda uid, _error: damaged.append(uid)
        )
        active.update(record.uid for record in page if record.status == "active")
        if after is None:
            return active, damaged


def _leavers(prepared: Prepared, absent: tuple[str, ...], wanted: bool) -> Leavers:
    if not wanted:
        return Leavers(absent, "skipped")
    if prepared.rejections:
        count = len(prepared.rejections)
        rows = "row was" if count == 1 else "rows were"
        people = f"{len(absent)} active {'person' if len(absent) == 1 else 'people'} in the register"
        return Leavers(
            absent,
            "refused",
            f"{count} {rows} rejected, so the roster may not list everyone: nobody was taken for a leaver "
            f"({people} not on it). Fix the rows and run it again, or run with --no-leavers.",
        )
    return Leavers(absent, "applied")


def _converge_all(
    provisioner: Provisioner,
    work: Sequence[_Work],
    options: Options,
    dry_run: bool,
    stamp: Stamp,
    progress: Progress,
) -> list[Result]:
    def one(item: _Work) -> Result:
        return _converge(provisioner, item, options, dry_run, stamp.correlation_id)

    results: list[Result] = []
    if options.concurrency <= 1 or len(work) <= 1:
        for item in work:
            results.append(one(item))
            progress.advance(results[-1].status)
        return results
    with ThreadPoolExecutor(max_workers=options.concurrency, thread_name_prefix="roster") as pool:
        futures = [pool.submit(one, item) for item in work]
        try:
            for future in as_completed(futures):
                results.append(future.result())
                progress.advance(results[-1].status)
        except BaseException:
            for future in futures:
                future.cancel()  # a Ctrl-C stops the people not yet started; those under way finish
            raise
    return results


def _converge(provisioner: Provisioner, item: _Work, options: Options, dry_run: bool, correlation: str) -> Result:
    deadline = Deadline.after(options.person_seconds)
    uid = str(item.document["employee"]["uid"])
    try:
        outcome = _attempt(provisioner, item.document, deadline, dry_run, correlation)
    except PersonBusyError as busy:
        reason = f"another convergence held the person's lease throughout ({busy}); run the roster again"
        return Result("failed", uid, item.line, item.nickname, reason=reason)
    except MnsUnavailableError as error:
        reason = f"MNS did not take the outcome or the held leave: {error}; running the roster again is safe"
        return Result("failed", uid, item.line, item.nickname, reason=reason)
    except Exception as error:  # one person's unexpected failure must not stop everyone else's access
        provisioner.log.error("roster person failed", uid=uid, error=f"{type(error).__name__}: {error}")
        return Result("failed", uid, item.line, item.nickname, reason=f"{type(error).__name__}: {error}")
    if dry_run:
        return planned(outcome, item.line, item.nickname)
    return from_outcome(outcome, item.line, item.nickname)


def _attempt(
    provisioner: Provisioner,
    document: dict[str, Any],
    deadline: Deadline,
    dry_run: bool,
    correlation: str,
    sleep: Callable[[float], None] = time.sleep,
) -> Outcome:
    """The outcome; a person whose lease another convergence holds (an HR event arriving meanwhile) is waited
    for, as the worker would put the event back on the queue, within the person's budget."""
    while True:
        try:
            if dry_run:
                return provisioner.decide(document, deadline, dry_run=True, correlation_id=correlation)
            return provisioner.provision(document, deadline, correlation_id=correlation)
        except PersonBusyError as busy:
            if not deadline.allows(busy.retry_after + 1.0):
                raise
            sleep(busy.retry_after)


def _publish(provisioner: Provisioner, outcome: Outcome, summary: Summary) -> None:
    try:
        provisioner.publish(outcome)
    except MnsUnavailableError as error:
        summary.notes.append(f"The rejected outcome of {outcome.event_id} could not be published: {error}")


def _option(field: str) -> str:
    return {"source": "source", "occurred_at": "as-of"}.get(field, field)

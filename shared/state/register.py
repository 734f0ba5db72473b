"""The person register: one Tablestore row per person, the durable state that orders a person's HR events and
keeps one convergence per person at a time.

Every save is a compare-and-set on the row's `revision`, so two instances working on one person cannot both
win: the loser hears RevisionConflict and decides again from a fresh read. The hard case is a write whose
answer was lost (the connection dropped, a timeout, a 5xx): it may or may not have taken effect, and the SDK
does not resend it. Every save therefore carries a random `write_id`, and such a failure is settled by reading
the row: our write_id means it took effect, the old revision means it did not (and it is sent again), anything
else means someone else's write came between (a conflict). That is also why retrying a write is always safe.

Retries are ours, not the SDK's: transient failures are retried with full-jitter backoff, never sleeping past
the caller's deadline; refused credentials are read afresh once (FC rotates the role's STS token); whatever
cannot heal by waiting is a RegisterConfigurationError that says what to fix.
"""

from __future__ import annotations

import functools
import random
import secrets
import time
from collections.abc import Callable, Mapping
from typing import Any, Literal, TypeVar

from shared.config import RegisterConfig
from shared.infra.credentials import RoleCredentials
from shared.infra.retry import Deadline, RetryPolicy
from shared.state.errors import RegisterConfigurationError, RegisterUnavailableError, RevisionConflict
from shared.state.records import (
    CONTROL_PREFIX,
    Columns,
    ControlRecord,
    Grant,
    PersonRecord,
    control_columns,
    control_from_row,
    control_uid,
    person_columns,
    person_from_row,
    person_uid,
    revision_of,
    version_key,
    write_id_of,
)
from shared.state.sdk import Failure, Tablestore, classify, describe

__all__ = [
    "CONTROL_PREFIX",
    "ControlRecord",
    "Grant",
    "PersonRecord",
    "PersonRegister",
    "RegisterConfigurationError",
    "RegisterUnavailableError",
    "RevisionConflict",
    "version_key",
]

T = TypeVar("T")
R = TypeVar("R")
Settled = Literal["ours", "retry", "conflict"]

DEFAULT_RETRY = RetryPolicy(max_attempts=5, base_delay=0.05, max_delay=1.0)
PAGE_LIMIT = 5000
"""The most rows one GetRange answers with."""
PERSON_RANGES: tuple[tuple[str | None, str | None], ...] = (
    (None, CONTROL_PREFIX),
    (chr(ord(CONTROL_PREFIX) + 1), None),
)
"""The uid ranges persons occupy, [low, high) with None unbounded: all but the rows that start with the prefix."""


class _Attempts:
    """One operation's budget: attempts by the retry policy, waits by the deadline, one renewal of credentials."""

    def __init__(self, register: PersonRegister, deadline: Deadline, what: str) -> None:
        if deadline.remaining() <= 0:
            raise RegisterUnavailableError("DeadlineExceeded", f"{what}: the deadline has passed")
        self._register = register
        self._deadline = deadline
        self._what = what
        self.count = 1
        self._renewed = False

    def next(self, failure: Failure) -> Exception | None:
        """None once another attempt may start (after waiting), else the error to raise."""
        register = self._register
        if failure.kind == "auth" and not self._renewed:
            self._renewed = True
            register.store.forget()
            return None
        if failure.kind != "transient":
            config = register.config
            message = describe(failure, config.table, config.instance, register.store.access_key_id())
            return RegisterConfigurationError(failure.code, f"{self._what}: {message}")
        policy = register.retry
        if self.count >= policy.max_attempts:
            return RegisterUnavailableError(
                failure.code, f"{self._what}: {failure.message} (after {self.count} attempts)"
            )
        delay = policy.delay(self.count, rng=register.rng)
        if not self._deadline.allows(delay):
            return RegisterUnavailableError(
                failure.code, f"{self._what}: {failure.message} (no time left for attempt {self.count + 1})"
            )
        register.sleep(delay)
        self.count += 1
        return None


def _readable(decode: Callable[[str, Mapping[str, Any]], R], key: str, row: Mapping[str, Any]) -> R:
    """A row someone damaged by hand (its JSON columns unreadable) is a permanent failure naming the row: guessing a
    default desired state could deprovision a person, or grant them access, on a typo."""
    try:
        return decode(key, row)
    except ValueError as error:
        raise RegisterConfigurationError("OTSCorruptRow", f"row {key!r} cannot be read: {error}") from None


class PersonRegister:
    def __init__(
        self,
        config: RegisterConfig,
        credentials: Callable[[], RoleCredentials],
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.config = config
        self.store = Tablestore(config, credentials)
        self.clock = clock
        self.sleep = sleep
        self.retry = retry or DEFAULT_RETRY
        self.rng = random.Random()

    def now_ms(self) -> int:
        return int(self.clock() * 1000)

    def read(self, uid: str, deadline: Deadline) -> PersonRecord | None:
        key = person_uid(uid)
        row = self._call(f"read person {key}", deadline, functools.partial(self.store.get_row, key))
        return None if row is None else _readable(person_from_row, key, row)

    def save(self, record: PersonRecord, deadline: Deadline) -> PersonRecord:
        """Compare-and-set of the whole row: `record.revision` is the revision that was read (0: the row must
        not exist yet). Returns the record as stored, at revision + 1; RevisionConflict when someone else saved
        the row since."""
        key = person_uid(record.uid)

        def columns(revision: int, now_ms: int, write_id: str) -> Columns:
            return person_columns(record, revision, now_ms, write_id)

        row = self._compare_and_set(f"save person {key}", key, record.revision, columns, deadline)
        return person_from_row(key, row)

    def scan(
        self,
        after: str | None,
        limit: int,
        deadline: Deadline,
        *,
        on_damaged: Callable[[str, RegisterConfigurationError], None] | None = None,
    ) -> tuple[list[PersonRecord], str | None]:
        """Persons in uid order after `after` (exclusive; None: from the start), at most `limit`, and the cursor
        for the next page (the last uid returned), or None when there is no further person. With `on_damaged`,
        a row that cannot be read is handed to it and skipped, so one bad row cannot stop a walk of everyone."""
        if limit < 1:
            raise ValueError("limit must be at least 1")
        want = limit + 1  # one more than asked says whether there is a next page
        found: list[PersonRecord] = []
        for low, high in PERSON_RANGES:
            if after is not None and high is not None and after >= high:
                continue
            start = low if after is None or (low is not None and after < low) else after
            more = True
            while more and len(found) < want:
                count = min(PAGE_LIMIT, want - len(found) + (1 if after is not None and start == after else 0))
                page = functools.partial(self.store.get_range, start, high, count)
                rows, start = self._call("scan persons", deadline, page)
                more = start is not None
                for uid, row in rows:
                    if uid == after or uid.startswith(CONTROL_PREFIX):
                        continue
                    try:
                        found.append(_readable(person_from_row, uid, row))
                    except RegisterConfigurationError as error:
                        if on_damaged is None:
                            raise
                        on_damaged(uid, error)
        if len(found) > limit:
            return found[:limit], found[limit - 1].uid
        return found, None

    def read_control(self, name: str, deadline: Deadline) -> ControlRecord | None:
        key = control_uid(name)
        row = self._call(f"read control document {name}", deadline, functools.partial(self.store.get_row, key))
        return None if row is None else _readable(control_from_row, name, row)

    def save_control(self, record: ControlRecord, deadline: Deadline) -> ControlRecord:
        """The same compare-and-set as `save`, for a control document."""
        key = control_uid(record.name)

        def columns(revision: int, now_ms: int, write_id: str) -> Columns:
            return control_columns(record, revision, now_ms, write_id)

        row = self._compare_and_set(f"save control document {record.name}", key, record.revision, columns, deadline)
        return control_from_row(record.name, row)

    def create_table(self, deadline: Deadline) -> bool:
        """Create the table unless it exists; True if created. An existing table with another primary key is a
        RegisterConfigurationError: every row operation on it would fail."""
        what = f"create table {self.config.table}"
        attempts = _Attempts(self, deadline, what)
        while True:
            try:
                self.store.create_table()
                return True
            except Exception as error:
                failure = classify(error)
                if failure is None:
                    raise
                if failure.kind == "exists":
                    break
                problem = attempts.next(failure)
                if problem is not None:
                    raise problem from error
        primary_key = self._call(f"describe table {self.config.table}", deadline, self.store.primary_key)
        if primary_key != [("uid", "STRING")]:
            raise RegisterConfigurationError(
                "OTSTableSchemaMismatch",
                f"table {self.config.table} of Tablestore instance {self.config.instance} exists with primary key "
                f"{primary_key}, not [uid STRING]: name another table with REGISTER_TABLE",
            )
        return False

    def _call(self, what: str, deadline: Deadline, operation: Callable[[], T]) -> T:
        """A read (or a table operation), retried while that may help and the deadline allows."""
        attempts = _Attempts(self, deadline, what)
        while True:
            try:
                return operation()
            except Exception as error:
                failure = classify(error)
                if failure is None:
                    raise
                problem = attempts.next(failure)
                if problem is not None:
                    raise problem from error

    def _compare_and_set(
        self,
        what: str,
        key: str,
        revision: int,
        columns: Callable[[int, int, str], Columns],
        deadline: Deadline,
    ) -> Mapping[str, Any]:
        """Write the row if it is still at `revision` (0: absent); the row as stored."""
        if revision < 0:
            raise ValueError("revision must not be negative")
        write_id = secrets.token_hex(16)
        attempts = _Attempts(self, deadline, what)
        uncertain = False
        while True:
            written = columns(revision + 1, self.now_ms(), write_id)
            try:
                if revision == 0:
                    self.store.put_new(key, written)
                else:
                    self.store.update_at(key, written, revision)
                return dict(written)
            except Exception as error:
                failure = classify(error)
                if failure is None:
                    raise
                uncertain = uncertain or failure.maybe_applied
                if uncertain and (failure.kind == "condition" or failure.maybe_applied):
                    settled, row = self._settle(what, key, revision, write_id, deadline)
                    if settled == "ours":
                        return row
                    if settled == "conflict":
                        raise RevisionConflict(f"{what}: the row is no longer at revision {revision}") from error
                if failure.kind == "condition":
                    raise RevisionConflict(f"{what}: the row is no longer at revision {revision}") from error
                problem = attempts.next(failure)
                if problem is not None:
                    raise problem from error

    def _settle(
        self, what: str, key: str, revision: int, write_id: str, deadline: Deadline
    ) -> tuple[Settled, Mapping[str, Any]]:
        """Whether a write we did not hear back from took effect, by reading the row it was meant to change."""
        row = self._call(
            f"{what} (reading back an unanswered write)", deadline, functools.partial(self.store.get_row, key)
        )
        if row is not None and write_id_of(row) == write_id:
            return "ours", row
        if (row is None and revision == 0) or (row is not None and revision > 0 and revision_of(row) == revision):
            return "retry", {}
        return "conflict", {}

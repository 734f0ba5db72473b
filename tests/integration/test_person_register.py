"""The person register through the official Tablestore SDK against the local cloud: compare-and-set, lost answers,
retries within the deadline, rotated credentials, paging, and the command line."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from tablestore import Row

from localcloud import LocalCloud
from localcloud.credentials import Credential
from localcloud.faults import FaultKind, FaultRule
from shared.config import RegisterConfig
from shared.infra import credentials
from shared.infra.credentials import RoleCredentials
from shared.infra.retry import Deadline, RetryPolicy
from shared.state.register import (
    ControlRecord,
    Grant,
    PersonRecord,
    PersonRegister,
    RegisterConfigurationError,
    RegisterUnavailableError,
    RevisionConflict,
    version_key,
)
from shared.state.sdk import SDK_LOGGER
from tests.integration.deployment import Deployment
from tests.support.tablestore_clients import ots_client

ROOT = Path(__file__).resolve().parents[2]
TABLE = "dms_onboarding_people"
UID = "2000000000001"
VERSION = version_key(datetime(2025, 3, 3, 9, 30, tzinfo=timezone(timedelta(hours=8))), "dingtalk:1")


class Sleeps:
    """An injected sleep that records its waits and moves a fake monotonic clock, so deadlines bite at once."""

    def __init__(self) -> None:
        self.now = 0.0
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


def env_credentials(cloud: LocalCloud) -> RoleCredentials:
    return credentials.resolve(None, cloud.client_env())


def make_register(
    cloud: LocalCloud,
    creds: Callable[[], RoleCredentials] | None = None,
    sleep: Callable[[float], None] | None = None,
    retry: RetryPolicy | None = None,
    clock: Callable[[], float] | None = None,
) -> PersonRegister:
    role = env_credentials(cloud)
    return PersonRegister(
        RegisterConfig.from_env(cloud.client_env()),
        creds or (lambda: role),
        sleep=sleep or Sleeps(),
        retry=retry,
        **({"clock": clock} if clock else {}),
    )


def soon() -> Deadline:
    return Deadline.after(10)


@pytest.fixture
def register(cloud: LocalCloud) -> PersonRegister:
    created = make_register(cloud)
    assert created.create_table(soon())
    return created


def faults(cloud: LocalCloud, kind: FaultKind, action: str, count: int | None = 1, **rule: Any) -> None:
    cloud.faults.add(FaultRule(kind=kind, service="tablestore", action=action, count=count, **rule))


def actions(cloud: LocalCloud) -> list[tuple[str, str]]:
    return [(str(c["action"]), str(c["code"] or c["fault"] or c["status"])) for c in cloud.calls.query("tablestore")]


def hired(uid: str = UID, **changes: Any) -> PersonRecord:
    record = PersonRecord(
        uid=uid,
        version=VERSION,
        event_id="dingtalk:1",
        event_source="dingtalk",
        event_type="employee.hired",
        status="active",
        desired={"roles": ["USER", "DBA"], "mobile": "+8613900001234", "workspaces": {"w1": "MEMBER"}},
        granted=(Grant("209230000007291", "cn-hangzhou"), Grant("209230000007305")),
    )
    return replace(record, **changes)


def test_a_person_never_seen_reads_as_none(register: PersonRegister) -> None:
    assert register.read(UID, soon()) is None


def test_first_save_creates_the_row_at_revision_one(cloud: LocalCloud) -> None:
    register = make_register(cloud, clock=lambda: 1_780_000_000.25)
    register.create_table(soon())
    stored = register.save(hired(), soon())
    assert stored == replace(hired(), revision=1, updated_at_ms=1_780_000_000_250)
    assert register.read(UID, soon()) == stored
    _, row, _ = ots_client(cloud, v4=True).get_row(TABLE, [("uid", UID)], max_version=1)
    columns = {name: value for name, value, _ in row.attribute_columns}
    assert columns.pop("write_id")
    assert columns == {
        "version": VERSION,
        "event_id": "dingtalk:1",
        "event_source": "dingtalk",
        "event_type": "employee.hired",
        "status": "active",
        "desired": '{"mobile":"+8613900001234","roles":["USER","DBA"],"workspaces":{"w1":"MEMBER"}}',
        "granted": '[["209230000007291","cn-hangzhou"],["209230000007305",null]]',
        "converged": False,
        "lease_token": "",
        "lease_until_ms": 0,
        "revision": 1,
        "updated_at_ms": 1_780_000_000_250,
    }


def test_columns_a_row_lacks_read_as_their_defaults(cloud: LocalCloud, register: PersonRegister) -> None:
    ots_client(cloud).put_row(TABLE, Row([("uid", UID)], [("status", "left"), ("revision", 7)]))
    assert register.read(UID, soon()) == PersonRecord(UID, status="left", revision=7)


def test_a_stale_revision_loses_atomically(register: PersonRegister) -> None:
    first = register.save(hired(), soon())
    second = register.save(replace(first, converged=True), soon())
    assert second.revision == 2
    with pytest.raises(RevisionConflict):
        register.save(replace(first, status="left", desired={}), soon())
    assert register.read(UID, soon()) == second
    with pytest.raises(RevisionConflict):
        register.save(hired(), soon())  # revision 0: the row must not exist yet


def test_two_creators_race_and_one_wins(cloud: LocalCloud, register: PersonRegister) -> None:
    rivals = [make_register(cloud) for _ in range(2)]
    start = threading.Barrier(len(rivals))
    results: dict[str, object] = {}

    def create(index: int) -> None:
        start.wait()
        try:
            results[f"e{index}"] = rivals[index].save(hired(event_id=f"e{index}"), soon())
        except RevisionConflict as conflict:
            results[f"e{index}"] = conflict

    threads = [threading.Thread(target=create, args=(i,)) for i in range(len(rivals))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = {event for event, result in results.items() if isinstance(result, PersonRecord)}
    assert len(winners) == 1
    assert sum(isinstance(result, RevisionConflict) for result in results.values()) == 1
    stored = register.read(UID, soon())
    assert stored is not None
    assert (stored.event_id, stored.revision) == (winners.pop(), 1)


@pytest.mark.parametrize("action", ["PutRow", "UpdateRow"])
def test_a_write_whose_answer_was_lost_is_recognised_as_ours(
    cloud: LocalCloud, register: PersonRegister, action: str
) -> None:
    before = register.save(hired(), soon()) if action == "UpdateRow" else hired()
    cloud.calls.clear()
    faults(cloud, "drop_after", action)
    stored = register.save(replace(before, converged=True), soon())
    assert stored.revision == before.revision + 1
    assert register.read(UID, soon()) == stored
    assert actions(cloud)[:2] == [(action, "drop_after"), ("GetRow", "200")]
    assert [a for a, _ in actions(cloud)].count(action) == 1  # settled by reading, not by writing again


def test_a_write_lost_before_it_took_effect_is_sent_again(cloud: LocalCloud, register: PersonRegister) -> None:
    before = register.save(hired(), soon())
    cloud.calls.clear()
    faults(cloud, "drop", "UpdateRow")
    stored = register.save(replace(before, converged=True), soon())
    assert stored.revision == 2
    assert actions(cloud)[:3] == [("UpdateRow", "drop"), ("GetRow", "200"), ("UpdateRow", "200")]


def test_a_server_timeout_on_a_write_is_settled_by_reading_then_retried(
    cloud: LocalCloud, register: PersonRegister
) -> None:
    before = register.save(hired(), soon())
    cloud.calls.clear()
    faults(cloud, "error", "UpdateRow", status=503, code="OTSTimeout")
    assert register.save(replace(before, converged=True), soon()).revision == 2
    assert actions(cloud) == [("UpdateRow", "OTSTimeout"), ("GetRow", "200"), ("UpdateRow", "200")]


def test_a_lost_answer_with_another_write_after_it_is_a_conflict(
    cloud: LocalCloud, register: PersonRegister, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = register.save(hired(), soon())
    rival = make_register(cloud)
    read_back = register.store.get_row

    def rival_writes_first(uid: str) -> dict[str, Any] | None:
        rival.save(replace(rival.read(uid, soon()) or before, status="left"), soon())
        return read_back(uid)

    faults(cloud, "drop_after", "UpdateRow")
    monkeypatch.setattr(register.store, "get_row", rival_writes_first)
    with pytest.raises(RevisionConflict):
        register.save(replace(before, converged=True), soon())
    monkeypatch.undo()
    stored = register.read(UID, soon())
    assert stored is not None
    assert (stored.revision, stored.status, stored.converged) == (3, "left", True)


def test_server_busy_is_retried_within_the_deadline(cloud: LocalCloud, register: PersonRegister) -> None:
    register.save(hired(), soon())
    sleeps = Sleeps()
    patient = make_register(cloud, sleep=sleeps)
    faults(cloud, "error", "GetRow", count=2, status=503, code="OTSServerBusy")
    assert patient.read(UID, soon()) is not None
    assert len(sleeps.waits) == 2

    sleeps = Sleeps()
    bounded = make_register(cloud, sleep=sleeps, retry=RetryPolicy(max_attempts=1000, base_delay=0.1, max_delay=0.4))
    faults(cloud, "error", "GetRow", count=None, status=503, code="OTSServerBusy")
    with pytest.raises(RegisterUnavailableError) as unavailable:
        bounded.read(UID, Deadline.after(2.0, sleeps.clock))
    assert unavailable.value.code == "OTSServerBusy"
    assert 0 < sum(sleeps.waits) <= 2.0
    assert len(sleeps.waits) < 1000


def test_every_attempt_used_up_is_unavailable_with_the_last_code(cloud: LocalCloud, register: PersonRegister) -> None:
    sleeps = Sleeps()
    tried = make_register(cloud, sleep=sleeps, retry=RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.01))
    faults(cloud, "error", "PutRow", count=3, status=503, code="OTSServerBusy")
    with pytest.raises(RegisterUnavailableError) as unavailable:
        tried.save(hired(), soon())
    assert (unavailable.value.code, len(sleeps.waits)) == ("OTSServerBusy", 2)
    assert register.read(UID, soon()) is None


def test_a_passed_deadline_is_unavailable_without_calling(cloud: LocalCloud, register: PersonRegister) -> None:
    cloud.calls.clear()
    with pytest.raises(RegisterUnavailableError) as unavailable:
        register.read(UID, Deadline.after(-1))
    assert unavailable.value.code == "DeadlineExceeded"
    assert actions(cloud) == []


def test_a_missing_table_is_a_configuration_error(cloud: LocalCloud) -> None:
    register = make_register(cloud)
    calls: list[Callable[[], object]] = [lambda: register.read(UID, soon()), lambda: register.save(hired(), soon())]
    for call in calls:
        with pytest.raises(RegisterConfigurationError) as wrong:
            call()
        assert wrong.value.code == "OTSObjectNotExist"
        assert TABLE in str(wrong.value)
        assert cloud.config.tablestore_instance in str(wrong.value)
        assert "create-table" in str(wrong.value)
    assert len(actions(cloud)) == 2  # no retries of what waiting cannot fix


def test_scan_pages_in_uid_order_and_skips_control_rows(
    cloud: LocalCloud, register: PersonRegister, monkeypatch: pytest.MonkeyPatch
) -> None:
    uids = ["2000000000007", "1", "10", "2", "2000000000001", "9", "99", "3000000000000"]
    for uid in uids:
        register.save(PersonRecord(uid), soon())
    for name in ("breaker", "reconcile"):
        register.save_control(ControlRecord(name, {"held": []}), soon())
    monkeypatch.setattr("localcloud.tablestore.models.MAX_RANGE_ROWS", 2)  # short pages, as partitions make them
    pages: list[list[str]] = []
    cursor: str | None = None
    while True:
        persons, cursor = register.scan(cursor, 3, soon())
        pages.append([person.uid for person in persons])
        if cursor is None:
            break
    assert pages == [["1", "10", "2"], ["2000000000001", "2000000000007", "3000000000000"], ["9", "99"]]
    assert register.scan("99", 3, soon()) == ([], None)
    assert register.scan("2", 100, soon())[0][0].uid == "2000000000001"
    assert len(register.scan(None, 8, soon())[0]) == 8


def test_control_documents_compare_and_set(register: PersonRegister) -> None:
    assert register.read_control("breaker", soon()) is None
    first = register.save_control(ControlRecord("breaker", {"applied": [1, 2]}), soon())
    assert first == ControlRecord("breaker", {"applied": [1, 2]}, 1)
    second = register.save_control(ControlRecord("breaker", {"applied": [1, 2, 3]}, first.revision), soon())
    assert second.revision == 2
    with pytest.raises(RevisionConflict):
        register.save_control(ControlRecord("breaker", {"applied": []}, first.revision), soon())
    assert register.read_control("breaker", soon()) == second
    assert register.scan(None, 10, soon()) == ([], None)
    with pytest.raises(ValueError, match="control"):
        register.read("~breaker", soon())


def test_rotated_sts_credentials_build_a_new_client(cloud: LocalCloud, register: PersonRegister) -> None:
    old = env_credentials(cloud)
    new = RoleCredentials("STS.Rotated", "RotatedSecret", "RotatedToken")
    cloud.credentials.put(Credential(new.access_key_id, new.access_key_secret, new.security_token))
    current = [old]
    rotating = make_register(cloud, creds=lambda: current[0])
    rotating.save(hired(), soon())
    current[0] = new
    assert rotating.read(UID, soon()) is not None
    assert [c["access_key_id"] for c in cloud.calls.query("tablestore")][-2:] == [old.access_key_id, new.access_key_id]

    expired = cloud.credentials.get(new.access_key_id)
    assert expired is not None
    expired.expired = True  # FC has issued the next token, the instance has not re-read it yet
    newest = RoleCredentials("STS.Newest", "NewestSecret", "NewestToken")
    cloud.credentials.put(Credential(newest.access_key_id, newest.access_key_secret, newest.security_token))
    handed = iter([new, newest])
    renewing = make_register(cloud, creds=lambda: next(handed, newest))
    cloud.calls.clear()
    assert renewing.read(UID, soon()) is not None
    assert [(c["action"], c["code"]) for c in cloud.calls.query("tablestore")] == [
        ("GetRow", "OTSAuthFailed"),
        ("GetRow", ""),
    ]


def test_credentials_refused_again_when_fresh_are_a_configuration_error(
    cloud: LocalCloud, register: PersonRegister
) -> None:
    wrong = RoleCredentials(env_credentials(cloud).access_key_id, "WrongSecret", env_credentials(cloud).security_token)
    refused = make_register(cloud, creds=lambda: wrong)
    cloud.calls.clear()
    with pytest.raises(RegisterConfigurationError) as error:
        refused.read(UID, soon())
    assert error.value.code == "OTSAuthFailed"
    assert wrong.access_key_id in str(error.value)
    assert "WrongSecret" not in str(error.value)
    assert len(actions(cloud)) == 2


def test_create_table_is_idempotent(cloud: LocalCloud) -> None:
    register = make_register(cloud)
    assert register.create_table(soon()) is True
    assert register.create_table(soon()) is False
    described = ots_client(cloud).describe_table(TABLE)
    assert described.table_meta.schema_of_primary_key == [("uid", "STRING")]
    assert (described.table_options.time_to_live, described.table_options.max_version) == (-1, 1)
    assert described.reserved_throughput_details.capacity_unit.read == 0
    assert described.reserved_throughput_details.capacity_unit.write == 0


def test_a_table_of_that_name_with_another_key_is_a_configuration_error(cloud: LocalCloud) -> None:
    cloud.apply_seed({"tablestore_tables": [{"name": TABLE, "primary_key": [{"name": "id", "type": "INTEGER"}]}]})
    with pytest.raises(RegisterConfigurationError, match="REGISTER_TABLE"):
        make_register(cloud).create_table(soon())


def test_the_local_seed_creates_the_table_the_register_uses(cloud: LocalCloud) -> None:
    seed = json.loads((ROOT / "deploy" / "local-seed.json").read_text(encoding="utf-8"))
    cloud.apply_seed({"tablestore_tables": seed["tablestore_tables"]})
    register = make_register(cloud)
    assert register.create_table(soon()) is False
    assert register.save(hired(), soon()).revision == 1


def test_threads_hammering_one_row_lose_no_save(cloud: LocalCloud, register: PersonRegister) -> None:
    register.save(PersonRecord(UID, desired={"count": 0}), soon())
    threads, saves_each = 8, 12
    revisions: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(threads)
    failures: list[BaseException] = []

    def hammer(index: int) -> None:
        mine = register if index % 2 else make_register(cloud)  # threads of one instance, and other instances
        start.wait()
        done = 0
        try:
            while done < saves_each:
                current = mine.read(UID, soon())
                assert current is not None
                try:
                    stored = mine.save(replace(current, desired={"count": current.desired["count"] + 1}), soon())
                except RevisionConflict:
                    continue
                done += 1
                with lock:
                    revisions.append(stored.revision)
        except BaseException as failure:
            failures.append(failure)

    workers = [threading.Thread(target=hammer, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert failures == []
    assert len(revisions) == len(set(revisions)) == threads * saves_each
    final = register.read(UID, soon())
    assert final is not None
    assert (final.revision, final.desired["count"]) == (1 + threads * saves_each, threads * saves_each)
    assert sorted(revisions) == list(range(2, 2 + threads * saves_each))


def test_an_expected_conflict_leaves_nothing_in_the_logs(
    register: PersonRegister, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    register.save(hired(), soon())
    with caplog.at_level(logging.DEBUG), pytest.raises(RevisionConflict):
        register.save(hired(), soon())
    assert [r for r in caplog.records if r.name == SDK_LOGGER or r.levelno >= logging.WARNING] == []
    assert capfd.readouterr().err == ""
    assert logging.getLogger(SDK_LOGGER).propagate is False


def run_cli(cloud: LocalCloud, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), **cloud.client_env(), **env}
    return subprocess.run(
        [sys.executable, "-m", "shared.state", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_command_line_creates_the_table_and_shows_a_person_masked(cloud: LocalCloud) -> None:
    created = run_cli(cloud, "create-table")
    assert (created.returncode, created.stdout.strip()) == (
        0,
        f"created table {TABLE} in Tablestore instance {cloud.config.tablestore_instance}",
    )
    again = run_cli(cloud, "create-table")
    assert (again.returncode, again.stdout.strip().endswith("already exists")) == (0, True)
    make_register(cloud).save(hired(), soon())
    shown = run_cli(cloud, "show", UID)
    assert shown.returncode == 0, shown.stderr
    document = json.loads(shown.stdout)
    assert document["desired"]["mobile"] == "+86 139******34"
    assert "13900001234" not in shown.stdout
    assert document["granted"] == [
        {"workspace_id": "209230000007291", "dms_unit": "cn-hangzhou"},
        {"workspace_id": "209230000007305", "dms_unit": None},
    ]
    assert (document["uid"], document["revision"], document["status"]) == (UID, 1, "active")
    missing = run_cli(cloud, "show", "404")
    assert (missing.returncode, missing.stdout) == (1, "")
    unset = run_cli(cloud, "show", UID, TABLESTORE_INSTANCE="")
    assert unset.returncode == 2
    assert "TABLESTORE_INSTANCE" in unset.stderr


def test_the_deployment_carries_the_register_table_and_its_variables(deployment: Deployment) -> None:
    env = deployment.env()
    config = RegisterConfig.from_env(env)
    assert (config.endpoint, config.instance, config.table) == (
        env["TABLESTORE_ENDPOINT"],
        deployment.cloud.config.tablestore_instance,
        TABLE,
    )
    role = credentials.resolve(None, env)
    register = PersonRegister(config, lambda: role)
    assert register.read(UID, soon()) is None
    assert register.create_table(soon()) is False


def test_a_row_damaged_by_hand_is_a_permanent_error_naming_it_not_a_guess(
    cloud: LocalCloud, register: PersonRegister
) -> None:
    ots_client(cloud).put_row(TABLE, Row([("uid", UID)], [("desired", "{not json"), ("revision", 3)]))
    with pytest.raises(RegisterConfigurationError, match=f"OTSCorruptRow: row '{UID}' cannot be read"):
        register.read(UID, soon())

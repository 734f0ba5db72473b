"""The register's records without a server: leases, the row layout both ways, error sorting, masking, and that
importing the register costs the SDK's import nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import urllib3.exceptions
from tablestore import OTSClientError, OTSServiceError

from shared.state.__main__ import mask_mobile, masked
from shared.state.records import (
    Grant,
    PersonRecord,
    control_uid,
    person_columns,
    person_from_row,
    person_uid,
)
from shared.state.sdk import classify

ROOT = Path(__file__).resolve().parents[3]
POOL = urllib3.HTTPConnectionPool("127.0.0.1")


def test_a_lease_holds_against_others_until_it_expires() -> None:
    record = PersonRecord("1", lease_token="mine", lease_until_ms=1_000)
    assert record.lease_held("theirs", 999)
    assert not record.lease_held("mine", 999)
    assert not record.lease_held("theirs", 1_000)
    assert not PersonRecord("1", lease_until_ms=5_000).lease_held("theirs", 0)


def test_a_record_survives_its_row_layout() -> None:
    record = PersonRecord(
        uid="7",
        version="00000638764230000000000|e",
        status="left",
        desired={"roles": ["USER"], "name": "王芳"},
        granted=(Grant("w1", "cn-hangzhou"), Grant("w2")),
        converged=True,
        lease_token="t",
        lease_until_ms=123,
    )
    row = dict(person_columns(record, 4, 99, "w"))
    assert row["granted"] == '[["w1","cn-hangzhou"],["w2",null]]'
    assert json.loads(row["desired"]) == {"roles": ["USER"], "name": "王芳"}
    assert person_from_row("7", row) == PersonRecord(**{**record.__dict__, "revision": 4, "updated_at_ms": 99})


def test_missing_or_mistyped_columns_read_as_defaults() -> None:
    assert person_from_row("7", {}) == PersonRecord("7")
    assert person_from_row("7", {"revision": True, "converged": 1, "status": 3}) == PersonRecord("7")


def test_uids_keep_out_of_the_control_rows() -> None:
    assert control_uid("breaker") == "~breaker"
    for wrong in ("", "~x"):
        with pytest.raises(ValueError, match="uid"):
            person_uid(wrong)


@pytest.mark.parametrize(
    ("error", "kind", "code", "maybe_applied"),
    [
        (OTSServiceError(403, "OTSConditionCheckFail", "Condition check failed."), "condition", "", False),
        (OTSServiceError(404, "OTSObjectNotExist", "Requested table does not exist."), "missing", "", False),
        (OTSServiceError(403, "OTSAuthFailed", "The security token you provided is invalid."), "auth", "", False),
        (OTSServiceError(503, "OTSServerBusy", "Server is busy."), "transient", "", False),
        (OTSServiceError(403, "OTSQuotaExhausted", "Too frequent table operations."), "transient", "", False),
        (OTSServiceError(503, "OTSTimeout", "Operation timeout."), "transient", "", True),
        (OTSServiceError(502, "", ""), "transient", "HTTP502", True),
        (OTSServiceError(400, "OTSParameterInvalid", "bad"), "permanent", "", False),
        (OTSClientError("HTTP status: 500, reason: x.", 500), "transient", "HTTP500", True),
        (OTSClientError("not found", 404), "permanent", "HTTP404", False),
        (OTSClientError("primary key is wrong"), "permanent", "OTSClientError", False),
        (urllib3.exceptions.ProtocolError("Connection aborted."), "transient", "NetworkError", True),
        (urllib3.exceptions.ReadTimeoutError(POOL, "/GetRow", "timed out"), "transient", "Timeout", True),
        (ConnectionResetError(), "transient", "NetworkError", True),
        (TimeoutError(), "transient", "Timeout", True),
    ],
)
def test_every_failure_is_sorted(error: BaseException, kind: str, code: str, maybe_applied: bool) -> None:
    failure = classify(error)
    assert failure is not None
    expected_code = code or getattr(error, "code", "")
    assert (failure.kind, failure.code, failure.maybe_applied) == (kind, expected_code, maybe_applied)


def test_a_bug_is_not_mistaken_for_a_failure_of_the_service() -> None:
    assert classify(KeyError("x")) is None


@pytest.mark.parametrize(
    ("mobile", "shown"),
    [
        ("+8613900001234", "+86 139******34"),
        ("+86 139 0000 1234", "+86 139******34"),
        ("+12125551234", "+1 2125****34"),
        ("+4915112345678", "+49 151******78"),
        ("+35312345678", "+353 12****78"),
        ("+861234", "*******"),
        ("13900001234", "***********"),
    ],
)
def test_a_mobile_keeps_six_characters_and_the_last_two(mobile: str, shown: str) -> None:
    assert mask_mobile(mobile) == shown


def test_every_mobile_key_is_masked_however_deep() -> None:
    desired = {"mobile": "+8613900001234", "contacts": [{"mobile": "+8613900005678"}], "other": {"mobile": 5}}
    assert masked(desired) == {
        "mobile": "+86 139******34",
        "contacts": [{"mobile": "+86 139******78"}],
        "other": {"mobile": "[masked]"},
    }


def test_importing_the_register_does_not_import_the_sdk() -> None:
    probe = "import sys, shared.state.register, shared.state.__main__; print('tablestore' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"

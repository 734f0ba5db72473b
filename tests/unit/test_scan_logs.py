"""The log scanner finds every kind of leak, and stays quiet on masked mobiles and on the ids logs are full of."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from scripts.scan_logs import MOBILE, SECRET, SECRET_FIELD, Finding, known_secrets, scan
from shared.masking import mask_mobile, normalize_mobile

ROOT = Path(__file__).resolve().parents[2]
SECRET_VALUE = "LocalCloudAccessKeySecret"


def kinds(*lines: str, secrets: tuple[str, ...] = ()) -> list[str]:
    return [f.kind for f in scan(lines, secrets)]


def log_line(**fields: object) -> str:
    return json.dumps({"time": "2025-03-03T10:02:17", "level": "INFO", "message": "outcome", **fields})


def test_known_secret_is_found_anywhere_and_never_printed() -> None:
    findings = scan(["ok", f"error: signature with {SECRET_VALUE} failed"], [SECRET_VALUE])
    assert [(f.line, f.kind) for f in findings] == [(2, SECRET)]
    assert SECRET_VALUE not in str(findings[0])
    assert str(findings[0]).startswith("-:2: secret: ")


def test_known_secret_is_found_json_escaped() -> None:
    secret = 'quo"te\\slash'
    assert kinds(json.dumps({"message": f"x {secret}"}), secrets=(secret,)) == [SECRET]


def test_empty_and_very_short_secrets_match_nothing() -> None:
    assert kinds("a b c", secrets=("", "  ", "a")) == []


@pytest.mark.parametrize(
    "key", ["AccessKeySecret", "access_key_secret", "SecurityToken", "X-Signature", "signature", "Authorization"]
)
def test_secret_named_json_field_with_a_value_is_found(key: str) -> None:
    findings = scan([log_line(request={"headers": {key: "sha256=0123456789abcdef"}})])
    assert [f.kind for f in findings] == [SECRET_FIELD]
    assert key in findings[0].hint
    assert "0123456789abcdef" not in str(findings[0])


@pytest.mark.parametrize("value", ["[redacted]", "", None, "******"])
def test_redacted_or_empty_secret_field_is_not_a_finding(value: object) -> None:
    assert kinds(log_line(AccessKeySecret=value, security_token=value)) == []


def test_secret_field_in_a_plain_line_is_found() -> None:
    assert kinds("config: security_token=abcdef123 region=cn-hangzhou") == [SECRET_FIELD]
    assert kinds("config: security_token= region=cn-hangzhou") == []


@pytest.mark.parametrize(
    "text",
    [
        "+8613912345678",
        "+86 139 0000 1234",
        "+86-139-0000-1234",
        "+44 20 7946 0958",
        "0086 137-0000-5678",
        "(0086) 138.1234.5678",
        "13812345678",
        "138 1234 5678",
        "138-1234-5678",
    ],
)
def test_unmasked_mobile_is_found_in_plain_and_json_lines(text: str) -> None:
    assert kinds(f"sending to {text} now") == [MOBILE]
    assert kinds(log_line(note=f"mobile {text}")) == [MOBILE]
    hint = scan([text])[0].hint
    assert hint.endswith(text[-2:])
    assert "*" in hint


def test_mobile_as_a_json_number_is_found() -> None:
    assert kinds(log_line(mobile=13812345678)) == [MOBILE]


def test_mainland_mobile_after_other_numbers_is_still_found() -> None:
    assert kinds("retry 12 13812345678") == [MOBILE]


def test_two_mobiles_on_one_line_are_two_findings() -> None:
    assert kinds("0086 137-0000-5678 and (0086) 138.1234.5678") == [MOBILE, MOBILE]


@pytest.mark.parametrize(
    "raw", ["+86 139 0000 1234", "13812345678", "0086 137-0000-5678", "+44 20 7946 0958", "+1 415 555 0100"]
)
def test_the_products_masked_mobile_is_not_a_finding(raw: str) -> None:
    masked = mask_mobile(normalize_mobile(raw))
    assert kinds(masked, log_line(mobile=masked), f"to {masked}.") == []


@pytest.mark.parametrize(
    "line",
    [
        log_line(uid="2000000000000004", workspace_id="209230000007291", account_id="1234567890123456"),
        log_line(uid="13812345678", member_id="13912345678", workspaceId="15912345678"),
        log_line(uid=2000000000000004, timeEpoch="1741000000123", time="2025-03-03T09:30:00+08:00"),
        log_line(request_id="1-67c8a2b0-13912345678abcdef0123456", event_id="dingtalk:8c1f4e0a-5d2b-4f7e-9a61"),
        log_line(correlation_id="onb-20250303-0001", message_id="8C1F4E0A13912345678A", duration=13812345678.5),
        "2025-03-03 13:00:00 uid 2000000000001 at 1741000000.123 took 0.13812345678 s, offset +08:00",
        "workspace 209230000007291, tenant 10001, user 13000000000001, trace 0x13812345678",
    ],
)
def test_ids_timestamps_and_long_digit_runs_are_not_mobiles(line: str) -> None:
    assert kinds(line) == []


def test_e164_mobile_under_an_id_key_is_still_found() -> None:
    assert kinds(log_line(member_id="+8613912345678")) == [MOBILE]


def test_findings_carry_line_numbers_across_kinds() -> None:
    findings = scan(["clean", log_line(token="abcdef"), f"x {SECRET_VALUE}", "call 13812345678"], [SECRET_VALUE])
    assert [(f.line, f.kind) for f in findings] == [(2, SECRET_FIELD), (3, SECRET), (4, MOBILE)]
    assert all(isinstance(f, Finding) for f in findings)


def test_known_secrets_come_from_the_deployments_variables() -> None:
    environ = {"ALIBABA_CLOUD_ACCESS_KEY_SECRET": "s1", "WEBHOOK_SECRET": "s2", "ALIBABA_CLOUD_ACCESS_KEY_ID": "id"}
    assert known_secrets(environ) == ["s1", "s2"]


def test_command_line_reports_each_finding_masked_and_exits_1(tmp_path: Path) -> None:
    log = tmp_path / "functions.log"
    log.write_text(f"{log_line(message='accepted')}\nleaked {SECRET_VALUE} and 13812345678\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("WEBHOOK_SECRET",)}
    env["ALIBABA_CLOUD_SECURITY_TOKEN"] = SECRET_VALUE
    run = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "scan_logs.py"), str(log)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert run.returncode == 1
    assert SECRET_VALUE not in run.stdout
    assert "13812345678" not in run.stdout
    assert f"{log}:2: secret:" in run.stdout
    assert f"{log}:2: mobile: 138******78" in run.stdout
    assert run.stdout.splitlines()[-1] == "findings: 2"


def test_command_line_on_a_clean_log_exits_0(tmp_path: Path) -> None:
    log = tmp_path / "functions.log"
    log.write_text(log_line(message="accepted", mobile="+86 139******34") + "\n", encoding="utf-8")
    run = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "scan_logs.py"), str(log), "--secret", SECRET_VALUE],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (run.returncode, run.stdout) == (0, "findings: 0\n")

"""The log scanner finds every kind of leak, and stays quiet on masked mobiles and on the ids logs are full of."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from scripts.scan_logs import MOBILE, SECRET, SECRET_FIELD, Finding, known_secrets, scan
from shared.contract.mobile import mask_mobile, normalize_mobile

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


# Ids that the scanner once reported as mobiles: all-digit hex segments joined by dashes took the shape of an
# `00` number or of a mainland one.
HEX_IDS_THAT_LOOKED_LIKE_MOBILES = [
    "65e0abfd-0068-5657-8096-bfbab7726a62",  # uuid5: "0068-5657-8096", 00 + 9 digits across three segments
    "EE3335B4-0057-4152-9466-C1A479D3773F",  # the same in upper case
    "00111758-7799-4029-ba4d-b411a2c7f60b",  # uuid4 opening "00111758-7799-4029", 00 + 13 digits
    "9302386f-0e9b-4a10-932c-002019306204",  # uuid4 ending in a 12-digit segment, 00 + 10 digits
    "aa0ff8b2-0145-4551-8099-002618852920",  # likewise
    "EE9601DCA7BE7500-1-19355292754-200484734",  # an MNS message id whose hex milliseconds are all digits
]


@pytest.mark.parametrize("hex_id", HEX_IDS_THAT_LOOKED_LIKE_MOBILES)
def test_digits_in_a_hex_id_are_not_a_mobile(hex_id: str) -> None:
    assert (
        kinds(
            log_line(outcome_id=hex_id, note=hex_id, unsaved=[hex_id], detail=f"for {hex_id}: retry"),
            f"[worker] outcome {hex_id} sent",
            f"request req-{hex_id}.",
        )
        == []
    )


@pytest.mark.parametrize("hex_id", HEX_IDS_THAT_LOOKED_LIKE_MOBILES)
@pytest.mark.parametrize(
    ("mobile", "hint"),
    [
        ("+8613912345678", "+861********78"),
        ("0086 137-0000-5678", "+861********78"),
        ("13812345678", "138******78"),
        ("138-1234-5678", "138******78"),
        ("138 1234 5678", "138******78"),
    ],
)
def test_a_mobile_beside_a_hex_id_is_still_found(hex_id: str, mobile: str, hint: str) -> None:
    lines = [
        log_line(outcome_id=hex_id, note=f"sms to {mobile}"),
        log_line(note=f"{hex_id} {mobile}"),
        log_line(note=f"{mobile},{hex_id}"),
        f"outcome {hex_id} to {mobile}: sent",
        f"{mobile} {hex_id}",
    ]
    assert [(f.line, f.kind, f.hint) for f in scan(lines)] == [(n, MOBILE, hint) for n in range(1, len(lines) + 1)]


@pytest.mark.parametrize(
    ("line", "hint"),
    [
        ("+8613912345678 24C4895304DCDBFF0CE8E860", "+861********78"),
        ("+1 415 555 0100 2nd try", "+141******00"),
        ("(0086) 138.1234.5678 0453B00754E92060FE63FD39", "+861********78"),
    ],
)
def test_a_prefixed_mobile_before_a_token_starting_with_digits_is_found(line: str, hint: str) -> None:
    """Once missed: the digits opening the next token were taken for one more group of the number."""
    assert [(f.kind, f.hint) for f in scan([line, log_line(note=line)])] == [(MOBILE, hint), (MOBILE, hint)]


def test_a_prefixed_number_with_a_group_too_many_is_not_cut_to_size() -> None:
    assert kinds("+44 20 7946 0958 1234 5678", "0044 20 7946 0958 1234 5678") == []


@pytest.mark.parametrize("text", ["dead-138-1234-5678", "call-13812345678", "+86-139-0000-1234", "cafe 138-1234-5678"])
def test_a_dash_joined_mobile_is_no_hex_id(text: str) -> None:
    assert kinds(text, log_line(note=text)) == [MOBILE, MOBILE]


def _random_ids(seed: int) -> dict[str, Callable[[], str]]:
    """The ids the product and the local cloud write, drawn from a seeded generator."""
    rng = random.Random(seed)

    def hex_digits(count: int) -> str:
        return f"{rng.getrandbits(4 * count):0{count}x}"

    instance = hex_digits(16).upper()
    return {
        "uuid4": lambda: str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "uuid4 upper": lambda: str(uuid.UUID(int=rng.getrandbits(128), version=4)).upper(),
        # Outcome ids are uuid5 of "<source>\n<event_id>" (shared outcome_id); the namespace changes no shape.
        "uuid5": lambda: str(uuid.uuid5(uuid.NAMESPACE_URL, f"dingtalk\ndingtalk:user_add_org:{rng.getrandbits(64)}")),
        "fc request id": lambda: f"1-{hex_digits(8)}-{hex_digits(24)}",
        "fc requestId": lambda: hex_digits(24).upper(),
        # The years when epoch milliseconds in hex are all digits (2024-2026), so the hard case is common.
        "mns message id": lambda: (
            f"{instance}-1-{rng.randrange(0x19000000000, 0x1A000000000):X}-{200000000 + rng.randrange(10**6)}"
        ),
        "mns receipt handle": lambda: f"1-{rng.randrange(1, 10**6):x}-{rng.randrange(1, 4):x}-{hex_digits(24).upper()}",
    }


def product_line(message: str, **fields: object) -> str:
    """A log line as shared's JsonLogger writes it: compact JSON, the function's static fields first."""
    record = {"time": "2025-03-03T10:02:17", "level": "INFO", "logger": "worker", "message": message}
    return json.dumps(
        {**record, "function": "dms-onboarding-worker", **fields}, ensure_ascii=False, separators=(",", ":")
    )


def test_random_ids_in_log_lines_are_never_mobiles() -> None:
    ids = _random_ids(20250303)
    uuid4, uuid4_upper, uuid5 = ids["uuid4"], ids["uuid4 upper"], ids["uuid5"]
    request_id, message_id, handle = ids["fc request id"], ids["mns message id"], ids["mns receipt handle"]
    lines = []
    for _ in range(7_000):
        event_id = f"dingtalk:user_add_org:{uuid4()}"
        request = request_id()
        lines += [
            product_line(
                "outcome",
                request_id=request,
                correlation_id=uuid4(),
                outcome_id=uuid5(),
                event_id=event_id,
                status="provisioned",
                uid="2000000000001",
                steps="register:ok,add:ok",
            ),
            product_line("accepted", correlation_id=uuid4_upper(), event_id=event_id, message_id=message_id()),
            product_line(
                "batch incomplete", unsaved=[message_id(), message_id()], errors=[f"receipt {handle()} of {uuid5()}"]
            ),
            f"[worker] {ids['fc requestId']()} outcome {uuid5()} for {uuid4()} via {message_id()} in {request}",
        ]
    assert len(lines) == 28_000  # with 98,000 ids: 14 new ones a round
    assert [str(f) for f in scan(lines)] == []


def test_random_ids_beside_real_mobiles_leave_just_the_mobiles() -> None:
    ids = _random_ids(86)
    mobiles = [
        "+8613912345678",
        "+86 139 0000 1234",
        "+44 20 7946 0958",
        "0086 137-0000-5678",
        "(0086) 138.1234.5678",
        "13812345678",
        "138 1234 5678",
        "138-1234-5678",
    ]
    rng = random.Random(1381234)
    lines = []
    for n in range(2_000):
        generators = list(ids.values())
        first, second = rng.choice(generators)(), rng.choice(generators)()
        mobile = mobiles[n % len(mobiles)]
        lines.append(
            rng.choice(
                [
                    log_line(outcome_id=first, note=f"to {mobile}", message_id=second),
                    log_line(note=f"{first} {mobile} {second}"),
                    f"outcome {first}, mobile {mobile}, message {second}",
                ]
            )
        )
    findings = scan(lines)
    assert [(f.line, f.kind) for f in findings] == [(n, MOBILE) for n in range(1, len(lines) + 1)]
    assert [f.hint[-2:] for f in findings] == [mobiles[n % len(mobiles)][-2:] for n in range(len(lines))]


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

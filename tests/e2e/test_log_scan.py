"""The functions' real logs, after real traffic with mobiles and secrets in play, hold no leak the scanner knows."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from mns.account import Account
from mns.queue import Message

from localcloud.control.client import ControlClient
from localcloud.process import LocalCloudProcess
from scripts.scan_logs import MOBILE, known_secrets, scan, scan_file
from shared.webhook.auth import sign
from tests.support.mns_clients import drain

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "events" / "hr"
VALID = ("hired-explicit-roles.json", "hired-mapping-only.json", "updated.json")
INVALID = ("invalid-many-problems.json", "invalid-missing-fields.json", "invalid-role.json")


def post(env: dict[str, str], path: str, body: bytes, secret: str | None = None) -> int:
    stamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "X-Timestamp": stamp,
        "X-Signature": sign(secret or env["WEBHOOK_SECRET"], stamp, body),
    }
    request = urllib.request.Request(env["WEBHOOK_URL"] + path, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return error.code


def traffic(env: dict[str, str]) -> list[dict[str, Any]]:
    """Every path that logs: webhook accept, refuse and provision, the worker's provisioned and rejected."""
    statuses = [post(env, "/events", (EVENTS / name).read_bytes()) for name in VALID]
    statuses += [post(env, "/events", (EVENTS / name).read_bytes()) for name in INVALID]
    statuses.append(post(env, "/events", (EVENTS / VALID[0]).read_bytes(), secret="not-the-secret"))
    provision = (
        (EVENTS / "hired-mapping-only.json")
        .read_text()
        .replace("2000000000002", "2000000000042")
        .replace("84f60", "84f42")
    )
    statuses.append(post(env, "/provision", provision.encode()))
    statuses.append(post(env, "/provision?dry_run=true", (EVENTS / "updated.json").read_bytes()))
    assert statuses == [202] * 3 + [400] * 3 + [401, 200, 200]

    account = Account(
        env["MNS_ENDPOINT"],
        env["ALIBABA_CLOUD_ACCESS_KEY_ID"],
        env["ALIBABA_CLOUD_ACCESS_KEY_SECRET"],
        env["ALIBABA_CLOUD_SECURITY_TOKEN"],
    )
    queue = account.get_queue(env["INPUT_QUEUE"])
    queue.set_encoding(False)
    for name in INVALID[:2]:  # straight onto the queue, so the worker rejects (and logs) events with mobiles
        queue.send_message(Message((EVENTS / name).read_text()))

    platforms(env)
    outcomes: list[dict[str, Any]] = []
    deadline = time.monotonic() + 60
    while len(outcomes) < 9 and time.monotonic() < deadline:  # 2 /provision, 3 accepted, 2 queue, 2 platforms
        outcomes += [json.loads(body) for body in drain(account, "hr-outcomes")]
        time.sleep(0.2)
    return outcomes


def platforms(env: dict[str, str]) -> None:
    """DingTalk and Feishu pushes carrying mobiles (the seeded 张伟, and a Feishu hire), and forged ones refused."""
    control = ControlClient(env["LOCALCLOUD_CONTROL_URL"])
    assert control.dingtalk_push("user_add_org", ["dt-zhangwei"], event_id="scan-dt")["delivered"]
    user = {
        "open_id": "ou_scan",
        "name": "Scan Feishu",
        "mobile": "+6591234567",
        "custom_attrs": [{"type": "TEXT", "id": "C-7000000000000000001", "value": {"text": "2000000000000943"}}],
    }
    assert control.feishu_push("contact.user.created_v3", user, event_id="scan-fs")["delivered"]
    for tamper in ("signature", "owner_key"):
        assert not control.dingtalk_push("user_add_org", ["dt-zhangwei"], tamper=tamper, retry_delays=[])["delivered"]
    assert not control.feishu_push("contact.user.created_v3", user, tamper="token", retry_delays=[])["delivered"]


def test_function_logs_after_real_traffic_show_no_secret_no_token_and_no_mobile(tmp_path: Path) -> None:
    log = tmp_path / "functions.log"
    with LocalCloudProcess(command="dev", extra_args=["--no-timers"], stderr=log) as cloud:
        env = cloud.env
        outcomes = traffic(env)
    assert sorted(o["data"]["status"] for o in outcomes) == ["dry_run"] + ["provisioned"] * 6 + ["rejected"] * 2

    secrets = known_secrets(env)
    assert len(secrets) == 8  # the AccessKey secret, the STS token, the webhook secret, five of the HR platforms
    lines = log.read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines if line.startswith("{")]
    assert len(records) >= 8, "the scan would be vacuous: the functions logged almost nothing"
    messages = {r.get("message") for r in records}
    assert {"accepted", "outcome", "batch done", "hr push queued", "hr push refused"} <= messages
    assert {"onb-20250303-0001", "onb-20250303-0002", "onb-20250414-0107"} <= {r.get("correlation_id") for r in records}

    assert scan_file(log, secrets) == []

    sent = [(EVENTS / name).read_text() for name in (*VALID, *INVALID)]
    assert sum(f.kind == MOBILE for f in scan(sent)) >= 4, "the scanner must catch the mobiles this traffic carried"

    run = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "scan_logs.py"), str(log)],
        capture_output=True,
        text=True,
        env={
            **os.environ,
            **{k: env[k] for k in ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "WEBHOOK_SECRET", "DINGTALK_TOKEN")},
        },
        check=False,
    )
    assert (run.returncode, run.stdout.splitlines()[-1]) == (0, "findings: 0")

"""DingTalk and Feishu pushing to the webhook on the local FC runtime, exactly as the platforms would (the local
cloud signs and encrypts them, and retries as they do), through to DMS: handshakes, every event type of both
platforms, duplicates, a leaver resolved by the register, an unresolvable UID, and pushes that must be refused."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mns.account import Account
from mns.queue import Message

from localcloud.control.client import ControlClient
from localcloud.fc.dev import DevEnvironment
from shared.hr.notice import Notice
from shared.messaging.formats import wrap_notice
from tests.support.mns_clients import drain
from tests.support.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]
FEISHU_UID_ATTRIBUTE = "C-7000000000000000001"
"""The Feishu custom attribute the local environment's UID_FIELD names (localcloud/fc/dev.py LOCAL_DEFAULTS)."""


class Platforms:
    def __init__(self, dev: DevEnvironment) -> None:
        env = dev.env()
        cfg = dev.cloud.config
        self.dev = dev
        self.control = ControlClient(env["LOCALCLOUD_CONTROL_URL"])
        self.account = Account(env["MNS_ENDPOINT"], cfg.access_key_id, cfg.access_key_secret, cfg.security_token)
        self.seen: dict[str, dict[str, Any]] = {}

    def outcomes(self) -> list[dict[str, Any]]:
        return [json.loads(body)["data"] for body in drain(self.account, "hr-outcomes")]

    def outcome_of(self, event_id: str, count: int = 1, uid: str = "") -> list[dict[str, Any]]:
        """The outcomes for one canonical event id (or, given `uid`, for that person), once `count` have arrived."""
        found: list[dict[str, Any]] = []

        def arrived() -> bool:
            found.extend(o for o in self.outcomes() if o["event_id"] == event_id or (uid and o["uid"] == uid))
            return len(found) >= count

        wait_for(arrived, 45)
        return found

    def dms_user(self, uid: str) -> dict[str, Any] | None:
        return next((u for u in self.control.state("dms")["users"] if u["uid"] == uid), None)

    def dms_writes(self, uid: str, since: int) -> list[str]:
        calls = self.control.calls(service="dms-enterprise", since=since)
        writes = ("RegisterUser", "UpdateUser", "DisableUser", "EnableUser", "DeleteUser")
        return [c["action"] for c in calls if c["action"] in writes and c["params"].get("Uid") == uid]

    def last_seq(self) -> int:
        calls = self.control.calls()
        return max((int(c["seq"]) for c in calls), default=0)


@pytest.fixture(scope="module")
def dev() -> Iterator[DevEnvironment]:
    with DevEnvironment(ROOT, timers=False, log=lambda line: None, extra_env={"DMS_QPS": "1000"}) as environment:
        yield environment


@pytest.fixture
def hr(dev: DevEnvironment) -> Platforms:
    platforms = Platforms(dev)
    platforms.outcomes()
    return platforms


def test_dingtalk_check_url_is_answered_with_encrypted_success(hr: Platforms) -> None:
    delivery = hr.control.dingtalk_check_url()
    assert delivery["delivered"] is True
    assert delivery["attempts"][0]["elapsed_ms"] < 1500


def test_feishu_encrypted_challenge_is_answered_within_a_second(hr: Platforms) -> None:
    delivery = hr.control.feishu_url_verification(encrypt=True)
    assert delivery["delivered"] is True
    assert delivery["attempts"][0]["elapsed_ms"] < 1000


def test_dingtalk_hire_move_and_leave_end_in_dms_as_the_organisation_says(hr: Platforms) -> None:
    uid = "2000000000000101"
    hr.control.add_dingtalk_user(
        "dt-0101",
        "韩梅梅",
        mobile="13800000101",
        title="Data Engineer",
        dept_id_list=[42],
        extension={"aliyun_uid": uid},
    )
    hired = hr.control.dingtalk_push("user_add_org", ["dt-0101"], event_id="evt-dt-hire-0101")
    assert hired["delivered"] is True
    [outcome] = hr.outcome_of("dingtalk:evt-dt-hire-0101:dt-0101")
    assert (outcome["status"], outcome["uid"], outcome["event_type"]) == ("provisioned", uid, "employee.hired")
    user = hr.dms_user(uid)
    assert user is not None
    assert (user["nick"], user["role_names"], user["state"]) == ("韩梅梅", ["USER"], "NORMAL")

    hr.control.add_dingtalk_user(
        "dt-0101", "韩梅梅", mobile="13800000101", title="Senior DBA", dept_id_list=[42], extension={"aliyun_uid": uid}
    )
    hr.control.dingtalk_push("user_modify_org", ["dt-0101"], event_id="evt-dt-move-0101")
    [moved] = hr.outcome_of("dingtalk:evt-dt-move-0101:dt-0101")
    assert moved["status"] == "updated"
    assert sorted(hr.dms_user(uid)["role_names"]) == ["DBA", "USER"]  # type: ignore[index]

    hr.control.remove_dingtalk_user("dt-0101")
    hr.control.dingtalk_push("user_leave_org", ["dt-0101"], event_id="evt-dt-leave-0101")
    [left] = hr.outcome_of("dingtalk:evt-dt-leave-0101:dt-0101")
    assert (left["status"], left["uid"]) == ("deprovisioned", uid)
    assert hr.dms_user(uid)["state"] == "DISABLE"  # type: ignore[index]


def test_dingtalk_hire_of_the_older_shape_without_the_field_is_resolved_through_ram(hr: Platforms) -> None:
    ram_uid = hr.control.add_ram_user("lilei", user_id="2000000000000102")["user_id"]
    hr.control.add_dingtalk_user("dt-0102", "Li Lei", email="lilei@example.com", title="Analyst", dept_id_list=[7])
    delivery = hr.control.dingtalk_push("user_add_org", ["dt-0102"], casing="pascal", query_names="msg_signature")
    assert delivery["delivered"] is True
    [outcome] = hr.outcome_of("", uid=ram_uid)
    assert (outcome["status"], outcome["event_type"]) == ("provisioned", "employee.hired")
    assert outcome["event_id"].startswith("dingtalk:sha256-")


def test_a_duplicate_dingtalk_push_has_one_effect(hr: Platforms) -> None:
    uid = "2000000000000103"
    hr.control.add_dingtalk_user("dt-0103", "Twice", title="Engineer", extension={"aliyun_uid": uid})
    since = hr.last_seq()
    pushed = hr.control.dingtalk_push("user_add_org", ["dt-0103"], event_id="evt-dt-dup-0103", show_plaintext=True)
    [first] = hr.outcome_of("dingtalk:evt-dt-dup-0103:dt-0103")
    repeated = hr.control.dingtalk_push("user_add_org", ["dt-0103"], event_id="evt-dt-dup-0103")
    assert repeated["delivered"] is True
    sends = hr.control.calls(service="mns", action="SendMessage", since=since)
    assert len([c for c in sends if c["params"].get("queue") == "hr-input"]) == 1  # this instance knew it
    # Another webhook instance would queue the repeat: the same notice again, as it would queue it.
    plaintext = json.loads(pushed["plaintext"])
    notice = Notice(
        "dingtalk", "evt-dt-dup-0103", "employee.hired", "user_add_org", plaintext["EventTime"], ("dt-0103",)
    )
    queue = hr.account.get_queue("hr-input")
    queue.set_encoding(False)
    queue.send_message(Message(wrap_notice(notice.to_json_data(), "duplicate")))
    [again] = hr.outcome_of("dingtalk:evt-dt-dup-0103:dt-0103")
    assert (first["status"], again["status"]) == ("provisioned", "unchanged")
    assert hr.dms_writes(uid, since) == ["RegisterUser"]


def test_an_unresolvable_person_is_rejected_naming_every_strategy_and_kept(hr: Platforms) -> None:
    hr.control.add_dingtalk_user("dt-0104", "Nobody Known", email="nobody@example.com", title="Engineer")
    hr.control.dingtalk_push("user_add_org", ["dt-0104"], event_id="evt-dt-nouid-0104")
    [outcome] = hr.outcome_of("dingtalk:evt-dt-nouid-0104:dt-0104")
    assert outcome["status"] == "rejected"
    [problem] = outcome["problems"]
    assert problem["field"] == "employee.uid"
    assert "field aliyun_uid: absent" in problem["reason"]
    assert "ram: user 'nobody' does not exist" in problem["reason"]
    assert "register: no record of dingtalk user dt-0104" in problem["reason"]
    records = [json.loads(body) for body in drain(hr.account, "hr-dead-letter")]
    kept = [r for r in records if "dt-0104" in r["message"]]
    assert kept
    assert kept[0]["reason"]["field"] == "employee.uid"


def test_a_person_dingtalk_no_longer_knows_is_rejected_not_guessed(hr: Platforms) -> None:
    hr.control.dingtalk_push("user_add_org", ["dt-never"], event_id="evt-dt-never")
    [outcome] = hr.outcome_of("dingtalk:evt-dt-never:dt-never")
    assert outcome["status"] == "rejected"
    assert "no user dt-never in the organisation" in outcome["problems"][0]["reason"]
    drain(hr.account, "hr-dead-letter")


def feishu_user(open_id: str, uid: str, department: str, title: str) -> dict[str, Any]:
    return {
        "open_id": open_id,
        "union_id": "on_" + open_id,
        "name": "Priya Raman",
        "mobile": "+6591234567",
        "job_title": title,
        "department_ids": [department],
        "status": {"is_resigned": False, "is_activated": True},
        "custom_attrs": [{"type": "TEXT", "id": FEISHU_UID_ATTRIBUTE, "value": {"text": uid}}],
    }


def test_feishu_hire_move_and_leave(hr: Platforms) -> None:
    uid = "2000000000000201"
    user = feishu_user("ou_0201", uid, "od-data", "Engineer")
    delivery = hr.control.feishu_push("contact.user.created_v3", user, event_id="fs-hire-0201")
    assert delivery["delivered"] is True
    [hired] = hr.outcome_of("feishu:fs-hire-0201:ou_0201")
    assert (hired["status"], hired["uid"]) == ("provisioned", uid)

    moved_user = feishu_user("ou_0201", uid, "od-analytics", "Database Administrator")
    hr.control.feishu_push("contact.user.updated_v3", moved_user, old_user=user, event_id="fs-move-0201")
    [moved] = hr.outcome_of("feishu:fs-move-0201:ou_0201")
    assert moved["status"] == "updated"
    assert sorted(hr.dms_user(uid)["role_names"]) == ["DBA", "USER"]  # type: ignore[index]

    gone = {"open_id": "ou_0201", "name": "Priya Raman", "department_ids": []}
    hr.control.feishu_push("contact.user.deleted_v3", gone, event_id="fs-leave-0201")
    [left] = hr.outcome_of("feishu:fs-leave-0201:ou_0201")
    assert (left["status"], left["uid"]) == ("deprovisioned", uid)


def test_a_replayed_feishu_hire_after_the_leave_grants_nothing(hr: Platforms) -> None:
    uid = "2000000000000203"
    user = feishu_user("ou_0203", uid, "od-data", "Engineer")
    hired = hr.control.feishu_push("contact.user.created_v3", user, event_id="fs-hire-0203", show_plaintext=True)
    hr.outcome_of("feishu:fs-hire-0203:ou_0203")
    hr.control.feishu_push("contact.user.deleted_v3", {"open_id": "ou_0203"}, event_id="fs-leave-0203")
    hr.outcome_of("feishu:fs-leave-0203:ou_0203")
    since = hr.last_seq()
    # The hire again, late, as a webhook instance that had not seen it would queue it.
    header = json.loads(hired["plaintext"])["header"]
    notice = Notice(
        "feishu",
        "fs-hire-0203",
        "employee.hired",
        "contact.user.created_v3",
        int(header["create_time"]),
        ("ou_0203",),
        (user,),
    )
    queue = hr.account.get_queue("hr-input")
    queue.set_encoding(False)
    queue.send_message(Message(wrap_notice(notice.to_json_data(), "late-replay")))
    [late] = hr.outcome_of("feishu:fs-hire-0203:ou_0203")
    assert (late["status"], late["superseded_by"]) == ("superseded", "feishu:fs-leave-0203:ou_0203")
    assert hr.dms_user(uid)["state"] == "DISABLE"  # type: ignore[index]
    assert hr.dms_writes(uid, since) == []


def test_feishu_resignation_in_an_update_is_a_leave(hr: Platforms) -> None:
    uid = "2000000000000202"
    user = feishu_user("ou_0202", uid, "od-data", "Engineer")
    hr.control.feishu_push("contact.user.created_v3", user, event_id="fs-hire-0202")
    hr.outcome_of("feishu:fs-hire-0202:ou_0202")
    resigned = {**user, "status": {"is_resigned": True}}
    hr.control.feishu_push("contact.user.updated_v3", resigned, event_id="fs-resign-0202")
    [left] = hr.outcome_of("feishu:fs-resign-0202:ou_0202")
    assert (left["status"], left["event_type"]) == ("deprovisioned", "employee.left")


@pytest.mark.parametrize(
    ("platform", "tamper"),
    [
        ("dingtalk", "signature"),
        ("dingtalk", "owner_key"),
        ("dingtalk", "stale_timestamp"),
        ("dingtalk", "aes_key"),
        ("feishu", "signature"),
        ("feishu", "token"),
        ("feishu", "encrypt_key"),
    ],
)
def test_a_tampered_push_is_refused_and_nothing_is_queued(hr: Platforms, platform: str, tamper: str) -> None:
    since = hr.last_seq()
    if platform == "dingtalk":
        delivery = hr.control.dingtalk_push("user_add_org", ["dt-0101"], tamper=tamper, retry_delays=[])
    else:
        user = feishu_user("ou_0299", "2000000000000299", "od-data", "Engineer")
        delivery = hr.control.feishu_push("contact.user.created_v3", user, tamper=tamper, retry_delays=[])
    assert delivery["delivered"] is False
    assert delivery["attempts"][0]["status"] in (400, 401)
    sends = hr.control.calls(service="mns", action="SendMessage", since=since)
    assert [c for c in sends if c["params"].get("queue") == "hr-input"] == []

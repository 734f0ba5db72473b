"""A platform's notice becomes one canonical event per person the contract accepts, or a refusal with its reason."""

from __future__ import annotations

from typing import Any, cast

from shared.config import UidConfig
from shared.contract.event import parse_event
from shared.hr.dingtalk_api import DingTalkApi
from shared.hr.notice import Notice
from shared.identity.aliases import HrAliases
from shared.identity.expansion import NoticeExpander
from shared.identity.uid import UidResolver
from shared.infra.retry import Deadline
from tests.unit.identity.fakes import Controls, DingTalk

ORG: dict[str, dict[str, Any]] = {
    "u1": {
        "userid": "u1",
        "name": "韩梅梅",
        "mobile": "13800001111",
        "state_code": "86",
        "title": "Data Engineer",
        "dept_id_list": [42],
        "extension": '{"aliyun_uid": "2000000000000001"}',
    },
    "u2": {"userid": "u2", "name": "No Uid", "extension": "{}"},
}


def expander(controls: Controls, dingtalk: DingTalk) -> NoticeExpander:
    aliases = HrAliases(controls)
    api = cast(Any, dingtalk)
    return NoticeExpander(
        UidResolver(UidConfig(("aliyun_uid",)), None, aliases), aliases, lambda: cast(DingTalkApi, api), "CN"
    )


def notice(kind: str, *ids: str) -> Notice:
    return Notice("dingtalk", "evt-1", kind, "user_add_org", 1700000000000, ids)  # type: ignore[arg-type]


def test_dingtalk_hire_fetches_details_and_gives_a_valid_canonical_event() -> None:
    controls, dingtalk = Controls(), DingTalk(ORG)
    [done] = expander(controls, dingtalk).expand(notice("employee.hired", "u1"), Deadline.after(5))
    assert done.event is not None
    event = parse_event(done.event)
    assert (event.event_id, event.source, event.type) == ("dingtalk:evt-1:u1", "dingtalk", "employee.hired")
    assert event.employee.uid == "2000000000000001"
    assert (event.employee.nickname, event.employee.title, event.employee.department) == (
        "韩梅梅",
        "Data Engineer",
        "42",
    )
    assert event.employee.mobile is not None
    assert event.employee.mobile.reveal() == "+8613800001111"
    assert controls.docs["hr/dingtalk/u1"].document["uid"] == "2000000000000001"


def test_each_user_of_a_notice_is_answered_on_its_own() -> None:
    controls, dingtalk = Controls(), DingTalk(ORG)
    done = expander(controls, dingtalk).expand(notice("employee.hired", "u1", "u2", "u3"), Deadline.after(5))
    assert [d.event is not None for d in done] == [True, False, False]
    assert done[1].refusal is not None
    assert done[1].refusal.status == "rejected"
    assert done[1].refusal.field == "employee.uid"
    assert "field aliyun_uid: absent" in done[1].refusal.reason
    assert done[2].refusal is not None
    assert "no user u3 in the organisation" in done[2].refusal.reason


def test_leaver_is_resolved_through_the_register_after_the_platform_forgot_them() -> None:
    controls, dingtalk = Controls(), DingTalk(ORG)
    expander(controls, dingtalk).expand(notice("employee.hired", "u1"), Deadline.after(5))
    del dingtalk.users["u1"]
    dingtalk.asked.clear()
    [done] = expander(controls, dingtalk).expand(notice("employee.left", "u1"), Deadline.after(5))
    assert done.event is not None
    assert done.event["employee"] == {"uid": "2000000000000001"}
    assert dingtalk.asked == []


def test_an_unparseable_mobile_is_left_out_with_a_note_that_hides_it() -> None:
    org = {"u1": {**ORG["u1"], "mobile": "12345", "state_code": "86"}}
    [done] = expander(Controls(), DingTalk(org)).expand(notice("employee.hired", "u1"), Deadline.after(5))
    assert done.event is not None
    assert "mobile" not in done.event["employee"]
    assert done.notes
    assert "12345" not in done.notes[0]


def test_a_corrected_uid_field_is_recorded_and_the_old_uid_named_for_an_operator() -> None:
    controls, dingtalk = Controls(), DingTalk(ORG)
    expander(controls, dingtalk).expand(notice("employee.hired", "u1"), Deadline.after(5))
    dingtalk.users["u1"] = {**ORG["u1"], "extension": '{"aliyun_uid": "2000000000000009"}'}
    [done] = expander(controls, dingtalk).expand(notice("employee.updated", "u1"), Deadline.after(5))
    assert done.event is not None
    assert done.event["employee"]["uid"] == "2000000000000009"
    assert controls.docs["hr/dingtalk/u1"].document["uid"] == "2000000000000009"
    assert any("UID changed from 2000000000000001 to 2000000000000009" in note for note in done.notes)


def test_a_dingtalk_hire_without_an_app_secret_fails_naming_the_variable_not_as_a_leaver() -> None:
    aliases = HrAliases(Controls())
    unconfigured = DingTalkApi("http://127.0.0.1:9", "dingapp", "")
    expanding = NoticeExpander(
        UidResolver(UidConfig(("aliyun_uid",)), None, aliases), aliases, lambda: unconfigured, "CN"
    )
    [done] = expanding.expand(notice("employee.hired", "u1"), Deadline.after(5))
    assert done.refusal is not None
    assert (done.refusal.status, done.refusal.retryable) == ("failed", False)
    assert "DINGTALK_APP_SECRET" in done.refusal.reason

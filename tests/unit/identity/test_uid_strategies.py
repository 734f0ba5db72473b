"""The UID strategies in their documented order: field, RAM, register for joiners; register first for leavers;
and a person no strategy resolves is never guessed."""

from __future__ import annotations

from typing import Any, cast

import pytest

from shared.config import TEMPLATE_FIELDS, UidConfig
from shared.hr.person import HrPerson
from shared.identity.aliases import HrAliases
from shared.identity.ram import RamDirectory, RamError
from shared.identity.uid import UidLookupUnavailableError, UidResolver
from shared.infra.retry import Deadline
from tests.unit.identity.fakes import Controls, Ram

PERSON = HrPerson("dingtalk", "u1", name="Li Lei", email="lilei@example.com", custom={"aliyun_uid": "2000000000000001"})


def resolver(config: UidConfig, ram: Ram | None = None, controls: Controls | None = None) -> UidResolver:
    directory = cast(Any, ram)
    return UidResolver(
        config, (lambda: cast(RamDirectory, directory)) if ram else None, HrAliases(controls or Controls())
    )


def deadline() -> Deadline:
    return Deadline.after(5)


def test_joiner_is_resolved_by_the_custom_field_first() -> None:
    ram = Ram({"lilei": "2000000000000002"})
    found = resolver(UidConfig(("aliyun_uid",), "{email_local}"), ram).resolve(
        "dingtalk", "u1", lambda: PERSON, False, deadline()
    )
    assert (found.uid, found.by) == ("2000000000000001", "field")
    assert ram.asked == []


def test_joiner_without_the_field_is_looked_up_in_ram_by_the_template() -> None:
    ram = Ram({"lilei": "2000000000000002"})
    person = HrPerson("dingtalk", "u1", email="lilei@example.com")
    found = resolver(UidConfig(("aliyun_uid",), "{email_local}"), ram).resolve(
        "dingtalk", "u1", lambda: person, False, deadline()
    )
    assert (found.uid, found.by) == ("2000000000000002", "ram")
    assert ram.asked == ["lilei"]
    assert found.tried[0] == "field aliyun_uid: absent"


def test_a_field_that_holds_no_digits_is_not_taken_for_a_uid() -> None:
    person = HrPerson("dingtalk", "u1", custom={"aliyun_uid": "ask IT"})
    found = resolver(UidConfig(("aliyun_uid",))).resolve("dingtalk", "u1", lambda: person, False, deadline())
    assert found.uid is None
    assert "field aliyun_uid: holds no UID (not digits)" in found.explain()


def test_leaver_is_resolved_by_the_register_without_asking_the_platform() -> None:
    controls = Controls()
    HrAliases(controls).remember("dingtalk", "u1", "2000000000000009", deadline())
    asked: list[str] = []

    def person() -> HrPerson | None:
        asked.append("platform")
        return None

    found = resolver(UidConfig(("aliyun_uid",)), controls=controls).resolve("dingtalk", "u1", person, True, deadline())
    assert (found.uid, found.by) == ("2000000000000009", "register")
    assert asked == []


def test_unresolvable_leaver_lists_every_strategy_tried() -> None:
    found = resolver(UidConfig(("aliyun_uid",), "{userid}"), Ram({})).resolve(
        "dingtalk", "gone", lambda: None, True, deadline()
    )
    assert found.uid is None
    assert found.tried == (
        "register: no record of dingtalk user gone",
        "field: the platform no longer returns this person",
        "ram: the platform no longer returns this person",
    )


def test_template_needing_a_field_the_person_lacks_says_which() -> None:
    person = HrPerson("feishu", "ou_1", name="x")
    found = resolver(UidConfig((), "{email_local}"), Ram({})).resolve(
        "feishu", "ou_1", lambda: person, False, deadline()
    )
    assert "ram: {email_local} needs email_local, which the platform did not give" in found.tried


def test_ram_that_cannot_be_reached_is_retried_later_not_a_rejection() -> None:
    ram = Ram({}, RamError("ServiceUnavailable", "busy", retryable=True))
    with pytest.raises(UidLookupUnavailableError):
        resolver(UidConfig((), "{userid}"), ram).resolve("dingtalk", "u1", lambda: PERSON, False, deadline())


def test_ram_refusing_the_role_is_reported_and_the_register_still_tried() -> None:
    controls = Controls()
    HrAliases(controls).remember("dingtalk", "u1", "2000000000000009", deadline())
    ram = Ram({}, RamError("NoPermission", "denied", retryable=False))
    found = resolver(UidConfig((), "{userid}"), ram, controls).resolve(
        "dingtalk", "u1", lambda: PERSON, False, deadline()
    )
    assert (found.uid, found.by) == ("2000000000000009", "register")
    assert "ram: GetUser 'u1' refused (NoPermission)" in found.tried


def test_remembering_the_same_uid_twice_writes_once() -> None:
    controls = Controls()
    aliases = HrAliases(controls)
    aliases.remember("feishu", "ou_1", "2000000000000003", deadline())
    aliases.remember("feishu", "ou_1", "2000000000000003", deadline())
    assert controls.writes == 1
    assert aliases.uid("feishu", "ou_1", deadline()) == "2000000000000003"


def test_a_mobile_in_the_template_is_never_shown() -> None:
    person = HrPerson("dingtalk", "u1", mobile="+8613800000000")
    found = resolver(UidConfig((), "m{mobile_local}"), Ram({})).resolve(
        "dingtalk", "u1", lambda: person, False, deadline()
    )
    assert "13800000000" not in found.explain()


def test_the_template_fields_configuration_accepts_are_exactly_those_a_person_offers() -> None:
    assert tuple(HrPerson("dingtalk", "u1").template_values()) == TEMPLATE_FIELDS

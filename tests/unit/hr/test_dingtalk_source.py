"""The DingTalk adapter as the webhook uses it: the vendor's vectors in, the platform's answer and a notice out,
and every push that fails a check refused with 401 (400 for what is not DingTalk's shape), nothing to queue."""

from __future__ import annotations

import json
from collections.abc import Mapping

import pytest

from shared.config import DingTalkConfig
from shared.hr.dingtalk import DingTalkSource
from shared.hr.dingtalk_crypto import DingTalkCrypto, signature
from shared.hr.source import Refused
from shared.triggers.http import HttpRequest
from tests.unit.hr.test_dingtalk_crypto import AES_KEY, APP_KEY, CHECK_URL, TOKEN, USER_ADD_ORG

SOURCE = DingTalkSource(DingTalkConfig(TOKEN, AES_KEY, APP_KEY, "secret"), window_seconds=300)
CRYPTO = DingTalkCrypto(TOKEN, AES_KEY, APP_KEY)


def push(query: dict[str, str], encrypt: str) -> HttpRequest:
    body = json.dumps({"encrypt": encrypt}).encode()
    return HttpRequest("POST", "/hr/dingtalk", {"content-type": "application/json"}, query, body)


def signed(message: Mapping[str, object], timestamp: str = "1700000000123", nonce: str = "n0nce") -> HttpRequest:
    sealed = CRYPTO.encrypt(json.dumps(message))
    return push(
        {"signature": signature(TOKEN, timestamp, nonce, sealed), "timestamp": timestamp, "nonce": nonce}, sealed
    )


def opened_reply(reply: dict[str, str]) -> str:
    return CRYPTO.open(reply["timeStamp"], reply["nonce"], reply["encrypt"], reply["msg_signature"])


def test_official_check_url_vector_is_answered_with_encrypted_success() -> None:
    query = {
        "msg_signature": CHECK_URL["msg_signature"],
        "timeStamp": CHECK_URL["timestamp"],
        "nonce": CHECK_URL["nonce"],
    }
    received = SOURCE.receive(push(query, CHECK_URL["encrypt"]), now_ms=1608001896814 + 500)
    assert received.what == "handshake"
    assert received.notice is None
    assert opened_reply(dict(received.reply)) == "success"


def test_pascal_case_user_add_org_becomes_a_hire_notice_of_its_user_ids() -> None:
    query = {k: USER_ADD_ORG[k] for k in ("msg_signature", "timestamp", "nonce")}
    received = SOURCE.receive(push(query, USER_ADD_ORG["encrypt"]), now_ms=1700000000999)
    assert received.what == "event"
    notice = received.notice
    assert notice is not None
    assert (notice.type, notice.platform_type, notice.hr_ids) == ("employee.hired", "user_add_org", ("manager7078",))
    assert notice.occurred_at_ms == 1700000000000
    assert notice.platform_event_id.startswith("sha256-")  # the older shape has no eventId
    assert opened_reply(dict(received.reply)) == "success"


def test_camel_case_leave_uses_the_event_id_and_lists_each_user_once() -> None:
    message = {
        "EventType": "user_leave_org",
        "EventTime": 1700000000500,
        "CorpId": "dingcorp",
        "BizId": "biz-1",
        "eventId": "c7c7120f2c07419",
        "timeStamp": "1700000000400",
        "userId": ["u1", "u2", "u1"],
    }
    received = SOURCE.receive(signed(message), now_ms=1700000001000)
    assert received.notice is not None
    assert received.notice.type == "employee.left"
    assert received.notice.hr_ids == ("u1", "u2")
    assert received.notice.platform_event_id == "c7c7120f2c07419"
    assert received.notice.occurred_at_ms == 1700000000500
    assert received.notice.event_id("u1") == "dingtalk:c7c7120f2c07419:u1"


def test_a_repeated_push_gives_the_same_platform_event_id() -> None:
    message = {"EventType": "user_modify_org", "TimeStamp": "1700000000000", "UserId": ["u9"]}
    first = SOURCE.receive(signed(message), now_ms=1700000001000).notice
    again = SOURCE.receive(signed(message, nonce="other"), now_ms=1700000002000).notice
    assert first is not None
    assert again is not None
    assert first.platform_event_id == again.platform_event_id
    assert first.type == "employee.updated"


def test_an_event_type_onboarding_does_not_use_is_acknowledged_and_ignored() -> None:
    received = SOURCE.receive(signed({"EventType": "org_dept_create", "DeptId": [1]}), now_ms=1700000001000)
    assert (received.what, received.notice) == ("ignored", None)
    assert opened_reply(dict(received.reply)) == "success"


def tampered(kind: str) -> HttpRequest:
    timestamp, nonce = "1700000000123", "n0nce"
    message = json.dumps({"EventType": "user_add_org", "userId": ["u1"]})
    if kind == "owner_key":
        sealed = DingTalkCrypto(TOKEN, AES_KEY, "dinganotherapp").encrypt(message)
    elif kind == "aes_key":
        sealed = DingTalkCrypto(TOKEN, "A" * 43, APP_KEY).encrypt(message)
    else:
        sealed = CRYPTO.encrypt(message)
    sign = signature("another-token" if kind == "token" else TOKEN, timestamp, nonce, sealed)
    if kind == "signature":
        sign = sign[:-1] + ("0" if sign[-1] != "0" else "1")
    if kind == "padding":
        sealed = sealed[:-24] + "AAAAAAAAAAAAAAAAAAAAAA=="
        sign = signature(TOKEN, timestamp, nonce, sealed)
    return push({"signature": sign, "timestamp": timestamp, "nonce": nonce}, sealed)


@pytest.mark.parametrize("kind", ["signature", "token", "owner_key", "aes_key", "padding"])
def test_a_tampered_push_is_refused_401_naming_the_check(kind: str) -> None:
    with pytest.raises(Refused) as refused:
        SOURCE.receive(tampered(kind), now_ms=1700000000500)
    assert refused.value.status == 401
    assert TOKEN not in refused.value.detail
    assert AES_KEY not in refused.value.detail


def test_a_stale_timestamp_is_refused_even_when_signed() -> None:
    with pytest.raises(Refused) as refused:
        SOURCE.receive(signed({"EventType": "user_add_org", "userId": ["u1"]}), now_ms=1700000000123 + 301_000)
    assert refused.value.status == 401
    assert "timestamp" in refused.value.detail


def test_a_push_without_signature_query_is_refused() -> None:
    with pytest.raises(Refused) as refused:
        SOURCE.receive(push({"timestamp": "1700000000123"}, "abc"), now_ms=1700000000123)
    assert refused.value.status == 401


def test_a_body_that_is_not_dingtalks_shape_is_a_400() -> None:
    request = HttpRequest("POST", "/hr/dingtalk", {}, {"signature": "x", "timestamp": "1", "nonce": "n"}, b"[1]")
    with pytest.raises(Refused) as refused:
        SOURCE.receive(request, now_ms=1)
    assert refused.value.status == 400


def test_non_ascii_query_values_are_refused_not_crashed_on() -> None:
    body = json.dumps({"encrypt": "D\ud9d3\udc6f\u00dcq-oVH"}).encode()
    query = {"msg_signature": "\u00ce\u00f2", "timeStamp": "\x1aA\u00ee", "nonce": "\U000c7b4f"}
    with pytest.raises(Refused) as refused:
        SOURCE.receive(HttpRequest("POST", "/hr/dingtalk", {}, query, body), now_ms=1700000000000)
    assert refused.value.status == 401


def test_a_superscript_digit_timestamp_is_not_fresh() -> None:
    message = {"EventType": "user_add_org", "userId": ["u1"]}
    with pytest.raises(Refused) as refused:
        SOURCE.receive(signed(message, timestamp="17²"), now_ms=1700000000000)
    assert "timestamp" in refused.value.detail


def test_a_user_event_naming_no_user_is_unusable_naming_the_field_not_ignored() -> None:
    received = SOURCE.receive(
        signed({"EventType": "user_leave_org", "eventId": "e-empty", "userId": []}), 1700000000500
    )
    assert (received.what, received.notice, received.problem[0]) == ("unusable", None, "userId")
    assert received.document is not None
    assert received.document["eventId"] == "e-empty"
    assert opened_reply(dict(received.reply)) == "success"

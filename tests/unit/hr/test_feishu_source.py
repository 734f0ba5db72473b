"""The Feishu adapter as the webhook uses it: the vendor's encrypted challenge, the three contact events, and the
pushes it must refuse (signature, token, key, a plain body where an Encrypt Key is set, a stale timestamp)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest

from shared.config import FeishuConfig
from shared.hr.feishu import FeishuSource
from shared.hr.feishu_crypto import FeishuCrypto
from shared.hr.source import Refused
from shared.triggers.http import HttpRequest

KEY, TOKEN = "test key", "vtoken123"
SOURCE = FeishuSource(FeishuConfig(KEY, TOKEN), window_seconds=300)
CRYPTO = FeishuCrypto(KEY)
CHALLENGE = (
    "MDEyMzQ1Njc4OWFiY2RlZgrmt3kPTygBVckbSY5WXGfHiCXIpahPUV9FkUdgedAodj2v5rxq3Vn2phcfS3O2+vwpZILNxgUSok2UoQE8HEzmY+"
    "z25T5fK1KEI+YHNE37jyLyCajyr91IwDbiK/BkwA=="
)
NOW_MS = 1700000000000
USER: dict[str, Any] = {
    "open_id": "ou_7dab8a3d3cdcc9da365777c7ad535d62",
    "name": "张三",
    "mobile": "+8613800000000",
    "job_title": "高级工程师",
    "department_ids": ["od-4e6ac4d14bcd5071a37a39de902c7141"],
    "custom_attrs": [{"type": "TEXT", "id": "C-6965457429001748507", "value": {"text": "1234567890123456"}}],
    "status": {"is_resigned": False},
}


def envelope(event_type: str, user: Mapping[str, object], token: str = TOKEN) -> dict[str, object]:
    return {
        "schema": "2.0",
        "header": {
            "event_id": "5e3702a84e847582be8db7fb73283c02",
            "event_type": event_type,
            "create_time": "1700000000000",
            "token": token,
            "app_id": "cli_a1",
            "tenant_key": "t1",
        },
        "event": {"object": user},
    }


def post(body: bytes, timestamp: str = "1700000000", nonce: str = "abcdefg", sign: str | None = None) -> HttpRequest:
    headers = {
        "x-lark-request-timestamp": timestamp,
        "x-lark-request-nonce": nonce,
        "x-lark-signature": sign if sign is not None else CRYPTO.signature(timestamp, nonce, body),
    }
    return HttpRequest("POST", "/hr/feishu", headers, {}, body)


def sealed(document: dict[str, object], crypto: FeishuCrypto = CRYPTO) -> bytes:
    return json.dumps({"encrypt": crypto.encrypt(json.dumps(document))}).encode()


def test_vendors_encrypted_challenge_is_answered_with_its_challenge() -> None:
    request = HttpRequest("POST", "/hr/feishu", {}, {}, json.dumps({"encrypt": CHALLENGE}).encode())
    received = SOURCE.receive(request, NOW_MS)
    assert received.what == "handshake"
    assert dict(received.reply) == {"challenge": "ajls384kdjx98XX"}


def test_plain_challenge_is_answered_when_no_encrypt_key_is_set() -> None:
    source = FeishuSource(FeishuConfig("", TOKEN), window_seconds=300)
    body = json.dumps({"challenge": "c1", "token": TOKEN, "type": "url_verification"}).encode()
    assert dict(source.receive(HttpRequest("POST", "/hr/feishu", {}, {}, body), NOW_MS).reply) == {"challenge": "c1"}


def test_challenge_with_another_token_is_refused() -> None:
    body = sealed({"challenge": "c1", "token": "not-ours", "type": "url_verification"})
    with pytest.raises(Refused) as refused:
        SOURCE.receive(HttpRequest("POST", "/hr/feishu", {}, {}, body), NOW_MS)
    assert refused.value.status == 401


@pytest.mark.parametrize(
    ("event_type", "status", "expected"),
    [
        ("contact.user.created_v3", False, "employee.hired"),
        ("contact.user.updated_v3", False, "employee.updated"),
        ("contact.user.updated_v3", True, "employee.left"),
        ("contact.user.deleted_v3", False, "employee.left"),
    ],
)
def test_contact_events_become_notices_carrying_the_whole_user(event_type: str, status: bool, expected: str) -> None:
    user = {**USER, "status": {"is_resigned": status}}
    received = SOURCE.receive(post(sealed(envelope(event_type, user))), NOW_MS)
    notice = received.notice
    assert notice is not None
    assert (notice.type, notice.platform_type, notice.hr_ids) == (expected, event_type, (USER["open_id"],))
    assert notice.people[0]["custom_attrs"] == USER["custom_attrs"]
    assert notice.platform_event_id == "5e3702a84e847582be8db7fb73283c02"
    assert notice.occurred_at_ms == 1700000000000


def test_tampered_signature_is_refused() -> None:
    body = sealed(envelope("contact.user.created_v3", USER))
    with pytest.raises(Refused) as refused:
        SOURCE.receive(post(body, sign="0" * 64), NOW_MS)
    assert (refused.value.status, refused.value.detail.startswith("X-Lark-Signature")) == (401, True)


def test_event_with_another_verification_token_is_refused() -> None:
    with pytest.raises(Refused) as refused:
        SOURCE.receive(post(sealed(envelope("contact.user.created_v3", USER, token="x"))), NOW_MS)
    assert refused.value.status == 401


def test_event_sealed_with_another_encrypt_key_is_refused() -> None:
    body = sealed(envelope("contact.user.created_v3", USER), FeishuCrypto("another key"))
    with pytest.raises(Refused) as refused:
        SOURCE.receive(post(body), NOW_MS)
    assert refused.value.status == 401


def test_plain_event_is_refused_when_an_encrypt_key_is_set() -> None:
    with pytest.raises(Refused) as refused:
        SOURCE.receive(post(json.dumps(envelope("contact.user.created_v3", USER)).encode()), NOW_MS)
    assert refused.value.status == 401


def test_stale_timestamp_is_refused_even_when_signed() -> None:
    with pytest.raises(Refused) as refused:
        SOURCE.receive(post(sealed(envelope("contact.user.created_v3", USER))), NOW_MS + 301_000)
    assert "X-Lark-Request-Timestamp" in refused.value.detail


def test_another_event_type_is_acknowledged_and_ignored() -> None:
    received = SOURCE.receive(post(sealed(envelope("im.message.receive_v1", USER))), NOW_MS)
    assert (received.what, received.notice) == ("ignored", None)


def test_non_ascii_signature_and_lone_surrogates_are_refused_not_crashed_on() -> None:
    body = sealed(envelope("contact.user.created_v3", USER))
    with pytest.raises(Refused):
        SOURCE.receive(post(body, sign="\u00ce\u00f2"), NOW_MS)
    plain = FeishuSource(FeishuConfig("", TOKEN), window_seconds=300)
    challenge = json.dumps({"challenge": "\ud8ca", "token": "\ud8d2", "type": "url_verification"}).encode()
    with pytest.raises(Refused) as refused:
        plain.receive(HttpRequest("POST", "/hr/feishu", {}, {}, challenge), NOW_MS)
    assert refused.value.status == 401


def test_a_contact_event_without_the_users_open_id_is_unusable_naming_the_field() -> None:
    user = {k: v for k, v in USER.items() if k != "open_id"}
    received = SOURCE.receive(post(sealed(envelope("contact.user.created_v3", user))), NOW_MS)
    assert (received.what, received.notice, received.problem[0]) == ("unusable", None, "event.object.open_id")

"""The local cloud's DingTalk and Feishu push crypto against the vendors' published vectors (hr-sources.md §1.5, §2.4),
and the test receiver's independent crypto against the same vectors, so the two meet only through the vendors."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest

from localcloud.dingtalk import crypto as dingtalk
from localcloud.dingtalk import push as dingtalk_push
from localcloud.feishu import crypto as feishu
from localcloud.hrpush.delivery import Answer
from tests.support import hr_receivers

# §1.5 (a): DingTalk's official vector (DingCallbackCrypto3.py)
TOKEN = "mryue"
AES_KEY = "Yue0EfdN5900c1ce5cf6A152c63DDe1808a60c5ecd7"
OWNER = "ding6ccabc44d2c8d38b"
TIMESTAMP, NONCE = "1608001896814", "WL4PK6yA"
ENCRYPT = (
    "0vJiX6vliEpwG3U45CtXqi+m8PXbQRARJ8p8BbDuD1EMTDf0jKpQ79QS93qEk7XHpP6u+oTTrd15NRPvNvmBKyDCYxxOK+HZeKju4yhELOFc"
    "hzNukR+t8SB/qk4ROMu3"
)
SIGNATURE = "03044561471240d4a14bb09372dfcfd4fd0e40cb"
PREFIX = b"l7Y3EcX2CU5w8av3"
CHECK_URL = b'{"EventType":"check_url"}'

# §1.5 (b): a user_add_org request and its "success" reply, same key
B_ENCRYPT = (
    "IJtyRhe3IwDdDbVy9KT2Pfl+uuNoNkQX+MPLOIKE9PFzZng5khdmLdwgUiVg8jIS+sDbeq/WyESsyPwC/xaPJ8dPa9tQKPXJFHOqgf6vlXc4Tbd8"
    "F1L8eYUSrX8wZUCaKGByhP7J7q6GZADSUfkTloJmQSek/mTFRPsxP/OVb6GYXr2ladz85xj8Jw3zgHu0rQCvbBK1wAcjlFl076jCGQ=="
)
B_REPLY = {
    "msg_signature": "5d41baaddeb3b90610cc00b9ab849ed9bcbac984",
    "timeStamp": "1700000000456",
    "nonce": "respnonc",
    "encrypt": "TXOQhqZ2fSVmyJXioe0B/VWU4gUhMWI+9XeyNSo13FynZv12Pgu7kTqgX9YMjSeLelsAnRVYXOedvtxfICaAog==",
}

# §2.4 (a): Feishu's official decrypt vector
FEISHU_KEY = "test key"
FEISHU_ENCRYPT = "P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk="
FEISHU_IV = bytes.fromhex("3f7ef0f9564898d80f10ed5106127a46")

VECTOR_APP = dingtalk_push.DingTalkApp(token=TOKEN, aes_key=AES_KEY, app_key=OWNER, corp_id="dingcorpxxxx")


# DingTalk


def test_dingtalk_encrypt_gives_the_published_ciphertext_for_the_same_random_prefix() -> None:
    assert dingtalk.encrypt(AES_KEY, CHECK_URL, OWNER, random_prefix=PREFIX) == ENCRYPT


def test_dingtalk_signature_is_the_published_one() -> None:
    assert dingtalk.signature(TOKEN, TIMESTAMP, NONCE, ENCRYPT) == SIGNATURE


def test_dingtalk_pads_to_32_byte_blocks_as_the_vector_does() -> None:
    ciphertext = base64.b64decode(dingtalk.encrypt(AES_KEY, CHECK_URL, OWNER, random_prefix=PREFIX))
    assert len(ciphertext) == 16 + 4 + len(CHECK_URL) + len(OWNER) + 31


def test_dingtalk_decrypt_reads_the_published_user_add_org_request() -> None:
    message, owner = dingtalk.decrypt(AES_KEY, B_ENCRYPT)
    assert owner == OWNER
    assert json.loads(message) == {
        "EventType": "user_add_org",
        "TimeStamp": "1700000000000",
        "UserId": ["manager7078"],
        "CorpId": "dingcorpxxxx",
    }


def test_dingtalk_reply_judge_accepts_the_published_success_reply() -> None:
    assert dingtalk_push.judge_reply(VECTOR_APP, Answer(200, {}, json.dumps(B_REPLY).encode())) == ""


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"msg_signature": "0" * 40}, "signature does not verify"),
        ({"nonce": "othernon"}, "signature does not verify"),
        ({"encrypt": None}, "lacks encrypt"),
    ],
)
def test_dingtalk_reply_judge_refuses_a_changed_reply(change: dict[str, object], reason: str) -> None:
    reply = {k: v for k, v in {**B_REPLY, **change}.items() if v is not None}
    assert reason in dingtalk_push.judge_reply(VECTOR_APP, Answer(200, {}, json.dumps(reply).encode()))


def test_dingtalk_reply_judge_refuses_a_reply_for_another_owner_key() -> None:
    encrypt = dingtalk.encrypt(AES_KEY, b"success", "dingsomeoneelse")
    reply = {"msg_signature": dingtalk.signature(TOKEN, "1", "n", encrypt), "timeStamp": "1", "nonce": "n"}
    answer = Answer(200, {}, json.dumps({**reply, "encrypt": encrypt}).encode())
    assert "owner key 'dingsomeoneelse'" in dingtalk_push.judge_reply(VECTOR_APP, answer)


def test_dingtalk_reply_judge_refuses_plain_success_and_other_statuses() -> None:
    assert dingtalk_push.judge_reply(VECTOR_APP, Answer(200, {}, b"success")) == "reply is not JSON"
    assert dingtalk_push.judge_reply(VECTOR_APP, Answer(500, {}, json.dumps(B_REPLY).encode())) == "HTTP 500"


def test_dingtalk_plaintext_has_the_current_docs_keys_by_default() -> None:
    message = dingtalk_push.plaintext("user_add_org", ["u1", "u2"], "e1", "camel", 1700000000000, "dingcorp")
    data = json.loads(message)
    assert list(data) == ["EventType", "EventTime", "CorpId", "BizId", "eventId", "timeStamp", "userId"]
    assert (data["EventTime"], data["timeStamp"], data["userId"], data["eventId"]) == (
        1700000000000,
        "1700000000000",
        ["u1", "u2"],
        "e1",
    )


def test_dingtalk_plaintext_in_pascal_case_is_the_2018_shape_without_an_event_id() -> None:
    message = dingtalk_push.plaintext("user_leave_org", ["u1"], "e1", "pascal", 1700000000000, "dingcorp")
    assert json.loads(message) == {
        "EventType": "user_leave_org",
        "TimeStamp": "1700000000000",
        "UserId": ["u1"],
        "CorpId": "dingcorp",
    }


def test_dingtalk_check_url_plaintext_is_exactly_the_vectors() -> None:
    assert dingtalk_push.plaintext("check_url", [], "e1", "camel", 1, "dingcorp") == CHECK_URL


# Feishu


def test_feishu_decrypt_reads_the_published_vector() -> None:
    assert feishu.decrypt(FEISHU_KEY, FEISHU_ENCRYPT) == b"hello world"


def test_feishu_encrypt_gives_the_published_ciphertext_for_the_same_iv() -> None:
    assert feishu.encrypt(FEISHU_KEY, b"hello world", iv=FEISHU_IV) == FEISHU_ENCRYPT


def test_feishu_signature_is_plain_sha256_of_timestamp_nonce_key_and_body() -> None:
    body = b'{"encrypt":"x"}'
    expected = hashlib.sha256(b"1700000000abcdefgtest key" + body).hexdigest()
    assert feishu.signature("1700000000", "abcdefg", FEISHU_KEY, body) == expected


# The test receiver's own crypto, anchored to the same vectors


def test_receiver_dingtalk_crypto_meets_the_published_vector() -> None:
    message, owner, prefix = hr_receivers.dingtalk_decrypt(AES_KEY, ENCRYPT)
    assert (message, owner, prefix) == (CHECK_URL, OWNER, PREFIX)
    assert hr_receivers.dingtalk_encrypt(AES_KEY, CHECK_URL, OWNER, prefix=PREFIX) == ENCRYPT
    assert hr_receivers.dingtalk_signature(TOKEN, TIMESTAMP, NONCE, ENCRYPT) == SIGNATURE


def test_receiver_feishu_crypto_meets_the_published_vector() -> None:
    assert hr_receivers.feishu_decrypt(FEISHU_KEY, FEISHU_ENCRYPT) == b"hello world"
    assert hr_receivers.feishu_encrypt(FEISHU_KEY, b"hello world", FEISHU_IV) == FEISHU_ENCRYPT

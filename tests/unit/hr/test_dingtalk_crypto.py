"""DingTalk's callback crypto against the vendor's published vector and a self-made user_add_org push with its
reply (hr-sources.md §1.5), and against every way a push can be wrong."""

from __future__ import annotations

import base64
import json

import pytest

from shared.hr.dingtalk_crypto import DingTalkCrypto, DingTalkCryptoError, fresh, signature

TOKEN = "mryue"
AES_KEY = "Yue0EfdN5900c1ce5cf6A152c63DDe1808a60c5ecd7"
APP_KEY = "ding6ccabc44d2c8d38b"
CRYPTO = DingTalkCrypto(TOKEN, AES_KEY, APP_KEY)

CHECK_URL = {
    "msg_signature": "03044561471240d4a14bb09372dfcfd4fd0e40cb",
    "timestamp": "1608001896814",
    "nonce": "WL4PK6yA",
    "encrypt": "0vJiX6vliEpwG3U45CtXqi+m8PXbQRARJ8p8BbDuD1EMTDf0jKpQ79QS93qEk7XHpP6u+oTTrd15NRPvNvmBKyDCYxxOK+HZeKju4yh"
    "ELOFchzNukR+t8SB/qk4ROMu3",
}
USER_ADD_ORG = {
    "msg_signature": "3c15b696383b9b67a0732a6383d7084458da7875",
    "timestamp": "1700000000123",
    "nonce": "nonce123",
    "encrypt": "IJtyRhe3IwDdDbVy9KT2Pfl+uuNoNkQX+MPLOIKE9PFzZng5khdmLdwgUiVg8jIS+sDbeq/WyESsyPwC/xaPJ8dPa9tQ"
    "KPXJFHOqgf6vlXc4Tbd8F1L8eYUSrX8wZUCaKGByhP7J7q6GZADSUfkTloJmQSek/mTFRPsxP/OVb6GYXr2ladz85xj8Jw3zgHu0rQCvbBK1"
    "wAcjlFl076jCGQ==",
}
SUCCESS_REPLY = {
    "msg_signature": "5d41baaddeb3b90610cc00b9ab849ed9bcbac984",
    "timeStamp": "1700000000456",
    "nonce": "respnonc",
    "encrypt": "TXOQhqZ2fSVmyJXioe0B/VWU4gUhMWI+9XeyNSo13FynZv12Pgu7kTqgX9YMjSeLelsAnRVYXOedvtxfICaAog==",
}


def opened(push: dict[str, str], crypto: DingTalkCrypto = CRYPTO) -> str:
    return crypto.open(push["timestamp"], push["nonce"], push["encrypt"], push["msg_signature"])


def test_the_official_check_url_vector_verifies_and_decrypts() -> None:
    assert json.loads(opened(CHECK_URL)) == {"EventType": "check_url"}


def test_the_official_vector_reencrypts_to_itself_with_its_random_prefix() -> None:
    assert CRYPTO.encrypt('{"EventType":"check_url"}', prefix=b"l7Y3EcX2CU5w8av3") == CHECK_URL["encrypt"]


def test_a_user_add_org_push_decrypts_to_its_user_ids() -> None:
    event = json.loads(opened(USER_ADD_ORG))
    assert (event["EventType"], event["UserId"]) == ("user_add_org", ["manager7078"])


def test_the_success_reply_vector_is_signed_and_sealed_as_dingtalk_reads_it() -> None:
    sealed = SUCCESS_REPLY["encrypt"]
    assert (
        signature(TOKEN, SUCCESS_REPLY["timeStamp"], SUCCESS_REPLY["nonce"], sealed) == SUCCESS_REPLY["msg_signature"]
    )
    assert CRYPTO.decrypt(sealed) == "success"


def test_a_reply_made_here_opens_with_the_same_keys() -> None:
    reply = CRYPTO.reply("success", "1700000000456", "respnonc")
    assert set(reply) == {"msg_signature", "timeStamp", "nonce", "encrypt"}
    assert CRYPTO.open(reply["timeStamp"], reply["nonce"], reply["encrypt"], reply["msg_signature"]) == "success"


def test_the_padding_is_to_32_byte_blocks_as_dingtalk_pads() -> None:
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    key = base64.b64decode(AES_KEY + "=")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    plain = decryptor.update(base64.b64decode(CHECK_URL["encrypt"])) + decryptor.finalize()
    assert plain[-1] == 31


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"msg_signature": "0" * 40}, "the signature does not match"),
        ({"nonce": "WL4PK6yB"}, "the signature does not match"),
        ({"timestamp": "1608001896815"}, "the signature does not match"),
    ],
    ids=["tampered-signature", "other-nonce", "other-timestamp"],
)
def test_a_push_whose_signature_does_not_match_is_refused(change: dict[str, str], reason: str) -> None:
    with pytest.raises(DingTalkCryptoError, match=reason):
        opened({**CHECK_URL, **change})


def test_a_push_under_another_token_is_refused() -> None:
    with pytest.raises(DingTalkCryptoError, match="signature"):
        opened(CHECK_URL, DingTalkCrypto("other-token", AES_KEY, APP_KEY))


def test_a_push_for_another_app_is_refused_by_its_owner_key() -> None:
    with pytest.raises(DingTalkCryptoError, match="owner key"):
        opened(CHECK_URL, DingTalkCrypto(TOKEN, AES_KEY, "dingotherappkey0000"))


def test_a_push_under_another_aes_key_fails_on_its_padding_or_layout() -> None:
    other = DingTalkCrypto(TOKEN, "A" * 43, APP_KEY)
    with pytest.raises(DingTalkCryptoError, match="encrypt"):
        opened(CHECK_URL, other)


@pytest.mark.parametrize(
    ("encrypt", "reason"),
    [
        ("not base64 at all!", "not base64"),
        (base64.b64encode(b"x" * 15).decode(), "whole number of AES blocks"),
        ("", "whole number of AES blocks"),
    ],
    ids=["not-base64", "short-block", "empty"],
)
def test_a_ciphertext_that_cannot_be_one_is_refused_before_decryption(encrypt: str, reason: str) -> None:
    with pytest.raises(DingTalkCryptoError, match=reason):
        CRYPTO.decrypt(encrypt)


def test_a_ciphertext_with_bad_padding_is_refused() -> None:
    sealed = bytearray(base64.b64decode(CHECK_URL["encrypt"]))
    sealed[-1] ^= 0x01
    with pytest.raises(DingTalkCryptoError, match="encrypt"):
        CRYPTO.decrypt(base64.b64encode(bytes(sealed)).decode())


def test_a_malformed_encoding_aes_key_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="DINGTALK_AES_KEY"):
        DingTalkCrypto(TOKEN, AES_KEY[:-1], APP_KEY)


@pytest.mark.parametrize(
    ("stamp", "ok"),
    [
        ("1700000000123", True),
        ("1700000300123", True),
        ("1700000400124", False),
        ("1699999600000", False),
        ("1700000000", True),
        ("17000000x0123", False),
    ],
)
def test_freshness_reads_milliseconds_and_seconds_and_refuses_the_stale(stamp: str, ok: bool) -> None:
    assert fresh(stamp, now_ms=1_700_000_100_123, window_seconds=300) is ok


def test_a_refusal_never_carries_a_secret() -> None:
    with pytest.raises(DingTalkCryptoError) as caught:
        opened({**CHECK_URL, "msg_signature": "0" * 40})
    assert not any(secret in str(caught.value) for secret in (TOKEN, AES_KEY, APP_KEY))

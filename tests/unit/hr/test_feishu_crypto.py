"""Feishu's event crypto against the vendor's published decrypt vector and the encrypted challenge (hr-sources.md
§2.4), and against wrong keys, tampered signatures and broken ciphertexts."""

from __future__ import annotations

import base64
import json

import pytest

from shared.hr.feishu_crypto import FeishuCrypto, FeishuCryptoError

CRYPTO = FeishuCrypto("test key")
CHALLENGE = (
    "MDEyMzQ1Njc4OWFiY2RlZgrmt3kPTygBVckbSY5WXGfHiCXIpahPUV9FkUdgedAodj2v5rxq3Vn2phcfS3O2+vwpZILNxgUSok2UoQE8HEz"
    "mY+z25T5fK1KEI+YHNE37jyLyCajyr91IwDbiK/BkwA=="
)


def test_the_official_vector_decrypts_to_hello_world() -> None:
    assert CRYPTO.decrypt("P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=") == "hello world"


def test_the_official_vector_reencrypts_to_itself_with_its_iv() -> None:
    iv = bytes.fromhex("3f7ef0f9564898d80f10ed5106127a46")
    assert CRYPTO.encrypt("hello world", iv) == "P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk="


def test_the_encrypted_url_verification_carries_its_challenge_and_token() -> None:
    event = json.loads(CRYPTO.decrypt(CHALLENGE))
    assert event == {"challenge": "ajls384kdjx98XX", "token": "vtoken123", "type": "url_verification"}


def test_a_signed_push_verifies_and_any_change_to_it_does_not() -> None:
    body = json.dumps({"encrypt": CRYPTO.encrypt('{"schema":"2.0"}')}).encode()
    good = CRYPTO.signature("1700000000", "abcdefg", body)
    CRYPTO.verify("1700000000", "abcdefg", body, good)
    for timestamp, nonce, changed in (
        ("1700000001", "abcdefg", body),
        ("1700000000", "abcdefh", body),
        ("1700000000", "abcdefg", body + b" "),
    ):
        with pytest.raises(FeishuCryptoError, match="X-Lark-Signature"):
            CRYPTO.verify(timestamp, nonce, changed, good)
    with pytest.raises(FeishuCryptoError, match="X-Lark-Signature"):
        FeishuCrypto("other key").verify("1700000000", "abcdefg", body, good)


def test_the_signature_is_plain_sha256_hex_not_an_hmac() -> None:
    import hashlib

    body = b'{"encrypt":"x"}'
    assert CRYPTO.signature("1", "n", body) == hashlib.sha256(b"1ntest key" + body).hexdigest()


def test_a_push_under_another_encrypt_key_fails_on_its_padding() -> None:
    with pytest.raises(FeishuCryptoError, match=r"padding|UTF-8"):
        FeishuCrypto("wrong key").decrypt(CHALLENGE)


@pytest.mark.parametrize(
    ("encrypt", "reason"),
    [
        ("%%%", "not base64"),
        (base64.b64encode(b"0123456789abcdef").decode(), "IV and whole AES blocks"),
        (base64.b64encode(b"0123456789abcdef" + b"x" * 20).decode(), "IV and whole AES blocks"),
    ],
    ids=["not-base64", "iv-only", "ragged"],
)
def test_a_ciphertext_that_cannot_be_one_is_refused(encrypt: str, reason: str) -> None:
    with pytest.raises(FeishuCryptoError, match=reason):
        CRYPTO.decrypt(encrypt)

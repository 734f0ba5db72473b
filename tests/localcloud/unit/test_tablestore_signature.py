"""Tablestore V2/V4 request signatures and response signing, recomputed independently of the emulator."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

import pytest

from localcloud.credentials import Credential, CredentialStore
from localcloud.tablestore import signature
from localcloud.wire import Request, ServiceError

SECRET = "secret"
STORE = CredentialStore([Credential("AKID", SECRET, security_token="TOKEN")])


def headers(body: bytes, **extra: str) -> dict[str, str]:
    out = {
        "x-ots-date": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
        "x-ots-apiversion": "2015-12-31",
        "x-ots-accesskeyid": "AKID",
        "x-ots-instancename": "inst",
        "x-ots-contentmd5": base64.b64encode(hashlib.md5(body).digest()).decode(),  # noqa: S324
        "x-ots-ststoken": "TOKEN",
    }
    out.update(extra)
    return out


def v2(h: dict[str, str], action: str = "PutRow", secret: str = SECRET) -> str:
    canonical = "\n".join(sorted(f"{k}:{v}" for k, v in h.items() if k.startswith("x-ots-")))
    message = f"/{action}\nPOST\n\n{canonical}\n".encode()
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha1).digest()).decode()


def request(h: dict[str, str], body: bytes = b"body", action: str = "PutRow") -> Request:
    return Request("POST", f"/{action}", h, body)


def test_v2_signature_verifies_and_signs_responses_with_the_secret() -> None:
    h = headers(b"body")
    h["x-ots-signature"] = v2(h)
    signer = signature.verify(request(h), "PutRow", STORE, "inst")
    assert signer.key == SECRET.encode()
    response = {"x-ots-requestid": "r", "x-ots-date": "d", "x-ots-contentmd5": "m", "x-ots-contenttype": "c"}
    canonical = "x-ots-contentmd5:m\nx-ots-contenttype:c\nx-ots-date:d\nx-ots-requestid:r"
    expected = base64.b64encode(hmac.new(b"secret", f"{canonical}\n/PutRow".encode(), hashlib.sha1).digest())
    assert signature.sign_response(signer.key, "PutRow", response) == expected.decode()


def test_v4_key_is_the_base64_text_of_the_derived_digest() -> None:
    key = ("aliyun_v4" + SECRET).encode()
    for part in ("20261201", "cn-hangzhou", "ots", "aliyun_v4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    derived = signature.v4_key(SECRET, "20261201", "cn-hangzhou")
    assert derived == base64.b64encode(key)
    h = headers(b"body", **{"x-ots-signdate": "20261201", "x-ots-signregion": "cn-hangzhou"})
    canonical = "\n".join(sorted(f"{k}:{v}" for k, v in h.items()))
    string_to_sign = f"/PutRow\nPOST\n\n{canonical}\n" + "ots"
    mac = hmac.new(derived, string_to_sign.encode(), hashlib.sha256).digest()
    h["x-ots-signaturev4"] = base64.b64encode(mac).decode()
    assert signature.verify(request(h), "PutRow", STORE, "inst").key == derived


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"x-ots-date": "yesterday"}, "Invalid date format: yesterday."),
        ({"x-ots-date": "2020-01-01T00:00:00.000Z"}, "Mismatch between system time and x-ots-date"),
        ({"x-ots-contentmd5": "AAAA"}, "Mismatch between MD5 value of request body"),
        ({"x-ots-ststoken": "other"}, "Signature mismatch."),
    ],
)
def test_refusals(change: dict[str, str], message: str) -> None:
    h = headers(b"body")
    h["x-ots-signature"] = v2(h)
    h.update(change)
    with pytest.raises(ServiceError) as error:
        signature.verify(request(h), "PutRow", STORE, "inst")
    assert error.value.message.startswith(message)
    assert error.value.code in ("OTSAuthFailed", "OTSParameterInvalid")


def test_a_correctly_signed_wrong_token_and_a_missing_header() -> None:
    h = headers(b"body", **{"x-ots-ststoken": "other"})
    h["x-ots-signature"] = v2(h)
    with pytest.raises(ServiceError) as error:
        signature.verify(request(h), "PutRow", STORE, "inst")
    assert error.value.message == "The security token you provided is invalid."
    del h["x-ots-instancename"]
    with pytest.raises(ServiceError) as error:
        signature.verify(request(h), "PutRow", STORE, "inst")
    assert (error.value.status, error.value.message) == (400, "Missing header: x-ots-instancename.")

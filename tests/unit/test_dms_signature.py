"""The ACS3-HMAC-SHA256 verifier against requests signed by tea-openapi's own signer, no server involved."""

from __future__ import annotations

import hashlib
import time
from urllib.parse import urlencode

import pytest
from alibabacloud_tea_openapi.utils import Utils
from darabonba.request import DaraRequest

from localcloud.credentials import Credential, CredentialStore
from localcloud.dms.signature import NonceBook, verify
from localcloud.wire import Request, ServiceError

AK, SECRET, TOKEN = "STS.unit", "unit-secret", "unit-token"
EMPTY_HASH = hashlib.sha256(b"").hexdigest()


def signed(query: dict[str, str], secret: str = SECRET, nonce: str = "n-1", date: str | None = None) -> Request:
    request = DaraRequest()
    request.method = "POST"
    request.pathname = "/"
    request.query = query
    request.headers = {
        "host": "127.0.0.1:1",
        "x-acs-version": "2018-11-01",
        "x-acs-action": "RegisterUser",
        "user-agent": "unit",
        "x-acs-date": date or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "x-acs-signature-nonce": nonce,
        "accept": "application/json",
        "x-acs-content-sha256": EMPTY_HASH,
        "x-acs-accesskey-id": AK,
        "x-acs-security-token": TOKEN,
    }
    authorization = Utils.get_authorization(request, "ACS3-HMAC-SHA256", EMPTY_HASH, AK, secret)
    headers = {k.lower(): v for k, v in request.headers.items()} | {"authorization": authorization}
    return Request("POST", "/?" + urlencode(query), headers, b"")


def store(expired: bool = False) -> CredentialStore:
    return CredentialStore([Credential(AK, SECRET, TOKEN, expired=expired)])


def test_request_signed_by_the_sdk_verifies() -> None:
    request = signed({"Uid": "2000000000001", "UserNick": "Ada Lovelace+ü~*", "RoleNames": "USER,DBA"})
    assert verify(request, store(), NonceBook()).access_key_id == AK


def test_tampered_query_is_refused() -> None:
    request = signed({"Uid": "2000000000001", "Tid": "12345"})
    tampered = Request(request.method, request.target.replace("12345", "12346"), request.headers, b"")
    with pytest.raises(ServiceError) as caught:
        verify(tampered, store(), NonceBook())
    assert caught.value.code == "SignatureDoesNotMatch"


def test_space_written_as_plus_on_the_request_line_still_verifies() -> None:
    request = signed({"UserNick": "two words"})
    assert "two+words" in request.target
    verify(request, store(), NonceBook())


def test_replayed_nonce_is_refused() -> None:
    nonces = NonceBook()
    verify(signed({"Uid": "1"}, nonce="same"), store(), nonces)
    with pytest.raises(ServiceError) as caught:
        verify(signed({"Uid": "1"}, nonce="same"), store(), nonces)
    assert caught.value.code == "SignatureNonceUsed"


def test_date_more_than_fifteen_minutes_off_is_refused() -> None:
    old = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 16 * 60))
    with pytest.raises(ServiceError) as caught:
        verify(signed({"Uid": "1"}, date=old), store(), NonceBook())
    assert caught.value.code == "InvalidTimeStamp.Expired"


def test_expired_token_is_refused_after_a_valid_signature() -> None:
    with pytest.raises(ServiceError) as caught:
        verify(signed({"Uid": "1"}), store(expired=True), NonceBook())
    assert caught.value.code == "InvalidSecurityToken.Expired"


def test_authorization_of_another_scheme_is_incomplete() -> None:
    request = signed({"Uid": "1"})
    broken = Request("POST", request.target, {**request.headers, "authorization": "MNS a:b"}, b"")
    with pytest.raises(ServiceError) as caught:
        verify(broken, store(), NonceBook())
    assert caught.value.code == "IncompleteSignature"

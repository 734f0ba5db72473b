"""The ACS3-HMAC-SHA256 verifier against requests signed by tea-openapi's own signer, no server involved."""

from __future__ import annotations

import hashlib
import time
from urllib.parse import urlencode

import pytest
from alibabacloud_tea_openapi.utils import Utils
from darabonba.request import DaraRequest

from localcloud.credentials import Credential, CredentialStore
from localcloud.dms.signature import NonceBook, canonical_query, verify
from localcloud.wire import Request, ServiceError

AK, SECRET, TOKEN = "STS.unit", "unit-secret", "unit-token"


def now_header(offset_seconds: float = 0) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + offset_seconds))


def signed(
    query: dict[str, str],
    *,
    secret: str = SECRET,
    nonce: str = "n-1",
    date: str | None = None,
    body: bytes = b"",
    unsigned: dict[str, str] | None = None,
) -> Request:
    """A request as tea-openapi 0.4.6 signs it (§3.1), then written on the wire as `urlencode` writes it."""
    payload_hash = hashlib.sha256(body).hexdigest()
    request = DaraRequest()
    request.method = "POST"
    request.pathname = "/"
    request.query = query
    request.headers = {
        "host": "127.0.0.1:1",
        "x-acs-version": "2018-11-01",
        "x-acs-action": "RegisterUser",
        "user-agent": "unit",
        "x-acs-date": date or now_header(),
        "x-acs-signature-nonce": nonce,
        "accept": "application/json",
        "x-acs-content-sha256": payload_hash,
        "x-acs-accesskey-id": AK,
        "x-acs-security-token": TOKEN,
    }
    if body:
        request.headers["content-type"] = "application/x-www-form-urlencoded"
    authorization = Utils.get_authorization(request, "ACS3-HMAC-SHA256", payload_hash, AK, secret)
    headers = {k.lower(): v for k, v in request.headers.items()} | (unsigned or {}) | {"authorization": authorization}
    return Request("POST", "/?" + urlencode(query), headers, body)


def store(expired: bool = False, token: str = TOKEN) -> CredentialStore:
    return CredentialStore([Credential(AK, SECRET, token, expired=expired)])


def refusal(request: Request, credentials: CredentialStore | None = None, nonces: NonceBook | None = None) -> str:
    with pytest.raises(ServiceError) as caught:
        verify(request, credentials or store(), nonces or NonceBook())
    return caught.value.code


def test_request_signed_by_the_sdk_verifies() -> None:
    request = signed({"Uid": "2000000000001", "UserNick": "Ada Lovelace+ü~*/%", "RoleNames": "USER,DBA"})
    assert verify(request, store(), NonceBook()).access_key_id == AK


def test_request_with_a_form_body_verifies() -> None:
    assert verify(signed({}, body=b"Uid=1&UserNick=Ada"), store(), NonceBook()).access_key_id == AK


def test_tampered_query_is_refused() -> None:
    request = signed({"Uid": "2000000000001", "Tid": "12345"})
    tampered = Request(request.method, request.target.replace("12345", "12346"), request.headers, b"")
    assert refusal(tampered) == "SignatureDoesNotMatch"


def test_wrong_secret_is_refused() -> None:
    assert refusal(signed({"Uid": "1"}, secret="not-the-secret")) == "SignatureDoesNotMatch"


@pytest.mark.parametrize("written", ["two+words", "two%20words"])
def test_space_as_plus_or_percent_twenty_on_the_request_line_verifies(written: str) -> None:
    request = signed({"UserNick": "two words"})
    assert "two+words" in request.target
    on_the_wire = Request("POST", request.target.replace("two+words", written), request.headers, b"")
    verify(on_the_wire, store(), NonceBook())


def test_literal_plus_survives_because_the_line_carries_percent_2b() -> None:
    request = signed({"UserNick": "a+b"})
    assert "a%2Bb" in request.target
    verify(request, store(), NonceBook())


def test_canonical_query_encodes_as_the_sdk_signs() -> None:
    assert canonical_query("b=%C3%BC+~*&a=x%2Fy") == "a=x%2Fy&b=%C3%BC%20~%2A"


def test_tampered_body_is_refused_before_the_signature() -> None:
    request = signed({}, body=b"Uid=1")
    tampered = Request(request.method, request.target, request.headers, b"Uid=2")
    assert refusal(tampered) == "ContentSHA256NotMatched"


def test_header_left_out_of_the_signature_is_refused() -> None:
    request = signed({"Uid": "1"}, unsigned={"x-acs-extra": "smuggled"})
    assert refusal(request) == "IncompleteSignature"


def test_unknown_access_key_is_refused() -> None:
    assert refusal(signed({"Uid": "1"}), CredentialStore([])) == "InvalidAccessKeyId.NotFound"


def test_replayed_nonce_is_refused() -> None:
    nonces = NonceBook()
    verify(signed({"Uid": "1"}, nonce="same"), store(), nonces)
    assert refusal(signed({"Uid": "1"}, nonce="same"), nonces=nonces) == "SignatureNonceUsed"


@pytest.mark.parametrize("offset_minutes", [-16, 16])
def test_date_more_than_fifteen_minutes_off_is_refused(offset_minutes: int) -> None:
    request = signed({"Uid": "1"}, date=now_header(offset_minutes * 60))
    assert refusal(request) == "InvalidTimeStamp.Expired"


def test_date_in_another_format_is_refused() -> None:
    request = signed({"Uid": "1"}, date="Thu, 06 Feb 2020 07:32:54 GMT")
    assert refusal(request) == "InvalidTimeStamp.Format"


def test_expired_token_is_refused_after_a_valid_signature() -> None:
    assert refusal(signed({"Uid": "1"}), store(expired=True)) == "InvalidSecurityToken.Expired"
    assert refusal(signed({"Uid": "1"}, secret="x"), store(expired=True)) == "SignatureDoesNotMatch"


def test_token_of_another_session_is_refused() -> None:
    assert refusal(signed({"Uid": "1"}), store(token="other")) == "InvalidSecurityToken.MismatchWithAccessKey"


def test_authorization_of_another_scheme_is_incomplete() -> None:
    request = signed({"Uid": "1"})
    broken = Request("POST", request.target, {**request.headers, "authorization": "MNS a:b"}, b"")
    assert refusal(broken) == "IncompleteSignature"


def test_authorization_without_signed_headers_is_incomplete() -> None:
    request = signed({"Uid": "1"})
    broken = Request("POST", request.target, {**request.headers, "authorization": "ACS3-HMAC-SHA256 Credential=a"}, b"")
    assert refusal(broken) == "IncompleteSignature"


def test_nonce_book_forgets_after_the_skew_window() -> None:
    nonces = NonceBook()
    assert nonces.use("n", now=1000.0)
    assert not nonces.use("n", now=1000.0 + 899)
    assert nonces.use("n", now=1000.0 + 901)


def test_nonce_book_stays_within_its_capacity() -> None:
    nonces = NonceBook(capacity=3)
    for i in range(10):
        assert nonces.use(str(i), now=1000.0)
    assert len(nonces) == 3
    assert not nonces.use("7", now=1000.0)
    assert len(nonces) == 3

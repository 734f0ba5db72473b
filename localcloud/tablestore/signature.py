"""Tablestore request signatures (V2 and V4) and the signed responses the SDK insists on (fact sheet §3, §4).

Request: `"/" + Action + "\\nPOST\\n\\n" + sorted "name:value" lines of the x-ots-* headers (without the
signature itself) + "\\n"`; V2 signs it with HMAC-SHA1 under the secret, V4 with HMAC-SHA256 under a key
derived per day and region (whose *base64 text* is the key) over the string plus "ots". Response: `Authorization:
OTS <akid>:base64(HMAC-SHA1(key, sorted x-ots-* lines + "\\n/" + Action))`, where key is the secret (V2) or the
same derived key (V4).

The body MD5, date skew and STS token are checked here too. The date is checked against wall time, not the
local cloud's movable clock: the SDK stamps requests from the machine's clock.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from calendar import timegm
from collections.abc import Mapping
from dataclasses import dataclass

from localcloud.credentials import Credential, CredentialStore
from localcloud.tablestore.errors import OtsError
from localcloud.wire import Request

API_VERSION = "2015-12-31"
MAX_SKEW_SECONDS = 15 * 60
REQUIRED = ("x-ots-date", "x-ots-apiversion", "x-ots-accesskeyid", "x-ots-instancename", "x-ots-contentmd5")
SIGNATURE_HEADERS = ("x-ots-signature", "x-ots-signaturev4")


@dataclass(frozen=True)
class Signer:
    """Who signed a request and with which key: what the response must be signed with."""

    credential: Credential
    key: bytes


def content_md5(body: bytes) -> str:
    return base64.b64encode(hashlib.md5(body).digest()).decode()  # noqa: S324 - the protocol's checksum


def canonical_headers(headers: Mapping[str, str]) -> str:
    lines = sorted(
        f"{name.lower()}:{value.strip()}"
        for name, value in headers.items()
        if name.lower().startswith("x-ots-") and name.lower() not in SIGNATURE_HEADERS
    )
    return "\n".join(lines)


def string_to_sign(action: str, headers: Mapping[str, str]) -> str:
    return f"/{action}\nPOST\n\n{canonical_headers(headers)}\n"


def _b64_hmac(key: bytes, message: str, digest: str) -> str:
    return base64.b64encode(hmac.new(key, message.encode("utf-8"), digest).digest()).decode()


def v4_key(secret: str, sign_date: str, region: str) -> bytes:
    key = ("aliyun_v4" + secret).encode("utf-8")
    for part in (sign_date, region, "ots", "aliyun_v4_request"):
        key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(key)


def sign_v2(secret: str, action: str, headers: Mapping[str, str]) -> str:
    return _b64_hmac(secret.encode("utf-8"), string_to_sign(action, headers), "sha1")


def sign_v4(key: bytes, action: str, headers: Mapping[str, str]) -> str:
    return _b64_hmac(key, string_to_sign(action, headers) + "ots", "sha256")


def sign_response(key: bytes, action: str, headers: Mapping[str, str]) -> str:
    canon = "\n".join(sorted(f"{k.lower()}:{v.strip()}" for k, v in headers.items() if k.lower().startswith("x-ots-")))
    return _b64_hmac(key, f"{canon}\n/{action}", "sha1")


def parse_date(value: str) -> float | None:
    try:
        parsed = time.strptime(value, "%Y-%m-%dT%H:%M:%S.000Z")
    except ValueError:
        try:
            parsed = time.strptime(value.split(".")[0], "%Y-%m-%dT%H:%M:%S")
        except ValueError:
            return None
    return float(timegm(parsed))


def verify(request: Request, action: str, credentials: CredentialStore, instance: str) -> Signer:
    headers = request.headers
    for name in REQUIRED:
        if not headers.get(name):
            raise OtsError.MISSING_HEADER.error(name=name)
    v4 = "x-ots-signaturev4" in headers
    if not v4 and not headers.get("x-ots-signature"):
        raise OtsError.MISSING_HEADER.error(name="x-ots-signature")
    if v4:
        for name in ("x-ots-signdate", "x-ots-signregion"):
            if not headers.get(name):
                raise OtsError.MISSING_HEADER.error(name=name)
    date = headers["x-ots-date"]
    stamp = parse_date(date)
    if stamp is None:
        raise OtsError.INVALID_DATE.error(date=date)
    if abs(stamp - time.time()) > MAX_SKEW_SECONDS:
        raise OtsError.TIME_SKEW.error(date=date)
    if headers["x-ots-contentmd5"] != content_md5(request.body):
        raise OtsError.MD5_MISMATCH.error()
    credential = credentials.get(headers["x-ots-accesskeyid"])
    if credential is None:
        raise OtsError.ACCESS_KEY_NOT_EXIST.error()
    if v4:
        key = v4_key(credential.access_key_secret, headers["x-ots-signdate"], headers["x-ots-signregion"])
        expected = sign_v4(key, action, headers)
        given = headers["x-ots-signaturev4"]
    else:
        key = credential.access_key_secret.encode("utf-8")
        expected = sign_v2(credential.access_key_secret, action, headers)
        given = headers["x-ots-signature"]
    if not hmac.compare_digest(expected, given):
        raise OtsError.SIGNATURE_MISMATCH.error()
    token = headers.get("x-ots-ststoken", "")
    if credential.expired or token != credential.security_token:
        raise OtsError.TOKEN_INVALID.error()
    if headers["x-ots-instancename"] != instance:
        raise OtsError.INSTANCE_NOT_FOUND.error(instance=headers["x-ots-instancename"])
    return Signer(credential, key)

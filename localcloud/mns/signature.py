"""MNS request authentication: HMAC-SHA1 over the verb, content headers, date, x-mns-* headers and raw resource.

The resource is the path and query exactly as sent, never decoded, because the SDK signs what it writes on
the request line. The STS `security-token` header is not signed; it is checked against the key's token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from email.utils import parsedate_to_datetime

from localcloud.credentials import Credential, CredentialStore
from localcloud.mns import errors
from localcloud.wire import Request

MAX_SKEW_SECONDS = 15 * 60


def string_to_sign(request: Request) -> str:
    mns_headers = "".join(
        f"{name}:{request.headers[name]}\n" for name in sorted(request.headers) if name.startswith("x-mns-")
    )
    return (
        f"{request.method}\n{request.header('content-md5')}\n{request.header('content-type')}\n"
        f"{request.header('date')}\n{mns_headers}{request.target}"
    )


def sign(secret: str, text: str) -> str:
    digest = hmac.new(secret.encode("utf-8"), text.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def content_md5(body: bytes) -> str:
    """Base64 of the *hex* MD5 string, which is what the SDK sends."""
    hex_digest = hashlib.md5(body).hexdigest()  # noqa: S324 - the wire format is MD5
    return base64.b64encode(hex_digest.encode("ascii")).decode("ascii")


def authenticate(request: Request, credentials: CredentialStore, ram_action: str) -> Credential:
    authorization = request.header("authorization")
    if not authorization:
        raise errors.MISSING_AUTHORIZATION.error()
    scheme, _, rest = authorization.partition(" ")
    access_key_id, sep, signature = rest.rpartition(":")
    if scheme != "MNS" or not sep or not access_key_id or not signature:
        raise errors.INVALID_AUTHORIZATION.error()
    _check_date(request.header("date"))
    credential = credentials.get(access_key_id)
    if credential is None:
        raise errors.INVALID_ACCESS_KEY_ID.error()
    if request.body and request.header("content-md5") and request.header("content-md5") != content_md5(request.body):
        raise errors.INVALID_DIGEST.error()
    expected = sign(credential.access_key_secret, string_to_sign(request))
    if not hmac.compare_digest(expected.encode("ascii"), signature.encode("ascii", "replace")):
        raise errors.SIGNATURE_DOES_NOT_MATCH.error()
    if credential.security_token:
        sent = request.header("security-token")
        if not sent or not hmac.compare_digest(sent.encode(), credential.security_token.encode()):
            raise errors.INVALID_SECURITY_TOKEN.error()
        if credential.expired:
            raise errors.SECURITY_TOKEN_EXPIRED.error()
    if not credential.permits(ram_action):
        raise errors.ACCESS_DENIED.error(
            f"The OwnerId that your Access Key Id associated to is forbidden for this operation ({ram_action})."
        )
    return credential


def _check_date(value: str) -> None:
    if not value:
        raise errors.MISSING_DATE.error()
    try:
        sent = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError):
        raise errors.INVALID_DATE.error() from None
    if abs(time.time() - sent) > MAX_SKEW_SECONDS:
        raise errors.TIME_EXPIRED.error()

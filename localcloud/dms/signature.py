"""ACS3-HMAC-SHA256 verification of requests signed by tea-openapi (wire-protocol notes §3.3).

Two quirks decide whether real SDK requests verify: the request line writes a space as `+` while the signature
used `%20`, so the query is form-decoded and re-encoded before hashing; and the SDK signs every header it held
(`accept`, `user-agent` ...), so canonical headers are rebuilt from the names the request says it signed.

Beyond the notes, and marked as assumptions in errors.py: the headers that carry the request's meaning
(`host`, action, version, date, nonce, payload hash, any other `x-acs-*`, `content-type`) must be among the
signed ones, otherwise a replayed or edited request could pass; and a token sent with a permanent AccessKey is
refused rather than ignored, so that a client holding stale STS settings finds out locally.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from calendar import timegm
from collections import OrderedDict
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote

from localcloud.credentials import Credential, CredentialStore
from localcloud.dms.errors import DmsError
from localcloud.wire import Request, ServiceError

ALGORITHM = "ACS3-HMAC-SHA256"
MAX_SKEW_SECONDS = 15 * 60
MUST_SIGN = ("host", "x-acs-action", "x-acs-version", "x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256")


@dataclass(frozen=True)
class Authorization:
    access_key_id: str
    signed_headers: tuple[str, ...]
    signature: str


def canonical_query(raw_query: str) -> str:
    """Decode as a form (`+` is a space), then encode as the signer did: only `A-Za-z0-9-_.~` stay bare."""
    pairs = sorted(parse_qsl(raw_query, keep_blank_values=True))
    return "&".join(f"{key}={quote(value, safe='~')}" for key, value in pairs)


def canonical_request(request: Request, signed_headers: tuple[str, ...], payload_hash: str) -> str:
    headers = "".join(f"{name}:{request.header(name).strip()}\n" for name in signed_headers)
    return "\n".join(
        [
            request.method,
            request.path,
            canonical_query(request.raw_query),
            headers,
            ";".join(signed_headers),
            payload_hash,
        ]
    )


def sign(secret: str, canonical: str) -> str:
    string_to_sign = f"{ALGORITHM}\n{hashlib.sha256(canonical.encode('utf-8')).hexdigest()}"
    return hmac.new(secret.encode("utf-8"), string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def parse_authorization(value: str) -> Authorization:
    scheme, _, rest = value.strip().partition(" ")
    if scheme != ALGORITHM:
        raise DmsError.INCOMPLETE_SIGNATURE.error(reason=f"the scheme must be {ALGORITHM}")
    parts: dict[str, str] = {}
    for item in rest.split(","):
        key, sep, val = item.strip().partition("=")
        if sep:
            parts[key] = val.strip()
    access_key_id, names, signature = parts.get("Credential"), parts.get("SignedHeaders"), parts.get("Signature")
    if not access_key_id or not names or not signature:
        raise DmsError.INCOMPLETE_SIGNATURE.error(reason="Credential, SignedHeaders and Signature are all required")
    signed = tuple(n.strip().lower() for n in names.split(";") if n.strip())
    return Authorization(access_key_id, signed, signature)


SECRET_HEADERS = frozenset({"x-acs-security-token"})


def signed_headers(request: Request) -> dict[str, str]:
    """The headers the request says it signed, as sent (a security token masked), so that the call log shows what a
    client put under its signature; empty when the Authorization header cannot be read (verify says why)."""
    try:
        names = parse_authorization(request.header("authorization")).signed_headers
    except ServiceError:
        return {}
    return {name: "***" if name in SECRET_HEADERS else request.header(name) for name in names}


def _require_signed(request: Request, signed: tuple[str, ...]) -> None:
    carried = [name for name in request.headers if name.startswith("x-acs-") or name == "content-type"]
    for name in (*MUST_SIGN, *carried):
        if name not in signed:
            raise DmsError.INCOMPLETE_SIGNATURE.error(reason=f"the header {name} must be signed")


class NonceBook:
    """Nonces seen within the skew window; a replayed request is refused even though its signature is valid.

    Bounded twice: entries leave after 15 minutes, and past `capacity` the oldest go first, so a benchmark
    cannot grow the emulator without limit (a replay of an evicted nonce then passes, which tests never need).
    """

    def __init__(self, capacity: int = 100_000) -> None:
        self._lock = threading.Lock()
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._capacity = capacity

    def use(self, nonce: str, now: float) -> bool:
        with self._lock:
            while self._seen:
                oldest, expires = next(iter(self._seen.items()))
                if expires > now:
                    break
                del self._seen[oldest]
            if nonce in self._seen:
                return False
            while len(self._seen) >= self._capacity:
                self._seen.popitem(last=False)
            self._seen[nonce] = now + MAX_SKEW_SECONDS
            return True

    def __len__(self) -> int:
        with self._lock:
            return len(self._seen)


def _check_date(value: str, now: float) -> None:
    """Against the real clock, not the emulator's: moving service time forward must not break signing."""
    try:
        sent = timegm(time.strptime(value, "%Y-%m-%dT%H:%M:%SZ"))
    except ValueError:
        raise DmsError.TIMESTAMP_FORMAT.error() from None
    if abs(now - sent) > MAX_SKEW_SECONDS:
        raise DmsError.TIMESTAMP_EXPIRED.error()


def _check_token(request: Request, credential: Credential) -> None:
    token = request.header("x-acs-security-token")
    if not credential.security_token:
        if token:
            raise DmsError.SECURITY_TOKEN_MISMATCH.error()
        return
    if not token:
        raise DmsError.MISSING_SECURITY_TOKEN.error()
    if not hmac.compare_digest(token.encode("utf-8"), credential.security_token.encode("utf-8")):
        raise DmsError.SECURITY_TOKEN_MISMATCH.error()
    if credential.expired:
        raise DmsError.SECURITY_TOKEN_EXPIRED.error()


def verify(request: Request, credentials: CredentialStore, nonces: NonceBook) -> Credential:
    """The calling credential, or the gateway error the real service would give, checked in §3.3's order."""
    header = request.header("authorization")
    if not header:
        raise DmsError.INCOMPLETE_SIGNATURE.error(reason="the Authorization header is missing")
    authorization = parse_authorization(header)
    _require_signed(request, authorization.signed_headers)
    credential = credentials.get(authorization.access_key_id)
    if credential is None:
        raise DmsError.INVALID_ACCESS_KEY_ID.error()
    named = request.header("x-acs-accesskey-id")
    if named and named != authorization.access_key_id:
        raise DmsError.INCOMPLETE_SIGNATURE.error(reason="x-acs-accesskey-id is not the AccessKey of the Credential")
    payload_hash = hashlib.sha256(request.body).hexdigest()
    if not hmac.compare_digest(request.header("x-acs-content-sha256").encode("utf-8"), payload_hash.encode()):
        raise DmsError.CONTENT_HASH_MISMATCH.error()
    expected = sign(
        credential.access_key_secret, canonical_request(request, authorization.signed_headers, payload_hash)
    )
    if not hmac.compare_digest(expected.encode("ascii"), authorization.signature.encode("utf-8")):
        raise DmsError.SIGNATURE_DOES_NOT_MATCH.error()
    now = time.time()
    _check_date(request.header("x-acs-date"), now)
    _check_token(request, credential)
    nonce = request.header("x-acs-signature-nonce")
    if not nonce:
        raise DmsError.MISSING_PARAMETER.error(name="SignatureNonce")
    if not nonces.use(nonce, now):
        raise DmsError.NONCE_USED.error()
    return credential

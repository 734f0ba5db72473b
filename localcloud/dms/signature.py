"""ACS3-HMAC-SHA256 verification, as the tea-openapi SDK signs (wire-protocol notes §3).

Two quirks decide whether real SDK requests verify: the request line writes spaces as `+` while the signature
used `%20`, so the query is decoded and re-encoded before hashing; and the SDK signs whatever headers it held
(`accept`, `user-agent` ...), so the canonical headers are rebuilt from the names the request says it signed.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from calendar import timegm
from urllib.parse import parse_qsl, quote

from localcloud.credentials import Credential, CredentialStore
from localcloud.dms import errors
from localcloud.wire import Request

ALGORITHM = "ACS3-HMAC-SHA256"
MAX_SKEW_SECONDS = 15 * 60


def canonical_query(raw_query: str) -> str:
    pairs = sorted(parse_qsl(raw_query, keep_blank_values=True))
    return "&".join(f"{key}={quote(value, safe='~')}" for key, value in pairs)


def canonical_request(request: Request, signed_headers: list[str], payload_hash: str) -> str:
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


def signature(secret: str, canonical: str) -> str:
    string_to_sign = f"{ALGORITHM}\n{hashlib.sha256(canonical.encode('utf-8')).hexdigest()}"
    return hmac.new(secret.encode("utf-8"), string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def parse_authorization(value: str) -> tuple[str, list[str], str]:
    """(AccessKey id, signed header names, signature) or IncompleteSignature."""
    scheme, _, rest = value.partition(" ")
    if scheme != ALGORITHM:
        raise errors.INCOMPLETE_SIGNATURE.error()
    parts: dict[str, str] = {}
    for item in rest.split(","):
        key, sep, val = item.strip().partition("=")
        if sep:
            parts[key] = val
    credential, names, sig = parts.get("Credential"), parts.get("SignedHeaders"), parts.get("Signature")
    if not credential or not names or not sig:
        raise errors.INCOMPLETE_SIGNATURE.error()
    return credential, [n.strip().lower() for n in names.split(";") if n.strip()], sig


class NonceBook:
    """Nonces seen in the last 15 minutes; a replayed request is refused even with a valid signature."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: dict[str, float] = {}
        self._next_prune = 0.0

    def use(self, nonce: str, now: float) -> bool:
        with self._lock:
            if now >= self._next_prune:
                self._seen = {n: t for n, t in self._seen.items() if t > now}
                self._next_prune = now + 60
            if self._seen.get(nonce, 0) > now:
                return False
            self._seen[nonce] = now + MAX_SKEW_SECONDS
            return True


def _check_date(value: str, now: float) -> None:
    try:
        sent = timegm(time.strptime(value, "%Y-%m-%dT%H:%M:%SZ"))
    except ValueError:
        raise errors.TIMESTAMP_FORMAT.error() from None
    if abs(now - sent) > MAX_SKEW_SECONDS:
        raise errors.TIMESTAMP_EXPIRED.error()


def verify(request: Request, credentials: CredentialStore, nonces: NonceBook) -> Credential:
    """The calling credential, or the gateway error the real service would give."""
    authorization = request.header("authorization")
    if not authorization:
        raise errors.INCOMPLETE_SIGNATURE.error("The Authorization header is missing.")
    access_key_id, signed_headers, sent_signature = parse_authorization(authorization)
    credential = credentials.get(access_key_id)
    if credential is None:
        raise errors.INVALID_ACCESS_KEY_ID.error()
    payload_hash = hashlib.sha256(request.body).hexdigest()
    if request.header("x-acs-content-sha256") != payload_hash:
        raise errors.CONTENT_HASH_MISMATCH.error()
    expected = signature(credential.access_key_secret, canonical_request(request, signed_headers, payload_hash))
    if not hmac.compare_digest(expected.encode("ascii"), sent_signature.encode("ascii", "replace")):
        raise errors.SIGNATURE_DOES_NOT_MATCH.error()
    now = time.time()
    _check_date(request.header("x-acs-date"), now)
    if credential.security_token:
        token = request.header("x-acs-security-token")
        if not token:
            raise errors.MISSING_SECURITY_TOKEN.error()
        if not hmac.compare_digest(token.encode(), credential.security_token.encode()):
            raise errors.SECURITY_TOKEN_MISMATCH.error()
        if credential.expired:
            raise errors.SECURITY_TOKEN_EXPIRED.error()
    nonce = request.header("x-acs-signature-nonce")
    if nonce and not nonces.use(nonce, now):
        raise errors.NONCE_USED.error()
    return credential

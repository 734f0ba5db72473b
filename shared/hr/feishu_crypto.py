"""Feishu (Lark) event subscription v2 crypto, from its published scheme.

With an Encrypt Key set, Feishu sends `{"encrypt": base64(iv + AES-256-CBC(event))}`, the key being SHA-256 of the
Encrypt Key, the IV 16 random bytes, the padding PKCS#7 on 16-byte blocks, and signs the push with
`X-Lark-Signature = sha256(timestamp + nonce + encrypt_key + raw body)` in hex: plain SHA-256, not an HMAC. The
official SDK (`lark-oapi`) imports its whole API surface to decrypt 30 lines' worth, so this is written here and
held to the vendor's vector (hr-sources.md §2.2 and §2.4).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from dataclasses import dataclass
from typing import Any

BLOCK = 16


class FeishuCryptoError(ValueError):
    """A push that is not Feishu's, or not under this app's keys: `reason` names what failed, never a secret."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class FeishuCrypto:
    encrypt_key: str

    def _cipher(self, iv: bytes) -> Any:
        from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

        return Cipher(algorithms.AES(hashlib.sha256(self.encrypt_key.encode("utf-8")).digest()), modes.CBC(iv))

    def signature(self, timestamp: str, nonce: str, body: bytes) -> str:
        return hashlib.sha256(
            (timestamp + nonce + self.encrypt_key).encode("utf-8", "surrogatepass") + body
        ).hexdigest()

    def verify(self, timestamp: str, nonce: str, body: bytes, received: str) -> None:
        """Raises FeishuCryptoError unless `received` is the push's X-Lark-Signature (compared in constant time)."""
        expected = self.signature(timestamp, nonce, body).encode()
        if not hmac.compare_digest(expected, received.strip().lower().encode("utf-8", "replace")):
            raise FeishuCryptoError("X-Lark-Signature does not match the Encrypt Key and the body")

    def decrypt(self, encrypt: str) -> str:
        try:
            sealed = base64.b64decode(encrypt, validate=True)
        except (binascii.Error, ValueError):
            raise FeishuCryptoError("encrypt: is not base64") from None
        if len(sealed) < 2 * BLOCK or len(sealed) % BLOCK:
            raise FeishuCryptoError("encrypt: is not an IV and whole AES blocks")
        decryptor = self._cipher(sealed[:BLOCK]).decryptor()
        plain: bytes = decryptor.update(sealed[BLOCK:]) + decryptor.finalize()
        pad = plain[-1]
        if not 1 <= pad <= BLOCK or plain[-pad:] != bytes([pad]) * pad:
            raise FeishuCryptoError("encrypt: bad padding (wrong Encrypt Key?)")
        try:
            return plain[:-pad].decode("utf-8")
        except UnicodeDecodeError:
            raise FeishuCryptoError("encrypt: the event is not UTF-8") from None

    def encrypt(self, message: str, iv: bytes | None = None) -> str:
        """`message` sealed as Feishu seals it; `iv` only for reproducing a published vector."""
        iv = os.urandom(BLOCK) if iv is None else iv
        body = message.encode("utf-8")
        pad = BLOCK - len(body) % BLOCK
        encryptor = self._cipher(iv).encryptor()
        sealed: bytes = encryptor.update(body + bytes([pad]) * pad) + encryptor.finalize()
        return base64.b64encode(iv + sealed).decode("ascii")

"""Feishu's event crypto, the sender's side, written from its published scheme (hr-sources.md §2.2).

The key is the SHA-256 of the Encrypt Key, the cipher AES-256-CBC with a random IV sent in front of the ciphertext,
padding PKCS#7 to 16 bytes, the body `{"encrypt": base64(iv + ciphertext)}`. The signature header is the plain
SHA-256 hex (not an HMAC) of timestamp + nonce + Encrypt Key, as UTF-8, followed by the raw body. §2.4 (a) is the
vector. `cryptography` is imported only when something is encrypted.
"""

from __future__ import annotations

import base64
import hashlib
import os
from typing import Any

BLOCK = 16


def signature(timestamp: str, nonce: str, encrypt_key: str, body: bytes) -> str:
    return hashlib.sha256((timestamp + nonce + encrypt_key).encode("utf-8") + body).hexdigest()


def _cipher(encrypt_key: str, iv: bytes) -> Any:
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    return Cipher(algorithms.AES(hashlib.sha256(encrypt_key.encode("utf-8")).digest()), modes.CBC(iv))


def encrypt(encrypt_key: str, plaintext: bytes, iv: bytes | None = None) -> str:
    vector = os.urandom(16) if iv is None else iv
    if len(vector) != 16:
        raise ValueError("the IV is 16 bytes")
    pad = BLOCK - len(plaintext) % BLOCK
    encryptor = _cipher(encrypt_key, vector).encryptor()
    sealed = encryptor.update(plaintext + bytes([pad]) * pad) + encryptor.finalize()
    return base64.b64encode(vector + sealed).decode("ascii")


def decrypt(encrypt_key: str, encrypted: str) -> bytes:
    """The plaintext; ValueError when it is not ciphertext under this key."""
    data = base64.b64decode(encrypted, validate=True)
    if len(data) < 32 or len(data) % BLOCK:
        raise ValueError("not an IV and whole AES blocks")
    decryptor = _cipher(encrypt_key, data[:16]).decryptor()
    plain: bytes = decryptor.update(data[16:]) + decryptor.finalize()
    pad = plain[-1]
    if not 1 <= pad <= BLOCK or plain[-pad:] != bytes([pad]) * pad:
        raise ValueError("bad padding")
    return plain[:-pad]

"""DingTalk's callback crypto, written from its published scheme so the local cloud can push as DingTalk does.

This is the sender's side (the product has its own receiver in shared/hr/; the two are kept apart on purpose, so a
shared mistake cannot make them agree with each other and disagree with DingTalk). The scheme (hr-sources.md §1.3):
`AESKey = base64(EncodingAESKey + "=")`, AES-256-CBC with the key's first 16 bytes as IV, plaintext
`random(16) + len(4, big-endian) + message + owner key`, PKCS#7 padded to 32-byte blocks as DingTalk's Java class
pads; the signature is the SHA-1 hex of the four values token, timestamp, nonce and ciphertext, sorted and joined.
The published vector (§1.5 a) pins all of it down, given the same random prefix.

`cryptography` is imported only when something is encrypted: the local cloud starts with the standard library alone.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import struct
from typing import Any

BLOCK = 32


class DingTalkCipherError(ValueError):
    """Ciphertext that does not decrypt to DingTalk's layout under this key."""


def signature(token: str, timestamp: str, nonce: str, encrypt: str) -> str:
    joined = "".join(sorted((token, timestamp, nonce, encrypt)))
    return hashlib.sha1(joined.encode("utf-8")).hexdigest()  # noqa: S324 - DingTalk's scheme is SHA-1


def aes_key(encoding_aes_key: str) -> bytes:
    key = base64.b64decode(encoding_aes_key + "=")
    if len(key) != 32:
        raise ValueError("the EncodingAESKey must be 43 base64 characters (32 bytes of key)")
    return key


def _cipher(key: bytes) -> Any:
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    return Cipher(algorithms.AES(key), modes.CBC(key[:16]))


def encrypt(encoding_aes_key: str, message: bytes, owner_key: str, random_prefix: bytes | None = None) -> str:
    prefix = os.urandom(16) if random_prefix is None else random_prefix
    if len(prefix) != 16:
        raise ValueError("the random prefix is 16 bytes")
    plain = prefix + struct.pack(">I", len(message)) + message + owner_key.encode("utf-8")
    pad = BLOCK - len(plain) % BLOCK
    plain += bytes([pad]) * pad
    encryptor = _cipher(aes_key(encoding_aes_key)).encryptor()
    return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode("ascii")


def decrypt(encoding_aes_key: str, encrypted: str) -> tuple[bytes, str]:
    """(message, owner key) of a ciphertext in DingTalk's layout; DingTalkCipherError for anything else."""
    try:
        data = base64.b64decode(encrypted, validate=True)
    except (binascii.Error, ValueError):
        raise DingTalkCipherError("not base64") from None
    if not data or len(data) % 16:
        raise DingTalkCipherError("not whole AES blocks")
    decryptor = _cipher(aes_key(encoding_aes_key)).decryptor()
    plain: bytes = decryptor.update(data) + decryptor.finalize()
    pad = plain[-1]
    if not 1 <= pad <= BLOCK or plain[-pad:] != bytes([pad]) * pad:
        raise DingTalkCipherError("bad padding")
    body = plain[16:-pad]
    if len(body) < 4:
        raise DingTalkCipherError("too short")
    (length,) = struct.unpack(">I", body[:4])
    if length > len(body) - 4:
        raise DingTalkCipherError("length beyond the message")
    try:
        owner = body[4 + length :].decode("utf-8")
    except UnicodeDecodeError:
        raise DingTalkCipherError("owner key is not text") from None
    return body[4 : 4 + length], owner

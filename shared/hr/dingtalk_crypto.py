"""DingTalk's callback crypto for an internal app's HTTP event subscription, from its published scheme.

DingTalk signs every push with `sha1(sort(token, timestamp, nonce, encrypt))` and encrypts its JSON with AES-256-CBC
under `AESKey = base64(EncodingAESKey + "=")`, the IV being the key's first 16 bytes. The plaintext is 16 random
bytes, the message length (4 bytes, network order), the message, and the owner key (the app key of an internal
app), padded PKCS#7 to a 32-byte block: DingTalk's own Java class pads to 32, so a 16-byte unpadder refuses its
messages. Replies (`success`, and the `check_url` handshake) go back encrypted and signed the same way.

The official sample (`DingCallbackCrypto3.py`) prints secrets, compares signatures in variable time and never looks
at the timestamp; this does none of that, and takes the freshness window as a parameter. Facts and test vectors:
hr-sources.md §1.3 and §1.5.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import struct
from dataclasses import dataclass
from typing import Any

from shared.hr.timestamps import fresh

__all__ = ["BLOCK", "DingTalkCrypto", "DingTalkCryptoError", "fresh", "signature"]

BLOCK = 32
KEY_SHAPE = re.compile(r"[A-Za-z0-9]{43}")


class DingTalkCryptoError(ValueError):
    """A push that is not DingTalk's, or not for this app: `reason` names what failed, never a secret."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def signature(token: str, timestamp: str, nonce: str, encrypt: str) -> str:
    text = "".join(sorted((token, timestamp, nonce, encrypt))).encode("utf-8", "surrogatepass")
    return hashlib.sha1(text).hexdigest()  # noqa: S324


@dataclass(frozen=True)
class DingTalkCrypto:
    token: str
    encoding_aes_key: str
    """The 43-character EncodingAESKey of the app's event subscription."""
    owner_key: str
    """The app key of an internal app (a corp id for the old register_call_back API, a suite key for ISV apps)."""

    def __post_init__(self) -> None:
        if not KEY_SHAPE.fullmatch(self.encoding_aes_key):
            raise ValueError("DINGTALK_AES_KEY: must be the 43 letters and digits of the EncodingAESKey")

    @property
    def _key(self) -> bytes:
        return base64.b64decode(self.encoding_aes_key + "=")

    def _cipher(self) -> Any:
        from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

        key = self._key
        return Cipher(algorithms.AES(key), modes.CBC(key[:16]))

    def verify(self, timestamp: str, nonce: str, encrypt: str, received: str) -> None:
        """Raises DingTalkCryptoError unless `received` is the signature of this push (compared in constant time)."""
        expected = signature(self.token, timestamp, nonce, encrypt)
        if not hmac.compare_digest(expected.encode(), received.strip().lower().encode("utf-8", "replace")):
            raise DingTalkCryptoError("the signature does not match the token and the message")

    def decrypt(self, encrypt: str) -> str:
        """The message DingTalk encrypted; DingTalkCryptoError for a bad ciphertext, padding or owner key."""
        try:
            sealed = base64.b64decode(encrypt, validate=True)
        except (binascii.Error, ValueError):
            raise DingTalkCryptoError("encrypt: is not base64") from None
        if not sealed or len(sealed) % 16:
            raise DingTalkCryptoError("encrypt: is not a whole number of AES blocks")
        decryptor = self._cipher().decryptor()
        plain: bytes = decryptor.update(sealed) + decryptor.finalize()
        pad = plain[-1]
        if not 1 <= pad <= BLOCK or plain[-pad:] != bytes([pad]) * pad:
            raise DingTalkCryptoError("encrypt: bad padding (wrong EncodingAESKey?)")
        plain = plain[:-pad]
        if len(plain) < 20:
            raise DingTalkCryptoError("encrypt: too short to hold a message")
        (length,) = struct.unpack(">I", plain[16:20])
        message, owner = plain[20 : 20 + length], plain[20 + length :]
        if len(message) != length:
            raise DingTalkCryptoError("encrypt: the message length does not fit the plaintext")
        if not hmac.compare_digest(owner, self.owner_key.encode("utf-8")):
            raise DingTalkCryptoError("encrypt: for another app (owner key does not match DINGTALK_APP_KEY)")
        try:
            return message.decode("utf-8")
        except UnicodeDecodeError:
            raise DingTalkCryptoError("encrypt: the message is not UTF-8") from None

    def encrypt(self, message: str, prefix: bytes | None = None) -> str:
        """`message` sealed as DingTalk seals it; `prefix` (16 bytes) only for reproducing a published vector."""
        random16 = os.urandom(16) if prefix is None else prefix
        if len(random16) != 16:
            raise ValueError("prefix: must be 16 bytes")
        body = message.encode("utf-8")
        plain = random16 + struct.pack(">I", len(body)) + body + self.owner_key.encode("utf-8")
        pad = BLOCK - len(plain) % BLOCK
        encryptor = self._cipher().encryptor()
        sealed: bytes = encryptor.update(plain + bytes([pad]) * pad) + encryptor.finalize()
        return base64.b64encode(sealed).decode("ascii")

    def open(self, timestamp: str, nonce: str, encrypt: str, received: str) -> str:
        """Verify, then decrypt: the plaintext JSON of one push."""
        self.verify(timestamp, nonce, encrypt, received)
        return self.decrypt(encrypt)

    def reply(self, message: str, timestamp: str, nonce: str, prefix: bytes | None = None) -> dict[str, str]:
        """The encrypted, signed answer DingTalk expects (`success` to every event, and to `check_url`)."""
        sealed = self.encrypt(message, prefix)
        return {
            "msg_signature": signature(self.token, timestamp, nonce, sealed),
            "timeStamp": timestamp,
            "nonce": nonce,
            "encrypt": sealed,
        }

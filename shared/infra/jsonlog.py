"""Structured logs: one JSON object per line on stdout, which FC ships to SLS as is.

Every line carries the correlation id that follows an event from trigger to outcome. Values under keys that
name secrets are replaced before anything is written, wherever they sit in the record, so a careless call
site cannot leak an AccessKey secret or an STS token; mobiles are masked by their own type before they get here.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Mapping
from typing import IO, Any

REDACTED = "[redacted]"
SECRET_KEYS = frozenset(
    {
        "accesskeysecret",
        "alibabacloudaccesskeysecret",
        "securitytoken",
        "alibabacloudsecuritytoken",
        "ststoken",
        "authorization",
        "signature",
        "xsignature",
        "webhooksecret",
        "secret",
        "clientsecret",
        "appsecret",
        "password",
        "passwd",
        "token",
        "accesstoken",
        "verificationtoken",
        "privatekey",
        "apikey",
        "aeskey",
        "encodingaeskey",
        "encryptkey",
    }
)
"""Keys as `_normal` spells them (lower case, no `_` or `-`): `access_key_secret`, `AccessKeySecret` and
`access-key-secret` are one key. At least every key scripts/scan_logs.py flags, which a test checks."""


def _normal(key: str) -> str:
    return key.lower().replace("_", "").replace("-", "")


def redact(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: REDACTED if _normal(str(k)) in SECRET_KEYS else redact(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(v) for v in value]
    return value


class JsonLogger:
    def __init__(self, name: str, stream: IO[str] | None = None, **static: Any) -> None:
        self.name = name
        self._stream = stream
        self._static = static
        self._lock = threading.Lock()

    def bind(self, **fields: Any) -> JsonLogger:
        """A logger that adds `fields` (say the correlation id) to every line."""
        child = JsonLogger(self.name, self._stream, **{**self._static, **fields})
        child._lock = self._lock
        return child

    def _write(self, level: str, message: str, fields: Mapping[str, Any]) -> None:
        record = {"time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()), "level": level, "logger": self.name}
        record["message"] = message
        record.update(redact({**self._static, **fields}))
        line = json.dumps(record, ensure_ascii=False, default=str, separators=(",", ":"))
        stream = self._stream or sys.stdout
        with self._lock:
            stream.write(line + "\n")
            stream.flush()

    def info(self, message: str, **fields: Any) -> None:
        self._write("INFO", message, fields)

    def warning(self, message: str, **fields: Any) -> None:
        self._write("WARNING", message, fields)

    def error(self, message: str, **fields: Any) -> None:
        self._write("ERROR", message, fields)


def get_logger(name: str, **static: Any) -> JsonLogger:
    return JsonLogger(name, **static)

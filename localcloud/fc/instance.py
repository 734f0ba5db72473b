"""One function instance in its own process, as FC runs one: `python .../instance.py CODE HANDLER [PATH...]`.

Run as a script, not a module, so the function sees its code package and nothing of the local cloud.

The parent sends length-prefixed JSON frames on stdin ({"event": base64, "context": {...}}) and reads frames
back on the original stdout; the function's own prints and logs go to stderr, as they would to FC's log.
Credentials reach the handler both ways FC offers them: `context.credentials` and ALIBABA_CLOUD_* variables.
"""

from __future__ import annotations

import base64
import importlib
import json
import os
import struct
import sys
import traceback
from types import SimpleNamespace
from typing import IO, Any


def read_frame(stream: IO[bytes]) -> dict[str, Any] | None:
    header = stream.read(4)
    if len(header) < 4:
        return None
    (length,) = struct.unpack(">I", header)
    return dict(json.loads(stream.read(length)))


def write_frame(stream: IO[bytes], document: dict[str, Any]) -> None:
    data = json.dumps(document).encode("utf-8")
    stream.write(struct.pack(">I", len(data)) + data)
    stream.flush()


def context_from(data: dict[str, Any]) -> SimpleNamespace:
    credentials = SimpleNamespace(
        access_key_id=os.environ.get("ALIBABA_CLOUD_ACCESS_KEY_ID", ""),
        access_key_secret=os.environ.get("ALIBABA_CLOUD_ACCESS_KEY_SECRET", ""),
        security_token=os.environ.get("ALIBABA_CLOUD_SECURITY_TOKEN", ""),
    )
    function = SimpleNamespace(
        name=os.environ.get("FC_FUNCTION_NAME", ""),
        handler=os.environ.get("FC_FUNCTION_HANDLER", ""),
        memory=int(os.environ.get("FC_FUNCTION_MEMORY_SIZE", "512")),
        timeout=int(os.environ.get("FC_TIMEOUT", "3")),
    )
    return SimpleNamespace(
        request_id=data.get("request_id", ""),
        credentials=credentials,
        function=function,
        region=os.environ.get("FC_REGION", ""),
        account_id=os.environ.get("FC_ACCOUNT_ID", ""),
    )


def encode_result(result: Any) -> dict[str, Any]:
    if isinstance(result, bytes):
        return {"bytes": base64.b64encode(result).decode("ascii")}
    return {"json": result}


def main(argv: list[str]) -> int:
    code, handler_name = argv[0], argv[1]
    protocol_out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    if sys.path and os.path.dirname(os.path.abspath(__file__)) == os.path.abspath(sys.path[0]):
        del sys.path[0]
    sys.path[:0] = [code, os.path.join(code, "python"), *argv[2:]]
    module_name, _, attribute = handler_name.rpartition(".")
    handler = getattr(importlib.import_module(module_name), attribute)
    write_frame(protocol_out, {"ready": True})
    stdin = sys.stdin.buffer
    while True:
        frame = read_frame(stdin)
        if frame is None:
            return 0
        try:
            result = handler(base64.b64decode(frame["event"]), context_from(frame.get("context", {})))
            write_frame(protocol_out, {"ok": True, **encode_result(result)})
        except Exception as error:  # an unhandled function error, reported as FC does
            traceback.print_exc()
            write_frame(protocol_out, {"ok": False, "error": f"{type(error).__name__}: {error}"})


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""One function instance as FC runs one: a process of its own, one invocation at a time, restarted after it dies.

The child is `instance.py` (run as a script, so the function sees its code package and nothing of the local cloud);
events and answers travel as length-prefixed JSON frames on its stdin and stdout, and its stderr is its log.
"""

from __future__ import annotations

import base64
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from localcloud.fc.api import InvocationError
from localcloud.fc.instance import read_frame, write_frame
from localcloud.fc.spec import FunctionSpec


def new_request_id() -> str:
    """An FC-style request id (`1-<8 hex>-<24 hex>`)."""
    return "1-" + uuid.uuid4().hex[:8] + "-" + uuid.uuid4().hex[:24]


@dataclass
class FunctionInstance:
    spec: FunctionSpec
    code: Path
    environment: dict[str, str]
    extra_path: list[str] = field(default_factory=list)
    log: Callable[[str], None] = lambda line: None
    _process: subprocess.Popen[bytes] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _start(self) -> subprocess.Popen[bytes]:
        script = Path(__file__).with_name("instance.py")
        command = [sys.executable, str(script), str(self.code), self.spec.handler, *self.extra_path]
        process = subprocess.Popen(  # noqa: S603
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=self.environment,
            cwd=str(self.code),
        )
        threading.Thread(target=self._pump_logs, args=(process,), daemon=True).start()
        assert process.stdout is not None
        ready = read_frame(process.stdout)
        if not ready or not ready.get("ready"):
            process.kill()
            raise InvocationError(f"{self.spec.function_name}: the instance did not start (see its log)")
        return process

    def _pump_logs(self, process: subprocess.Popen[bytes]) -> None:
        assert process.stderr is not None
        for raw in process.stderr:
            self.log(raw.decode("utf-8", "replace").rstrip("\n"))

    def invoke(self, event: bytes, request_id: str | None = None) -> object:
        """The handler's return value (JSON data, or bytes); InvocationError when it raised, as FC reports a
        function error."""
        with self._lock:
            if self._process is None or self._process.poll() is not None:
                self._process = self._start()
            process = self._process
            assert process.stdin is not None
            assert process.stdout is not None
            frame = {
                "event": base64.b64encode(event).decode(),
                "context": {"request_id": request_id or new_request_id()},
            }
            try:
                write_frame(process.stdin, frame)
                answer = read_frame(process.stdout)
            except (BrokenPipeError, OSError) as error:
                self._process = None
                raise InvocationError(f"{self.spec.function_name}: instance crashed: {error}") from error
            if answer is None:
                self._process = None
                raise InvocationError(f"{self.spec.function_name}: instance exited during the invocation")
        if not answer.get("ok"):
            raise InvocationError(str(answer.get("error")))
        if "bytes" in answer:
            return base64.b64decode(answer["bytes"])
        result: object = answer.get("json")
        return result

    @property
    def pid(self) -> int | None:
        """The live process's id; None when none runs."""
        process = self._process
        return process.pid if process is not None and process.poll() is None else None

    def kill(self) -> bool:
        """SIGKILL the instance mid-invocation, as an out-of-memory kill or a host failure would; no lock, since
        the invocation that holds it is what is being killed. The next invocation starts a new instance."""
        process = self._process
        if process is None or process.poll() is not None:
            return False
        process.kill()
        return True

    def stop(self) -> None:
        with self._lock:
            if self._process is not None and self._process.poll() is None:
                assert self._process.stdin is not None
                self._process.stdin.close()
                try:
                    self._process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self._process.kill()
            self._process = None

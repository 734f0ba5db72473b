"""The local cloud as a child process: how the demo and benchmarks run it apart from the code they measure."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

REQUIRED = ("MNS_ENDPOINT", "DMS_ENDPOINT", "DMS_ENTERPRISE_ENDPOINT", "LOCALCLOUD_CONTROL_URL")
DEV_REQUIRED = (
    "WEBHOOK_URL",
    "WEBHOOK_SECRET",
    "INPUT_QUEUE",
    "RESULT_TOPIC",
    "DEAD_LETTER_QUEUE",
    "PARKING_QUEUE",
    "HOLD_QUEUE",
    "TABLESTORE_ENDPOINT",
    "TABLESTORE_INSTANCE",
)
ROOT = Path(__file__).resolve().parent.parent


class LocalCloudProcess:
    """`python -m localcloud serve` (or `dev`) on free ports; `env` holds the NAME=value lines it printed."""

    def __init__(
        self,
        extra_args: Sequence[str] = (),
        start_timeout: float = 30.0,
        command: str = "serve",
        stderr: Path | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        ports = ["--mns-port", "0", "--dms-port", "0", "--dms-enterprise-port", "0", "--tablestore-port", "0"]
        ports += ["--dingtalk-port", "0", "--ram-port", "0"]
        command_line = [sys.executable, "-m", "localcloud", command, "--env-only", *ports, *extra_args]
        required = REQUIRED + (DEV_REQUIRED if command == "dev" else ())
        self._stderr = stderr.open("w", encoding="utf-8") if stderr is not None else None
        self.process = subprocess.Popen(  # noqa: S603
            command_line,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            env=None if environ is None else dict(environ),
        )
        self.env: dict[str, str] = {}
        assert self.process.stdout is not None
        deadline = time.monotonic() + start_timeout
        while not all(name in self.env for name in required):
            line = self.process.stdout.readline()
            if not line or time.monotonic() > deadline:
                self.process.kill()
                raise RuntimeError(f"the local cloud did not start; run `python -m localcloud {command}` to see why")
            name, _, value = line.strip().partition("=")
            self.env[name] = value

    def stop(self, timeout: float = 10.0) -> int:
        """Ctrl-C, as a person would; returns the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()
        finally:
            if self._stderr is not None:
                self._stderr.close()

    def __enter__(self) -> LocalCloudProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

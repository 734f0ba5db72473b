"""The local cloud as a child process: how the demo and benchmarks run it apart from the code they measure."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

REQUIRED = ("MNS_ENDPOINT", "DMS_ENDPOINT", "DMS_ENTERPRISE_ENDPOINT", "LOCALCLOUD_CONTROL_URL")
ROOT = Path(__file__).resolve().parent.parent


class LocalCloudProcess:
    """`python -m localcloud serve` on free ports; `env` holds the NAME=value lines it printed."""

    def __init__(self, extra_args: Sequence[str] = (), start_timeout: float = 20.0) -> None:
        command = [
            sys.executable,
            "-m",
            "localcloud",
            "serve",
            "--env-only",
            "--mns-port",
            "0",
            "--dms-port",
            "0",
            "--dms-enterprise-port",
            "0",
            *extra_args,
        ]
        self.process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)  # noqa: S603
        self.env: dict[str, str] = {}
        assert self.process.stdout is not None
        deadline = time.monotonic() + start_timeout
        while not all(name in self.env for name in REQUIRED):
            line = self.process.stdout.readline()
            if not line or time.monotonic() > deadline:
                self.process.kill()
                raise RuntimeError("the local cloud did not start; run `python -m localcloud serve` to see why")
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

    def __enter__(self) -> LocalCloudProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

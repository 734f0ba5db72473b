"""The official Node.js SDKs of tests/node, run as a second client against the session's local cloud.

`make venv` installs them (`npm ci --prefix tests/node`). Tests that use them are skipped only where no
`node` is on PATH; with node present and the packages missing they fail, naming the command that installs them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from localcloud import LocalCloud

NODE_DIR = Path(__file__).resolve().parents[1] / "node"
NODE = shutil.which("node")

requires_node = pytest.mark.skipif(NODE is None and not os.environ.get("CI"), reason="node is not on PATH")


def run_node(cloud: LocalCloud, script: str, *args: str) -> dict[str, Any]:
    """Run a script of tests/node with the cloud's client environment; its stdout is one JSON object."""
    if NODE is None or not (NODE_DIR / "node_modules" / "@alicloud").is_dir():
        pytest.fail(f"the Node.js packages are not installed: run `make venv` (npm ci --prefix {NODE_DIR})")
    completed = subprocess.run(
        [NODE, str(NODE_DIR / script), *args],
        cwd=NODE_DIR,
        env={**os.environ, "NO_PROXY": "127.0.0.1,localhost", **cloud.client_env()},
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    result: dict[str, Any] = json.loads(completed.stdout)
    return result

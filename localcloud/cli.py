"""`python -m localcloud serve`: the local cloud in the foreground until Ctrl-C."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence

from localcloud.app import LocalCloud
from localcloud.config import DMS_ERROR_STYLES, LocalCloudConfig


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m localcloud", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser(
        "serve",
        help="run MNS and DMS emulators on loopback",
        description="Every flag also reads LOCALCLOUD_<NAME> from the environment (flags win).",
    )
    serve.add_argument("--host", help="loopback address to listen on (default 127.0.0.1)")
    serve.add_argument("--mns-port", type=int, help="MNS port (default 9911; 0 = any free port)")
    serve.add_argument("--dms-port", type=int, help="DMS 2025-04-14 port (default 9912)")
    serve.add_argument("--dms-enterprise-port", type=int, help="DMS Enterprise 2018-11-01 port (default 9913)")
    serve.add_argument("--region", help="region the emulators claim to be (default cn-hangzhou)")
    serve.add_argument("--account-id", help="account id in MNS endpoints and notifications")
    serve.add_argument("--access-key-id", help="AccessKey id accepted (default STS.LocalCloudAccessKeyId)")
    serve.add_argument("--access-key-secret", help="its secret")
    serve.add_argument("--security-token", help="its STS token; empty for a plain AccessKey")
    serve.add_argument("--dms-tid", type=int, help="default DMS tenant id (default 10001)")
    serve.add_argument("--dms-error-style", choices=DMS_ERROR_STYLES, help="how DMS business errors travel")
    serve.add_argument("--fault-seed", type=int, help="seed for probabilistic faults, for repeatable runs")
    serve.add_argument("--seed-file", help="JSON seed: tenants, workspaces, credentials, queues, topics")
    serve.add_argument("--verbose", action="store_true", default=None, help="print one line per API call")
    serve.add_argument("--env-only", action="store_true", help="print only NAME=value lines, for eval or .env")
    return parser


def serve(args: argparse.Namespace) -> int:
    overrides = {k: v for k, v in vars(args).items() if k not in ("command", "env_only")}
    try:
        config = LocalCloudConfig.from_env(**overrides)
        cloud = LocalCloud(config).start()
    except (ValueError, OSError) as error:
        print(f"localcloud: {error}", file=sys.stderr)
        return 2
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    if not args.env_only:
        print("localcloud: MNS and DMS emulators on loopback. Point a client at them with:", flush=True)
    for name, value in cloud.client_env().items():
        print(f"{name}={value}", flush=True)
    if not args.env_only:
        print(f"localcloud: control plane at {cloud.control_url}/state ; Ctrl-C stops.", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        cloud.stop()
        if not args.env_only:
            print("localcloud: stopped.", flush=True)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "serve":
        return serve(args)
    return 2

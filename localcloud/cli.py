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
        help="run the MNS, DMS, Tablestore, DingTalk and RAM emulators on loopback",
        description="Every flag also reads LOCALCLOUD_<NAME> from the environment (flags win).",
    )
    serve.add_argument("--host", help="loopback address to listen on (default 127.0.0.1)")
    serve.add_argument("--mns-port", type=int, help="MNS port (default 9911; 0 = any free port)")
    serve.add_argument("--dms-port", type=int, help="DMS 2025-04-14 port (default 9912)")
    serve.add_argument("--dms-enterprise-port", type=int, help="DMS Enterprise 2018-11-01 port (default 9913)")
    serve.add_argument("--tablestore-port", type=int, help="Tablestore port (default 9914)")
    serve.add_argument("--tablestore-instance", help="the Tablestore instance name served (default localcloud)")
    serve.add_argument("--dingtalk-port", type=int, help="DingTalk open API port (default 9915)")
    serve.add_argument("--ram-port", type=int, help="RAM 2015-05-01 port (default 9916)")
    serve.add_argument("--region", help="region the emulators claim to be (default cn-hangzhou)")
    serve.add_argument("--account-id", help="account id in MNS endpoints and notifications")
    serve.add_argument("--access-key-id", help="AccessKey id accepted (default STS.LocalCloudAccessKeyId)")
    serve.add_argument("--access-key-secret", help="its secret")
    serve.add_argument("--security-token", help="its STS token; empty for a plain AccessKey")
    serve.add_argument("--dms-tid", type=int, help="default DMS tenant id (default 10001)")
    serve.add_argument("--dms-error-style", choices=DMS_ERROR_STYLES, help="how DMS business errors travel")
    serve.add_argument("--dms-quota", type=float, help="calls per second each DMS API admits, account-wide")
    serve.add_argument("--dingtalk-app-key", help="the DingTalk app's AppKey (the owner key of its pushes)")
    serve.add_argument("--dingtalk-app-secret", help="its AppSecret")
    serve.add_argument("--dingtalk-corp-id", help="the DingTalk organisation's CorpId")
    serve.add_argument("--dingtalk-token", help="the DingTalk event subscription's Token")
    serve.add_argument("--dingtalk-aes-key", help="its EncodingAESKey (43 letters and digits)")
    serve.add_argument("--feishu-encrypt-key", help="the Feishu app's Encrypt Key")
    serve.add_argument("--feishu-verification-token", help="its Verification Token")
    serve.add_argument("--feishu-app-id", help="its App ID")
    serve.add_argument("--fault-seed", type=int, help="seed for probabilistic faults, for repeatable runs")
    serve.add_argument("--seed-file", help="JSON seed: tenants, workspaces, credentials, queues, topics")
    serve.add_argument("--verbose", action="store_true", default=None, help="print one line per API call")
    serve.add_argument("--env-only", action="store_true", help="print only NAME=value lines, for eval or .env")
    dev = commands.add_parser(
        "dev",
        help="the local cloud, seeded, with every function of s.yaml running on it",
        description="Ports are free ones unless given; LOCALCLOUD_* variables apply as for serve.",
    )
    dev.add_argument("--s-yaml", default="s.yaml", help="the Serverless Devs file (default s.yaml)")
    dev.add_argument("--seed-file", default="deploy/local-seed.json", help="queues, topics, workspaces to create")
    dev.add_argument("--built", action="store_true", help="run the packages `make build` made, not the source")
    dev.add_argument("--no-timers", action="store_true", help="fire timer triggers only on demand")
    dev.add_argument("--mns-port", type=int, default=0)
    dev.add_argument("--dms-port", type=int, default=0)
    dev.add_argument("--dms-enterprise-port", type=int, default=0)
    dev.add_argument("--tablestore-port", type=int, default=0)
    dev.add_argument("--dingtalk-port", type=int, default=0)
    dev.add_argument("--ram-port", type=int, default=0)
    dev.add_argument("--env-only", action="store_true", help="print only NAME=value lines")
    dev.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="set a variable for every function, over s.yaml's (repeatable), e.g. --env DRY_RUN=true",
    )
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
        print("localcloud: emulators on loopback. Point a client at them with:", flush=True)
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


def _wait_for_stop() -> None:
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    while not stop.wait(0.5):
        pass


def dev(args: argparse.Namespace) -> int:
    from localcloud.fc.dev import DevEnvironment
    from localcloud.process import ROOT

    ports = {
        "mns_port": args.mns_port,
        "dms_port": args.dms_port,
        "dms_enterprise_port": args.dms_enterprise_port,
        "tablestore_port": args.tablestore_port,
        "dingtalk_port": args.dingtalk_port,
        "ram_port": args.ram_port,
    }
    extra_env: dict[str, str] = {}
    for item in args.env:
        name, sep, value = item.partition("=")
        if not sep or not name:
            print(f"localcloud: --env {item!r}: expected NAME=VALUE", file=sys.stderr)
            return 2
        extra_env[name] = value
    try:
        environment = DevEnvironment(
            ROOT,
            LocalCloudConfig.from_env(**ports),
            s_yaml=args.s_yaml,
            seed_file=args.seed_file,
            built=args.built,
            timers=not args.no_timers,
            extra_env=extra_env,
        ).start()
    except (ValueError, OSError) as error:
        print(f"localcloud: {error}", file=sys.stderr)
        return 2
    env = environment.env()
    for name, value in env.items():
        print(f"{name}={value}", flush=True)
    if not args.env_only:
        print(
            "\nlocalcloud: functions running. Send an event, e.g.:\n"
            "  body=$(cat events/hr/hired-mapping-only.json); ts=$(date +%s)\n"
            '  sig=$(printf \'%s.%s\' "$ts" "$body" | openssl dgst -sha256 -hmac "$WEBHOOK_SECRET" | cut -d\' \' -f2)\n'
            '  curl -s "$WEBHOOK_URL/events" -H "Content-Type: application/json" -H "X-Timestamp: $ts" '
            '-H "X-Signature: sha256=$sig" --data-binary "$body"\n'
            "Ctrl-C stops everything.",
            flush=True,
        )
    try:
        _wait_for_stop()
    finally:
        environment.stop()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "serve":
        return serve(args)
    if args.command == "dev":
        return dev(args)
    return 2

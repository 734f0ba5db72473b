"""`python -m soak` (`make soak`): the chaos soak; prints its figures and, last, `violations: N`."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from soak.run import SoakOptions, recheck, run


def main(argv: Sequence[str] | None = None) -> int:
    defaults = SoakOptions()
    parser = argparse.ArgumentParser(prog="python -m soak", description=__doc__)
    parser.add_argument("--events", type=int, default=defaults.events, help="sends in all (default %(default)s)")
    parser.add_argument("--people", type=int, default=defaults.people, help="lives to send instead (0: fill --events)")
    parser.add_argument("--duplicates", type=float, default=defaults.duplicates, help="share of exact duplicates")
    parser.add_argument("--invalid", type=float, default=defaults.invalid, help="share of invalid events")
    parser.add_argument("--poison", type=float, default=defaults.poison, help="share of poison events")
    parser.add_argument("--dms-faults", type=float, default=defaults.dms_faults, help="chance a DMS call meets a fault")
    parser.add_argument("--mns-faults", type=float, default=defaults.mns_faults, help="chance a send or publish does")
    parser.add_argument(
        "--tablestore-faults", type=float, default=defaults.tablestore_faults, help="chance a register call does"
    )
    parser.add_argument(
        "--crashes", type=int, default=defaults.crashes, help="worker crashes after each dangerous call, at most"
    )
    parser.add_argument("--clients", type=int, default=defaults.clients, help="concurrent senders")
    parser.add_argument("--dms-qps", type=int, default=defaults.dms_qps, help="the functions' DMS_QPS")
    parser.add_argument("--lease-seconds", type=int, default=defaults.lease_seconds, help="LEASE_SECONDS")
    parser.add_argument(
        "--leaver-action", choices=("disable", "delete"), default=defaults.leaver_action, help="LEAVER_ACTION"
    )
    parser.add_argument(
        "--leaver-limit", type=int, default=defaults.leaver_limit, help="LEAVER_LIMIT (0: a sixth of the leaves)"
    )
    parser.add_argument("--seed", type=int, default=defaults.seed, help="workload seed")
    parser.add_argument("--time-limit", type=float, default=defaults.time_limit, help="seconds before giving up")
    parser.add_argument("--log", type=Path, default=defaults.log_path, help="where the functions' log goes")
    parser.add_argument("--json", type=Path, help="also write the figures and violations here")
    parser.add_argument("--recheck", type=Path, metavar="EVIDENCE", help="only check the evidence a run kept")
    args = parser.parse_args(argv)
    if args.recheck:
        found = recheck(args.recheck)
        for violation in found:
            print(f"VIOLATION {violation}")
        print(f"violations: {len(found)}")
        return 1 if found else 0
    options = SoakOptions(
        events=args.events,
        people=args.people,
        duplicates=args.duplicates,
        invalid=args.invalid,
        poison=args.poison,
        dms_faults=args.dms_faults,
        mns_faults=args.mns_faults,
        tablestore_faults=args.tablestore_faults,
        crashes=args.crashes,
        clients=args.clients,
        dms_qps=args.dms_qps,
        lease_seconds=args.lease_seconds,
        leaver_action=args.leaver_action,
        leaver_limit=args.leaver_limit,
        seed=args.seed,
        time_limit=args.time_limit,
        log_path=args.log,
    )
    result = run(options, progress=lambda line: print(line, flush=True))
    print()
    for name, value in result.figures.items():
        print(f"{name:<24}{value}")
    for violation in result.violations:
        print(f"VIOLATION {violation}")
    if args.json:
        args.json.write_text(json.dumps({**result.figures, "violations": result.violations}, indent=2) + "\n")
    print(f"violations: {len(result.violations)}")
    return 1 if result.violations else 0


if __name__ == "__main__":
    sys.exit(main())

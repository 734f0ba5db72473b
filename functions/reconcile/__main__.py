"""`python -m functions.reconcile [--report] [--limit N] [--uid UID]`: reconcile from a shell.

It runs the same handler with the environment of the shell (the variables `make dev` prints, or production's):
after an outage, to converge everyone now; with `--report`, to see the drift without changing DMS.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from functions.reconcile.index import handler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m functions.reconcile", description=__doc__)
    parser.add_argument("--report", action="store_true", help="report the drift only (RECONCILE_MODE=report)")
    parser.add_argument("--repair", action="store_true", help="make DMS match (RECONCILE_MODE=repair)")
    parser.add_argument("--limit", type=int, help="visit at most this many people")
    parser.add_argument("--uid", help="one person only")
    args = parser.parse_args(argv)
    options: dict[str, Any] = {}
    if args.report or args.repair:
        options["mode"] = "report" if args.report else "repair"
    if args.limit:
        options["limit"] = args.limit
    if args.uid:
        options["uid"] = args.uid
    print(handler(json.dumps(options).encode(), None))
    return 0


if __name__ == "__main__":
    sys.exit(main())

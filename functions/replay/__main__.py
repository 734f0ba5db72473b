"""`python -m functions.replay [--dry-run] [--limit N] [--held list|release|discard]`: from a shell.

It runs the same handler with the environment of the shell (the variables `make dev` prints, or production's),
for an operator who wants the dead letters back now rather than at the next timer tick, or who decides about the
leaves the mass-leaver breaker holds.
"""

from __future__ import annotations

import argparse
import json
import sys

from functions.replay.index import handler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m functions.replay", description=__doc__)
    parser.add_argument("--dry-run", action="store_true", help="list what would happen, change nothing")
    parser.add_argument("--limit", type=int, help="handle at most this many records")
    parser.add_argument(
        "--held",
        choices=("list", "release", "discard"),
        help="work the hold queue instead: list the held leaves, release them (apply) or discard them (park)",
    )
    args = parser.parse_args(argv)
    options = {"dry_run": args.dry_run, **({"limit": args.limit} if args.limit else {})}
    if args.held:
        options["held"] = args.held
    print(handler(json.dumps(options).encode(), None))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`python -m functions.roster FILE.csv|FILE.jsonl`: converge everyone a roster lists; because a roster is
complete, the people the register holds active whom it leaves out become leavers (through the mass-leaver breaker).

It is how a first deployment loads the people who already have DMS access, and how an HR export is checked
against DMS at any time after. It runs with the environment of the shell (the variables `make dev` prints, or
production's), like `python -m functions.reconcile`; nothing of it is deployed. Every person goes through the
provisioner, so outcomes reach the result topic as for any HR event, and running the same file again is safe.

Exit status: 0 everyone converged (or, with --dry-run, could), 1 a row was rejected or a person failed, 2 nothing
was done (usage, the file, or the environment: configuration, credentials, the register).
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import datetime, timezone
from typing import TextIO

from shared.config import ConfigError
from shared.infra.jsonlog import JsonLogger
from shared.roster.events import parse_as_of
from shared.roster.progress import Progress
from shared.roster.reading import RosterFileError, read_roster
from shared.roster.run import DeploymentError, Options, OptionsError, run
from shared.wiring import Wiring

PROG = "python -m functions.roster"
EPILOG = """\
columns: uid and nickname (required), mobile, department, title (the role mapping reads these two), and the
DMS overrides roles (comma- or semicolon-separated in CSV, a list in JSONL), tenant_id, workspace_id,
workspace_role, dms_unit. CSV needs a header row; JSONL one object per line.

leavers: whoever the register holds active and the roster leaves out. They are refused when any row is
rejected (fix it, or pass --no-leavers); past LEAVER_LIMIT the breaker holds them for
`python -m functions.replay --held list|release|discard`.

exit status: 0 converged, 1 a row rejected or a person failed, 2 nothing done (usage, file, environment)."""


def parser() -> argparse.ArgumentParser:
    found = argparse.ArgumentParser(
        prog=PROG,
        description="Converge everyone a roster lists; people active in the register whom it leaves out leave.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    found.add_argument("file", metavar="FILE", help="the roster: .csv with a header row, or .jsonl")
    found.add_argument("--dry-run", action="store_true", help="change nothing; print each person's difference")
    found.add_argument("--no-leavers", action="store_true", help="converge the listed people only; nobody leaves")
    found.add_argument(
        "--as-of",
        metavar="ISO8601",
        help="when HR exported the roster, with a UTC offset (default: now); HR events after it win",
    )
    found.add_argument(
        "--concurrency", metavar="N", type=_concurrency, default=4, help="people converged at once (default 4)"
    )
    found.add_argument("--source", metavar="NAME", default="roster", help="the events' source (default roster)")
    found.add_argument("--format", choices=("csv", "jsonl"), help="the file's format, when its suffix does not say")
    found.add_argument("--json", action="store_true", help="print the summary as JSON")
    found.add_argument("--log", metavar="FILE", help="append the JSON log lines (one per outcome) to FILE")
    return found


def main(argv: list[str] | None = None, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    args = parser().parse_args(argv)
    now = datetime.now(timezone.utc)
    try:
        as_of = parse_as_of(args.as_of, now) if args.as_of else now.replace(microsecond=now.microsecond // 1000 * 1000)
    except ValueError as error:
        return _refuse(err, f"--as-of: {error}")
    try:
        roster = read_roster(args.file, args.format)
    except RosterFileError as error:
        return _refuse(err, str(error))
    try:
        wiring = Wiring()
    except ConfigError as error:
        return _refuse(err, f"the environment: {error}")
    options = Options(
        as_of=as_of,
        source=args.source,
        dry_run=args.dry_run,
        leavers=not args.no_leavers,
        concurrency=args.concurrency,
    )
    try:
        log = open(args.log or os.devnull, "a", encoding="utf-8")  # noqa: SIM115 - closed by the with below
    except OSError as error:
        return _refuse(err, f"--log: {args.log}: {error.strerror or error}")
    with log:
        # Before the provisioner is built, which takes the wiring's logger: stdout is the summary's.
        wiring.log = JsonLogger("dms-onboarding", log, function="roster")
        progress = Progress(0, err)
        try:
            summary = run(wiring, roster, options, progress)
        except OptionsError as error:
            return _refuse(err, str(error))
        except DeploymentError as error:
            return _refuse(err, f"the environment: {error}")
        except KeyboardInterrupt:
            progress.close()
            err.write(f"{PROG}: interrupted; running the same file again is safe\n")
            return 130
        finally:
            progress.close()
    out.write(summary.render_json() + "\n" if args.json else summary.render())
    out.flush()
    return summary.exit_code


def _refuse(err: TextIO, message: str) -> int:
    err.write(f"{PROG}: {message}; nothing was done\n")
    return 2


def _concurrency(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= value <= 64:
        raise argparse.ArgumentTypeError("must be between 1 and 64")
    return value


if __name__ == "__main__":
    sys.exit(main())

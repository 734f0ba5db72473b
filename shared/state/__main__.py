"""`python -m shared.state create-table | show UID`: set the register up, and look at one person in it.

Configuration comes from the environment as the functions read it (TABLESTORE_ENDPOINT, TABLESTORE_INSTANCE,
REGISTER_TABLE, ALIBABA_CLOUD_* credentials), so what an operator sees is what a function would. Mobiles in a
record's `desired` are masked, as everywhere the product prints them: a terminal is a log too.

Exit status: 0 done, 1 no such person, 2 configuration (or usage) wrong, 3 the register was unavailable.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from shared.config import ConfigError, RegisterConfig
from shared.infra import credentials
from shared.infra.retry import Deadline
from shared.state.register import PersonRegister, RegisterConfigurationError, RegisterUnavailableError

TIMEOUT_SECONDS = 30.0
_SHORT_COUNTRY_CODES = frozenset(
    {1, 7, 20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47, 48, 49, 51, 52, 53, 54, 55, 56, 57, 58}
    | {60, 61, 62, 63, 64, 65, 66, 81, 82, 84, 86, 90, 91, 92, 93, 94, 95, 98}
)
"""E.164 country codes are prefix-free: these have 1 or 2 digits, every other one has 3."""


def mask_mobile(text: str) -> str:
    """The first 6 characters and the last 2 of the E.164 text, stars between, the country code set apart
    ("+86 139******34"); anything too short to keep 3 digits hidden, or not E.164, is all stars."""
    e164 = "".join(text.split())
    if not e164.startswith("+") or not e164[1:].isdigit() or e164[1] == "0" or len(e164) < 11:
        return "*" * max(len(e164), 1)
    digits = e164[1:6]
    code = next((digits[:size] for size in (1, 2) if int(digits[:size]) in _SHORT_COUNTRY_CODES), digits[:3])
    return f"+{code} {digits[len(code) :]}{'*' * (len(e164) - 8)}{e164[-2:]}"


def masked(value: Any) -> Any:
    """`value` with every `mobile` key masked, however deep it sits."""
    if isinstance(value, dict):
        return {
            key: (mask_mobile(item) if isinstance(item, str) else "[masked]") if key == "mobile" else masked(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [masked(item) for item in value]
    return value


def _show(register: PersonRegister, uid: str, deadline: Deadline) -> int:
    record = register.read(uid, deadline)
    if record is None:
        print(f"no person {uid} in table {register.config.table}", file=sys.stderr)
        return 1
    document = asdict(record)
    document["desired"] = masked(document["desired"])
    document["granted"] = [asdict(grant) for grant in record.granted]
    print(json.dumps(document, indent=2, ensure_ascii=False))
    return 0


def _create_table(register: PersonRegister, deadline: Deadline) -> int:
    where = f"table {register.config.table} in Tablestore instance {register.config.instance}"
    print(f"created {where}" if register.create_table(deadline) else f"{where} already exists")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    import argparse  # only the command line needs it

    parser = argparse.ArgumentParser(prog="python -m shared.state", description="The person register (Tablestore).")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("create-table", help="create the register's table unless it exists")
    show = commands.add_parser("show", help="print one person's record as JSON (mobiles masked)")
    show.add_argument("uid")
    args = parser.parse_args(argv)
    try:
        config = RegisterConfig.from_env()
        config.require()
        role = credentials.resolve()
        register = PersonRegister(config, lambda: role)
        deadline = Deadline.after(TIMEOUT_SECONDS)
        if args.command == "create-table":
            return _create_table(register, deadline)
        return _show(register, args.uid, deadline)
    except (ConfigError, credentials.CredentialsMissingError, RegisterConfigurationError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except RegisterUnavailableError as error:
        print(f"unavailable: {error}", file=sys.stderr)
        return 3


if __name__ == "__main__":
    raise SystemExit(main())

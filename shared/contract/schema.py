"""The contract's JSON Schema, for HR-side developers: `python -m shared.contract --export-schema [PATH]`.

The committed file (events/schemas/hr-event.v1.schema.json) is what this module writes; a test fails when the
two differ, so the published schema never lags the code.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

from shared.contract.event import HrEvent

SCHEMA_PATH: Final = Path(__file__).resolve().parents[2] / "events" / "schemas" / "hr-event.v1.schema.json"
_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def json_schema() -> dict[str, Any]:
    return {"$schema": _SCHEMA_DIALECT, **HrEvent.model_json_schema()}


def schema_text() -> str:
    """The schema file's exact content, so a test can tell whether the committed file is current."""
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    import argparse  # only the command line needs it; a cold function should not pay for it

    parser = argparse.ArgumentParser(prog="python -m shared.contract", description="The HR event contract.")
    parser.add_argument(
        "--export-schema",
        nargs="?",
        const=str(SCHEMA_PATH),
        metavar="PATH",
        help=f"write the JSON Schema of HrEvent to PATH (default {SCHEMA_PATH})",
    )
    args = parser.parse_args(argv)
    if args.export_schema is None:
        parser.print_help()
        return 2
    target = Path(args.export_schema)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(schema_text(), encoding="utf-8", newline="\n")
    print(f"wrote {target}", file=sys.stderr)
    return 0

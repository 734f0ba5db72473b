"""Dead-letter replay (timer trigger; also HTTP and `python -m functions.replay`): see shared/replay.py."""

from __future__ import annotations

import json
from typing import Any

from shared import runtime
from shared.replay import replay


def _options(event: bytes | str | None) -> dict[str, Any]:
    """Timer events carry `payload` (a JSON string of options); HTTP and CLI callers send the options as is."""
    try:
        data = json.loads(event or b"{}")
    except ValueError:
        return {}
    if isinstance(data, dict) and isinstance(data.get("payload"), str):
        try:
            payload = json.loads(data["payload"] or "{}")
        except ValueError:
            return {}
        return payload if isinstance(payload, dict) else {}
    return data if isinstance(data, dict) else {}


def handler(event: bytes, context: Any) -> str:
    options = _options(event)
    limit = options.get("limit")
    report = replay(
        runtime.instance(context),
        runtime.deadline(context),
        dry_run=bool(options.get("dry_run", False)),
        limit=limit if isinstance(limit, int) and limit > 0 else None,
    )
    return json.dumps(report)

"""What a timer trigger, an HTTP call or the command line asks the replay function to do.

Timer events carry `payload`, a JSON string of options (`{"dry_run": true, "limit": 100}`); HTTP and CLI callers
send the options as is. Anything unreadable means no options, never a failed invocation.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ReplayOptions:
    dry_run: bool = False
    limit: int | None = None

    @classmethod
    def from_event(cls, event: bytes | str | None) -> ReplayOptions:
        options = _options(event)
        limit = options.get("limit")
        return cls(
            dry_run=bool(options.get("dry_run", False)),
            limit=limit if isinstance(limit, int) and not isinstance(limit, bool) and limit > 0 else None,
        )


def _options(event: bytes | str | None) -> dict[str, Any]:
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

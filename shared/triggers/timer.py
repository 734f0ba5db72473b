"""What a timer trigger, an HTTP call or the command line asks the replay function to do.

Timer events carry `payload`, a JSON string of options (`{"dry_run": true, "limit": 100}`); HTTP and CLI callers
send the options as is. Anything unreadable means no options, never a failed invocation.

The replay function also answers for the hold queue: `{"held": "list" | "release" | "discard"}`. The reconcile
function reads `{"mode": "report" | "repair", "limit": N, "uid": "..."}`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

HeldAction = Literal["list", "release", "discard"]
HELD_ACTIONS: tuple[HeldAction, ...] = ("list", "release", "discard")
RECONCILE_MODES = ("report", "repair")


@dataclass(frozen=True)
class ReplayOptions:
    dry_run: bool = False
    limit: int | None = None
    held: HeldAction | None = None
    """`list`, `release` or `discard`: work the hold queue instead of the dead-letter queue."""

    @classmethod
    def from_event(cls, event: bytes | str | None) -> ReplayOptions:
        options = _options(event)
        held = next((action for action in HELD_ACTIONS if action == options.get("held")), None)
        return cls(dry_run=bool(options.get("dry_run", False)), limit=_limit(options.get("limit")), held=held)


@dataclass(frozen=True)
class ReconcileOptions:
    mode: str | None = None
    """Overrides RECONCILE_MODE for this run."""
    limit: int | None = None
    uid: str | None = None
    """One person only."""

    @classmethod
    def from_event(cls, event: bytes | str | None) -> ReconcileOptions:
        options = _options(event)
        mode, uid = options.get("mode"), options.get("uid")
        return cls(
            mode=mode if mode in RECONCILE_MODES else None,
            limit=_limit(options.get("limit")),
            uid=uid if isinstance(uid, str) and uid.isdigit() else None,
        )


def _limit(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


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

"""Dead-letter replay (timer trigger; also HTTP and `python -m functions.replay`): see shared/replay.py."""

from __future__ import annotations

import json
from typing import Any

from shared import wiring
from shared.replay import replay
from shared.triggers.timer import ReplayOptions


def handler(event: bytes, context: Any) -> str:
    options = ReplayOptions.from_event(event)
    report = replay(wiring.get(context), wiring.deadline(context), dry_run=options.dry_run, limit=options.limit)
    return json.dumps(report)

"""Dead-letter replay (timer trigger; also HTTP and `python -m functions.replay`): see shared/replay.py.

The same function works the mass-leaver breaker's hold queue when asked: `{"held": "list"}`, `{"held": "release"}`
or `{"held": "discard"}` (see shared/held.py).
"""

from __future__ import annotations

import json
from typing import Any

from shared import wiring
from shared.held import handle_held
from shared.replay import replay
from shared.triggers.timer import ReplayOptions


def handler(event: bytes, context: Any) -> str:
    options = ReplayOptions.from_event(event)
    instance, deadline = wiring.get(context), wiring.deadline(context)
    if options.held is not None:
        return json.dumps(handle_held(instance, deadline, options.held, options.limit))
    return json.dumps(replay(instance, deadline, dry_run=options.dry_run, limit=options.limit))

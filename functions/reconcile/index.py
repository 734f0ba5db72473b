"""Reconcile (timer trigger; also `s invoke` and `python -m functions.reconcile`): see shared/reconcile.py."""

from __future__ import annotations

import json
from typing import Any

from shared import wiring
from shared.reconcile import reconcile
from shared.triggers.timer import ReconcileOptions


def handler(event: bytes, context: Any) -> str:
    options = ReconcileOptions.from_event(event)
    report = reconcile(
        wiring.get(context), wiring.deadline(context), mode=options.mode, limit=options.limit, uid=options.uid
    )
    return json.dumps(report)

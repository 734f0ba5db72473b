"""Queue worker (FC3 MNS queue trigger through EventBridge): provisions every message of a batch."""

from __future__ import annotations

import json
from typing import Any

from shared import wiring
from shared.triggers.eventbridge_mns import trigger_messages
from shared.worker import process_batch


def handler(event: bytes, context: Any) -> str:
    report = process_batch(trigger_messages(event), wiring.get(context), wiring.deadline(context))
    return json.dumps(report)

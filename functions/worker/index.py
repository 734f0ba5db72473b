"""Queue worker (FC3 MNS queue trigger through EventBridge): provisions every message of a batch."""

from __future__ import annotations

import json
from typing import Any

from shared import runtime
from shared.batch import process_batch
from shared.envelope import trigger_messages


def handler(event: bytes, context: Any) -> str:
    instance = runtime.instance(context)
    report = process_batch(trigger_messages(event), instance, runtime.deadline(context))
    return json.dumps(report)

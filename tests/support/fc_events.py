"""The FC trigger events of events/fc/, and the structure two events must share to count as the same shape.

The fixtures follow docs/fc3-runtime-and-s-yaml.md (sections 2 and 3), field names and nesting exactly:

- `http.json`: the FC3 HTTP trigger event (section 2.1), the doc's sample with its header names Go-canonical
  (`Header1`), as the doc says FC delivers them.
- `eventbridge-mns-cloudevents.json`: an EventBridge MNS batch of two CloudEvents (section 2.2); the second body is
  base64, as with `IsBase64Decode: false`.
- `eventbridge-mns-rawdata.json`: the same batch with `eventSchema: RawData`, each element's `data` (the doc
  calls the exact sample inferred).
- `fc-async-failure.json`: an FC async invocation failure-destination record (section 3.2); `requestPayload`
  holds the worker's CloudEvents batch as a string.
- `eventbridge-dead-letter.json`: what EventBridge sends to a trigger's dead-letter queue: the failed event as it
  was delivered, one CloudEvent (section 3.4: "the failed raw data unchanged"; CloudEvent or bare body is not
  confirmed there).
- `timer.json`: the timer trigger event (section 2.4).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FC_EVENTS = Path(__file__).resolve().parents[2] / "events" / "fc"


def load(name: str) -> Any:
    """The parsed fixture `events/fc/<name>`."""
    return json.loads((FC_EVENTS / name).read_text(encoding="utf-8"))


def shape(value: object, open_maps: frozenset[str] = frozenset(), path: str = "") -> object:
    """The keys at every level and the type of every value: lists by the one shape all their items share, and the
    objects at the dotted paths in `open_maps` (header and parameter maps, whose keys are data) by their values'."""
    if isinstance(value, dict):
        if path in open_maps:
            return {"*": _one(path, [shape(v, open_maps, path + ".*") for v in value.values()])}
        return {key: shape(item, open_maps, f"{path}.{key}" if path else key) for key, item in value.items()}
    if isinstance(value, list):
        return [_one(path, [shape(item, open_maps, path + "[]") for item in value])]
    return type(value).__name__


def _one(path: str, shapes: list[object]) -> object:
    distinct = {json.dumps(s, sort_keys=True) for s in shapes}
    assert len(distinct) == 1, f"{path or 'top level'}: {len(distinct)} different item shapes (or none)"
    return shapes[0]

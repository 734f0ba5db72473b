"""The plan as JSON data, built without pydantic's serializer, is what pydantic would dump."""

from __future__ import annotations

import json
from pathlib import Path

from shared.contract.event import parse_event
from shared.lifecycle.mapping import load_mapping, resolve_plan

EVENTS = Path(__file__).resolve().parents[3] / "events" / "hr"


def test_the_plans_json_data_is_its_json_dump() -> None:
    for name in ("hired-explicit-roles.json", "hired-mapping-only.json", "updated.json"):
        plan = resolve_plan(parse_event((EVENTS / name).read_bytes()), load_mapping())
        assert json.loads(json.dumps(plan.as_json_data())) == plan.model_dump(mode="json")

"""What the soak sends: distinct valid events, exact duplicates, invalid events and poison, each with a route.

Valid events cover the mapping's branches (explicit settings, rules with and without a workspace, the default).
Invalid events keep their `event_id` and `source`, so their `rejected` outcome can be found; poison events are
valid but name a workspace DMS does not have, so they fail on every replay and end parked. Duplicates are the
same bytes sent again, through either route, as an HR system that retries would send them.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["valid", "invalid", "poison"]
Route = Literal["webhook", "queue"]
SOURCE = "soak"
MISSING_WORKSPACE = "999000000000001"
"""A workspace id the local seed does not create: AddUserToDataAgentWorkspace fails permanently."""

_PEOPLE: list[dict[str, Any]] = [
    {"department": "Data Engineering", "title": "Data Engineer"},
    {"department": "Data Platform", "title": "Engineering Manager"},
    {"department": "Analytics", "title": "Analyst"},
    {"department": "Information Security", "title": "Security Engineer"},
    {"department": "Finance", "title": "Database Administrator"},
    {"department": "Sales", "title": "Account Executive"},
    {
        "department": "Finance",
        "title": "Controller",
        "dms": {"roles": ["user", "DBA"], "workspace_id": "209230000007291", "workspace_role": "admin"},
    },
    {"department": "Data Science", "title": "Scientist", "dms": {"tenant_id": 10001, "roles": ["USER"]}},
]

_BREAKAGES: list[tuple[str, Any]] = [
    ("employee.uid", 2000000000099),
    ("employee.dms", {"roles": ["OWNER"]}),
    ("occurred_at", "2026-11-22T09:00:00"),
    ("employee.nickname", ""),
    ("type", "employee.promoted"),
    ("employee.extra", "not in the contract"),
]


@dataclass(frozen=True)
class Planned:
    """One send: `event_id` identifies the event (duplicates share it), `uid` the person."""

    event_id: str
    uid: str
    body: bytes
    kind: Kind
    route: Route
    duplicate: bool = False

    @property
    def document(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed


def _event(run: str, index: int, uid: int, rng: random.Random) -> dict[str, Any]:
    person = rng.choice(_PEOPLE)
    employee: dict[str, Any] = {"uid": str(uid), "nickname": f"Soak Person {index}", **json.loads(json.dumps(person))}
    if rng.random() < 0.3:
        employee["mobile"] = f"+86 138 {rng.randrange(10**4):04d} {rng.randrange(10**4):04d}"
    return {
        "schema_version": 1,
        "event_id": f"{SOURCE}:{run}:{index}",
        "source": SOURCE,
        "type": rng.choice(["employee.hired", "employee.updated"]),
        "occurred_at": "2026-11-22T09:00:00+08:00",
        "correlation_id": f"soak-{run}-{index}",
        "employee": employee,
    }


def _break(document: dict[str, Any], rng: random.Random) -> None:
    path, value = rng.choice(_BREAKAGES)
    target = document
    *parents, last = path.split(".")
    for part in parents:
        target = target[part]
    target[last] = value


def plan(
    count: int,
    *,
    duplicates: float = 0.10,
    invalid: float = 0.05,
    poison: float = 0.02,
    webhook_share: float = 0.5,
    seed: int = 0,
    run: str = "run",
    first_uid: int = 41_000_000_000_000,
) -> list[Planned]:
    """`count` sends in a shuffled order where every duplicate comes after its original."""
    rng = random.Random(seed)
    duplicate_count = round(count * duplicates)
    invalid_count = round(count * invalid)
    poison_count = round(count * poison)
    distinct = count - duplicate_count
    if distinct < 1 or invalid_count + poison_count > distinct:
        raise ValueError("count: too small for the requested shares of duplicates, invalid and poison events")
    kinds: list[Kind] = ["invalid"] * invalid_count
    kinds += ["poison"] * poison_count
    kinds += ["valid"] * (distinct - len(kinds))
    rng.shuffle(kinds)
    originals: list[Planned] = []
    for index, kind in enumerate(kinds):
        uid = first_uid + index
        document = _event(run, index, uid, rng)
        if kind == "invalid":
            _break(document, rng)
        elif kind == "poison":
            document["employee"]["dms"] = {"workspace_id": MISSING_WORKSPACE}
        # Invalid events mostly take the queue: the webhook refuses them at the door, with no outcome to check.
        share = webhook_share / 4 if kind == "invalid" else webhook_share
        route: Route = "webhook" if rng.random() < share else "queue"
        body = json.dumps(document, ensure_ascii=False).encode("utf-8")
        originals.append(Planned(str(document["event_id"]), str(uid), body, kind, route))
    sends = list(originals)
    valid = [p for p in originals if p.kind == "valid"]
    for _ in range(duplicate_count):
        original = rng.choice(valid)
        route = "webhook" if rng.random() < webhook_share else "queue"
        sends.append(Planned(original.event_id, original.uid, original.body, "valid", route, duplicate=True))
    rng.shuffle(sends)
    seen: set[str] = set()
    ordered: list[Planned] = []
    held_back: list[Planned] = []
    for item in sends:
        if item.duplicate and item.event_id not in seen:
            held_back.append(item)
            continue
        seen.add(item.event_id)
        ordered.append(item)
    return ordered + held_back

"""What the soak sends: people's lives as HR events, plus invalid events and poison, each send with a route.

Each person gets a sequence with strictly increasing `occurred_at`: a hire, up to two updates (roles, nickname,
workspace and workspace role, moving between the two seeded workspaces or out of both), sometimes a leave, and
after a leave sometimes a rehire and an update. Every event states the person's whole desired access (explicit
`employee.dms` settings, or a department and title the role mapping decides on), so the newest event alone says
what DMS must end up holding, however the events arrive.

And they arrive badly: every event is sent once or twice (the same bytes, as an HR system that retries would send
them), all sends are shuffled together (a person's older events often come after newer ones), and each send takes
one of three routes: the signed webhook, straight onto the input queue, or a *late replay*, written onto the
dead-letter queue as the worker's own dead-letter record, so it reaches the worker only when the replay timer
next fires. Invalid events keep their `event_id` and `source`, so their `rejected` outcome can be found; poison
events are valid hires naming a workspace DMS does not have, so they fail on every replay and end parked. Both
are people of their own, apart from the lifecycle sequences.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

Kind = Literal["valid", "invalid", "poison"]
Route = Literal["webhook", "queue", "late"]
SOURCE = "soak"
ANALYTICS = "209230000007291"
ENGINEERING = "209230000007305"
SEEDED_WORKSPACES = (ANALYTICS, ENGINEERING)
"""The workspaces deploy/local-seed.json creates: the only ones a person can be a member of."""
MISSING_WORKSPACE = "999000000000001"
"""A workspace id the local seed does not create: AddUserToDataAgentWorkspace fails permanently."""
HIRED, UPDATED, LEFT = "employee.hired", "employee.updated", "employee.left"

_MAPPED: list[dict[str, Any]] = [
    {"department": "Data Engineering", "title": "Data Engineer"},
    {"department": "Data Platform", "title": "Engineering Manager"},
    {"department": "Analytics", "title": "Analyst"},
    {"department": "Information Security", "title": "Security Engineer"},
    {"department": "Finance", "title": "Database Administrator"},
    {"department": "Sales", "title": "Account Executive"},
]
"""Departments and titles the role mapping turns into each of its branches (shared/role_mapping.json): the
data-engineering workspace as member and as admin, the analytics workspace, security and DBA roles, and none."""
_UNMAPPED_DEPARTMENTS = ["Sales", "Finance", "Legal"]
"""Departments no mapping rule gives a workspace: explicit settings without a workspace then mean none."""
_ROLE_SETS: list[list[str]] = [["USER"], ["USER", "DBA"], ["USER", "SECURITY_ADMIN"], ["USER", "ADMIN"], ["DBA"]]
_NICK_SUFFIXES = ["", "", " (moved)", " Jr.", " 二"]

_BREAKAGES: list[tuple[str, Any]] = [
    ("employee.uid", 2000000000099),
    ("employee.dms", {"roles": ["OWNER"]}),
    ("occurred_at", "2026-11-22T09:00:00"),
    ("employee.nickname", ""),
    ("type", "employee.promoted"),
    ("employee.extra", "not in the contract"),
]
_EPOCH = datetime(2026, 1, 5, 9, 0, tzinfo=timezone(timedelta(hours=8)))


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

    @property
    def type(self) -> str:
        return str(self.document.get("type", ""))


def _access(rng: random.Random) -> dict[str, Any]:
    """The employee fields that decide DMS access: explicit settings (60 %) or what the mapping reads."""
    if rng.random() < 0.4:
        return dict(rng.choice(_MAPPED))
    dms: dict[str, Any] = {"tenant_id": 10001, "roles": list(rng.choice(_ROLE_SETS))}
    workspace = rng.choice([None, ANALYTICS, ENGINEERING])
    if workspace is None:
        return {"department": rng.choice(_UNMAPPED_DEPARTMENTS), "title": "Specialist", "dms": dms}
    dms.update(workspace_id=workspace, workspace_role=rng.choice(["ADMIN", "MEMBER"]), dms_unit="cn-hangzhou")
    return {"department": rng.choice(["Analytics", "Data Engineering", "Finance"]), "title": "Specialist", "dms": dms}


def _document(
    run: str, tag: str, uid: str, event_type: str, occurred_at: datetime, employee: dict[str, Any]
) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "event_id": f"{SOURCE}:{run}:{tag}",
        "source": SOURCE,
        "type": event_type,
        "occurred_at": occurred_at.isoformat(),
        "correlation_id": f"soak-{run}-{tag}".replace(":", "-"),
        "employee": {"uid": uid, **employee},
    }


def _named(index: int, rng: random.Random) -> dict[str, Any]:
    employee: dict[str, Any] = {"nickname": f"Soak Person {index}{rng.choice(_NICK_SUFFIXES)}", **_access(rng)}
    if rng.random() < 0.3:
        employee["mobile"] = f"+86 138 {rng.randrange(10**4):04d} {rng.randrange(10**4):04d}"
    return employee


def life(run: str, index: int, uid: str, rng: random.Random) -> list[dict[str, Any]]:
    """One person's events in the order they happened: hire, 0-2 updates, maybe a leave, maybe a rehire after
    it and an update after that. Each `occurred_at` is later than the one before."""
    when = _EPOCH + timedelta(minutes=rng.randrange(60 * 24 * 30))
    types = [HIRED] + [UPDATED] * rng.choice([0, 1, 1, 2])
    if rng.random() < 0.45:
        types.append(LEFT)
        if rng.random() < 0.5:
            types.append(HIRED)
            if rng.random() < 0.5:
                types.append(UPDATED)
    events = []
    for number, event_type in enumerate(types):
        when += timedelta(minutes=rng.randrange(1, 60 * 24 * 20))
        employee: dict[str, Any] = {} if event_type == LEFT else _named(index, rng)
        events.append(_document(run, f"p{index}:{number}", uid, event_type, when, employee))
    return events


def _break(document: dict[str, Any], rng: random.Random) -> None:
    path, value = rng.choice(_BREAKAGES)
    target = document
    *parents, last = path.split(".")
    for part in parents:
        target = target[part]
    target[last] = value


def _route(rng: random.Random, webhook_share: float, late_share: float) -> Route:
    draw = rng.random()
    if draw < webhook_share:
        return "webhook"
    return "late" if draw < webhook_share + late_share else "queue"


def _encoded(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


def plan(
    count: int = 1000,
    *,
    people: int = 0,
    duplicates: float = 0.10,
    invalid: float = 0.05,
    poison: float = 0.02,
    webhook_share: float = 0.4,
    late_share: float = 0.2,
    in_order: float = 0.0,
    seed: int = 0,
    run: str = "run",
    first_uid: int = 41_000_000_000_000,
) -> list[Planned]:
    """The sends, shuffled. `count` sends in all, the shares of it duplicates, invalid and poison, the rest the
    lifecycle events of as many people as they fill (the last one's life cut short if need be); or, with
    `people`, that many whole lives, and the other shares of the total that makes.

    `in_order` is the share of lives whose events still arrive in the order they happened (by webhook or queue,
    never late; their duplicates may come any time): the flows that need a predecessor applied first, a rehire
    re-enabling a disabled user say, then happen for sure rather than by the luck of the shuffle."""
    rng = random.Random(seed)
    others = duplicates + invalid + poison
    if not 0 <= others < 1:
        raise ValueError("duplicates, invalid and poison: their shares must add up to less than 1")
    lives: list[list[dict[str, Any]]] = []
    if people > 0:
        lives = [life(run, index, str(first_uid + index), rng) for index in range(people)]
        count = round(sum(len(events) for events in lives) / (1 - others))
    duplicate_count, invalid_count, poison_count = (round(count * share) for share in (duplicates, invalid, poison))
    distinct = count - duplicate_count - invalid_count - poison_count
    if distinct < 1:
        raise ValueError("count: too small for the requested shares of duplicates, invalid and poison events")
    while people <= 0 and sum(len(events) for events in lives) < distinct:
        lives.append(life(run, len(lives), str(first_uid + len(lives)), rng))
    if people <= 0:
        excess = sum(len(events) for events in lives) - distinct
        lives[-1] = lives[-1][: len(lives[-1]) - excess]
    uids = [events[0]["employee"]["uid"] for events in lives]
    ordered = set(random.Random(f"{seed}:in-order").sample(uids, round(len(uids) * in_order))) if in_order else set()
    originals: list[Planned] = []
    for events in lives:
        for document in events:
            route = _route(rng, webhook_share, late_share)
            if route == "late" and document["employee"]["uid"] in ordered:
                route = "queue"
            body = _encoded(document)
            originals.append(Planned(document["event_id"], document["employee"]["uid"], body, "valid", route))
    repeated = rng.sample(originals, min(duplicate_count, len(originals)))
    sends = list(originals)
    for original in repeated:
        route = _route(rng, webhook_share, late_share)
        sends.append(Planned(original.event_id, original.uid, original.body, "valid", route, duplicate=True))
    for number in range(poison_count):
        uid = str(first_uid + 100_000 + number)
        document = _document(run, f"z{number}", uid, HIRED, _EPOCH, _named(number, rng))
        document["employee"]["dms"] = {"workspace_id": MISSING_WORKSPACE}
        route = "webhook" if rng.random() < webhook_share else "queue"
        sends.append(Planned(document["event_id"], uid, _encoded(document), "poison", route))
    for number in range(invalid_count):
        uid = str(first_uid + 200_000 + number)
        document = _document(run, f"x{number}", uid, rng.choice([HIRED, UPDATED]), _EPOCH, _named(number, rng))
        _break(document, rng)
        # Invalid events mostly take the queue: the webhook refuses them at the door, with no outcome to check.
        route = "webhook" if rng.random() < webhook_share / 4 else "queue"
        sends.append(Planned(document["event_id"], uid, _encoded(document), "invalid", route))
    rng.shuffle(sends)
    if ordered:
        _put_in_order(sends, ordered)
    return sends


def _put_in_order(sends: list[Planned], uids: set[str]) -> None:
    """Each of these people's events, in the places their sends took, in the order the events happened."""
    places: dict[str, list[int]] = {}
    for index, planned in enumerate(sends):
        if planned.uid in uids and not planned.duplicate:
            places.setdefault(planned.uid, []).append(index)
    for indexes in places.values():
        happened = sorted((sends[i] for i in indexes), key=lambda p: str(p.document["occurred_at"]))
        for index, planned in zip(indexes, happened, strict=True):
            sends[index] = planned

"""What must hold after any run, however the network behaved, checked from what the local cloud recorded.

Each check returns the violations it found as sentences a person can act on; an empty list is a pass.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from shared.contract.event import parse_event
from shared.lifecycle.mapping import RoleMapping, resolve_plan
from shared.lifecycle.outcome import outcome_id
from shared.lifecycle.plan import Plan
from shared.messaging.formats import unwrap
from soak.workload import Planned

TERMINAL_OK = frozenset({"provisioned", "already_provisioned"})


@dataclass
class Evidence:
    """Everything the checks read: what was sent, what came out, and the cloud's state at the end."""

    sent: Sequence[Planned]
    webhook_answers: Mapping[int, tuple[int, Any]]
    """Index into `sent` -> (HTTP status, JSON body) of the webhook's final answer."""
    outcomes: Sequence[Mapping[str, Any]]
    calls: Sequence[Mapping[str, Any]]
    dms_state: Mapping[str, Any]
    mns_state: Mapping[str, Any]
    queues: Mapping[str, str]
    """Role -> queue name: input, dead_letter, parking."""
    lost_calls: int = 0
    log_findings: Sequence[str] = field(default_factory=list)
    unsent: Mapping[str, str] = field(default_factory=dict)
    """Event id -> why the harness could not deliver it: the run then proves nothing about that event."""


def _by_event(outcomes: Iterable[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    found: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for outcome in outcomes:
        data = outcome.get("data") or {}
        found[str(data.get("event_id"))].append(outcome)
    return found


def _distinct(sent: Sequence[Planned]) -> dict[str, Planned]:
    return {p.event_id: p for p in sent if not p.duplicate}


def _queue_messages(mns_state: Mapping[str, Any], name: str) -> list[Mapping[str, Any]]:
    for queue in mns_state.get("queues", []):
        if queue.get("QueueName") == name:
            return list(queue.get("Messages") or [])
    return []


def check_outcomes(evidence: Evidence) -> list[str]:
    """Valid: exactly one terminal outcome id. Invalid by queue: `rejected`. Poison: `quarantined`."""
    violations: list[str] = []
    outcomes = _by_event(evidence.outcomes)
    for event_id, planned in _distinct(evidence.sent).items():
        mine = outcomes.get(event_id, [])
        statuses = Counter(str(o["data"]["status"]) for o in mine)
        expected_id = outcome_id(planned.document.get("source", ""), event_id)
        wrong_ids = {str(o.get("id")) for o in mine} - {expected_id}
        if wrong_ids:
            violations.append(f"{event_id}: outcome ids {sorted(wrong_ids)} differ from the stable {expected_id}")
        if planned.kind == "valid":
            terminal = {str(o.get("id")) for o in mine if o["data"]["status"] in TERMINAL_OK}
            if len(terminal) != 1:
                violations.append(f"{event_id}: {len(terminal)} terminal outcome ids, statuses {dict(statuses)}")
            if statuses["rejected"] or statuses["quarantined"]:
                violations.append(f"{event_id}: a valid event ended {dict(statuses)}")
        elif planned.kind == "invalid" and planned.route == "queue":
            if not statuses["rejected"] or statuses.keys() & TERMINAL_OK:
                violations.append(f"{event_id}: an invalid event ended {dict(statuses)}, not rejected")
        elif planned.kind == "poison" and (not statuses["quarantined"] or statuses.keys() & TERMINAL_OK):
            violations.append(f"{event_id}: a poison event ended {dict(statuses)}, not quarantined")
    return violations


def check_webhook_answers(evidence: Evidence) -> list[str]:
    """Every webhook send was accepted, or, if invalid, refused with a 400 naming each field, and left no trace."""
    violations: list[str] = []
    outcomes = _by_event(evidence.outcomes)
    for index, planned in enumerate(evidence.sent):
        if planned.route != "webhook":
            continue
        status, body = evidence.webhook_answers.get(index, (0, None))
        if planned.kind == "invalid":
            errors = body.get("errors") if isinstance(body, dict) else None
            if status != 400 or not errors or not all(e.get("field") and e.get("reason") for e in errors):
                violations.append(f"{planned.event_id}: invalid event answered {status}, not 400 naming the field")
            if outcomes.get(planned.event_id):
                violations.append(f"{planned.event_id}: refused by the webhook, yet it has an outcome")
        elif status != 202:
            violations.append(f"{planned.event_id}: webhook answered {status} after every retry")
    return violations


def expected_plans(sent: Sequence[Planned], mapping: RoleMapping) -> dict[str, Plan]:
    """uid -> what DMS must show for every person who was ever valid (poison events included)."""
    return {p.uid: resolve_plan(parse_event(p.body), mapping) for p in _distinct(sent).values() if p.kind != "invalid"}


def check_dms(evidence: Evidence, plans: Mapping[str, Plan]) -> list[str]:
    """One successful RegisterUser per person, the planned roles, and exactly the planned workspace membership."""
    violations: list[str] = []
    if evidence.lost_calls:
        violations.append(f"the call log dropped {evidence.lost_calls} records before they were read")
    registered: Counter[str] = Counter(
        str(c["params"].get("Uid"))
        for c in evidence.calls
        if c["action"] == "RegisterUser" and c["status"] == 200 and not c.get("code")
    )
    users = {str(u["uid"]): u for u in evidence.dms_state.get("users", [])}
    existing = {str(w["workspace_id"]) for w in evidence.dms_state.get("workspaces", [])}
    memberships: dict[str, dict[str, str]] = defaultdict(dict)
    for workspace in evidence.dms_state.get("workspaces", []):
        for member in workspace.get("members", []):
            memberships[str(member["MemberId"])][str(workspace["workspace_id"])] = str(member["RoleName"]).upper()
    for uid, plan in plans.items():
        if registered[uid] != 1:
            violations.append(f"uid {uid}: {registered[uid]} successful RegisterUser calls, not exactly 1")
        user = users.get(uid)
        if user is None:
            violations.append(f"uid {uid}: not a DMS user")
        elif sorted(user["role_names"]) != sorted(plan.roles):
            violations.append(f"uid {uid}: DMS roles {user['role_names']}, planned {plan.roles}")
        # A workspace DMS does not have (a poison event's) can have no members.
        joins = plan.workspace_id is not None and plan.workspace_id in existing
        expected = {str(plan.workspace_id): str(plan.workspace_role)} if joins else {}
        if memberships.get(uid, {}) != expected:
            violations.append(f"uid {uid}: workspace membership {memberships.get(uid, {})}, planned {expected}")
    return violations


def check_queues(evidence: Evidence) -> list[str]:
    """Nothing left in flight, and every invalid (queued) and poison event kept in the parking queue."""
    violations: list[str] = []
    for role in ("input", "dead_letter"):
        left = _queue_messages(evidence.mns_state, evidence.queues[role])
        if left:
            violations.append(f"{evidence.queues[role]}: {len(left)} messages left, not empty")
    parked = _parked_event_ids(_queue_messages(evidence.mns_state, evidence.queues["parking"]))
    for planned in _distinct(evidence.sent).values():
        must_park = planned.kind == "poison" or (planned.kind == "invalid" and planned.route == "queue")
        if must_park and planned.event_id not in parked:
            violations.append(f"{planned.event_id}: a {planned.kind} event is not in the parking queue")
        if planned.kind == "valid" and planned.event_id in parked:
            violations.append(f"{planned.event_id}: a valid event was parked")
    return violations


def _parked_event_ids(messages: Iterable[Mapping[str, Any]]) -> set[str]:
    found: set[str] = set()
    for message in messages:
        record = json.loads(str(message.get("MessageBody") or "{}"))
        event = unwrap(str(record.get("message", ""))).event
        if isinstance(event, str):
            try:
                event = json.loads(event)
            except ValueError:
                continue
        if isinstance(event, dict):
            found.add(str(event.get("event_id")))
    return found


def check_sends(evidence: Evidence) -> list[str]:
    """Every planned send was delivered: a send the harness gave up on is a gap in the proof, never a pass."""
    return [f"{event_id}: not delivered by the harness ({reason})" for event_id, reason in evidence.unsent.items()]


GARBLED_CODES = frozenset({"MalformedXML", "SignatureDoesNotMatch"})
"""What MNS answers a request whose head and body came apart on the way, as a shared connection does."""


def check_wire(evidence: Evidence) -> list[str]:
    """No MNS request arrived garbled unless a fault was injected into it: a client would then be sharing a
    connection between threads, and what it believes it sent is not what MNS got."""
    garbled = Counter(
        f"{call['action']} {call['code']}"
        for call in evidence.calls
        if call.get("service") == "mns" and call.get("code") in GARBLED_CODES and not call.get("fault")
    )
    return [
        f"MNS refused {n} x {what} with no fault injected: a garbled request" for what, n in sorted(garbled.items())
    ]


def check_all(evidence: Evidence, mapping: RoleMapping) -> list[str]:
    return [
        *check_sends(evidence),
        *check_wire(evidence),
        *check_outcomes(evidence),
        *check_webhook_answers(evidence),
        *check_dms(evidence, expected_plans(evidence.sent, mapping)),
        *check_queues(evidence),
        *(f"log: {finding}" for finding in evidence.log_findings),
    ]

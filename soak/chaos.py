"""The faults the soak injects, as local-cloud fault rules, split evenly over the ways real calls fail.

Rules are tried in order and the first that fires wins, so each of k rules gets probability 1-(1-rate)^(1/k)
to make the chance that a call meets some fault equal `rate`.

Crash rules come first: each lets one dangerous call take effect and then kills the worker's instance before it
hears back, which is where a half-done convergence is left behind. A crash kills whatever instance of the
worker runs, so a rule on a call other functions make too kills the worker at that moment instead of after its
own call. SendMessage is one (the soak's senders, the webhook and the replayer send as well), so its rule is
installed only once the senders are done (`LATE_CRASH_POINTS`); a replay's re-enqueue can still meet it, and the
worker then dies wherever it is, which the invariants must survive just the same.
"""

from __future__ import annotations

from typing import Any

from localcloud.control.client import ControlClient

DMS_WRITES = (
    "RegisterUser",
    "EnableUser",
    "UpdateUser",
    "AddUserToDataAgentWorkspace",
    "UpdateDataAgentWorkspaceMemberRole",
    "RemoveUserToDataAgentWorkspace",
    "DisableUser",
    "DeleteUser",
)
"""Every DMS call that changes something."""
CRASH_POINTS: tuple[tuple[str, str], ...] = (
    *(("dms*", action) for action in DMS_WRITES),
    ("tablestore", "PutRow"),
    ("tablestore", "UpdateRow"),
    ("mns", "PublishMessage"),
    ("mns", "SendMessage"),
)
"""(service, action) of every dangerous call: each DMS write, each register write, the outcome and each send."""
LATE_CRASH_POINTS = frozenset({("mns", "SendMessage")})
TABLESTORE_ACTIONS = ("GetRow", "PutRow", "UpdateRow", "GetRange")


def _each(rate: float, kinds: int) -> float:
    return 1.0 - (1.0 - rate) ** (1.0 / kinds) if rate > 0 else 0.0


def dms_rules(rate: float, hang_seconds: float) -> list[dict[str, Any]]:
    """Throttling, 503, timeouts (a hang past the client's read timeout) and connections dropped before or after."""
    shapes: list[dict[str, Any]] = [
        {
            "kind": "error",
            "status": 400,
            "code": "Throttling.User",
            "message": "Request was denied due to user flow control.",
        },
        {"kind": "error", "status": 503, "code": "ServiceUnavailable"},
        {"kind": "hang", "hang_seconds": hang_seconds},
        {"kind": "drop"},
        {"kind": "drop_after"},
    ]
    p = _each(rate, len(shapes))
    return [{"service": "dms*", "action": "*", "probability": p, **shape} for shape in shapes]


def mns_rules(rate: float) -> list[dict[str, Any]]:
    """Sends and publishes only: 503, and connections dropped before or after the message is stored."""
    shapes: list[dict[str, Any]] = [
        {"kind": "error", "status": 503, "code": "ServiceUnavailable"},
        {"kind": "drop"},
        {"kind": "drop_after"},
    ]
    rules = []
    for action in ("SendMessage", "PublishMessage"):
        p = _each(rate, len(shapes))
        rules += [{"service": "mns", "action": action, "probability": p, **shape} for shape in shapes]
    return rules


def tablestore_rules(rate: float, hang_seconds: float) -> list[dict[str, Any]]:
    """The register's row calls: busy (refused before the effect) and unavailable (maybe applied) 503s,
    connections dropped before or after the write, and hangs past the SDK's socket timeout."""
    shapes: list[dict[str, Any]] = [
        {"kind": "error", "status": 503, "code": "OTSServerBusy", "message": "Server is busy."},
        {"kind": "error", "status": 503, "code": "OTSServerUnavailable", "message": "Server is unavailable."},
        {"kind": "drop"},
        {"kind": "drop_after"},
        {"kind": "hang", "hang_seconds": hang_seconds},
    ]
    rules = []
    for action in TABLESTORE_ACTIONS:
        p = _each(rate, len(shapes))
        rules += [{"service": "tablestore", "action": action, "probability": p, **shape} for shape in shapes]
    return rules


def crash_rules(
    count: int, probability: float, points: tuple[tuple[str, str], ...] = CRASH_POINTS
) -> list[dict[str, Any]]:
    """`count` crashes of the worker after each dangerous call, each call meeting one with `probability` (so they
    fall at random points of the run rather than all on the first calls)."""
    if count <= 0:
        return []
    return [
        {
            "kind": "crash",
            "function": "worker",
            "service": service,
            "action": action,
            "count": count,
            "probability": probability,
        }
        for service, action in points
    ]


def is_late(rule: dict[str, Any]) -> bool:
    """A crash rule to install only once the senders are done (see the module's docstring)."""
    return rule.get("kind") == "crash" and (rule.get("service"), rule.get("action")) in LATE_CRASH_POINTS


def install(control: ControlClient, rules: list[dict[str, Any]]) -> int:
    for rule in rules:
        control.add_fault(**rule)
    return len(rules)


def network_rules(
    dms_rate: float, mns_rate: float, tablestore_rate: float, dms_hang: float, tablestore_hang: float
) -> list[dict[str, Any]]:
    return [
        *(dms_rules(dms_rate, dms_hang) if dms_rate > 0 else []),
        *(mns_rules(mns_rate) if mns_rate > 0 else []),
        *(tablestore_rules(tablestore_rate, tablestore_hang) if tablestore_rate > 0 else []),
    ]

"""The faults the soak injects, as local-cloud fault rules, split evenly over the ways real calls fail.

Rules are tried in order and the first that fires wins, so each of k rules gets probability 1-(1-rate)^(1/k)
to make the chance that a call meets some fault equal `rate`.
"""

from __future__ import annotations

from typing import Any

from localcloud.control.client import ControlClient


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


def install(control: ControlClient, dms_rate: float, mns_rate: float, hang_seconds: float) -> int:
    rules = (dms_rules(dms_rate, hang_seconds) if dms_rate > 0 else []) + (mns_rules(mns_rate) if mns_rate > 0 else [])
    for rule in rules:
        control.add_fault(**rule)
    return len(rules)

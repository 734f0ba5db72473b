"""Fault injection: rules that make a service fail the way real networks and gateways do.

A rule matches a service and an action (globs), fires with a probability and optionally only `count` times,
and does one of: answer an error in the service's own format, add latency, drop the connection before or
after the request takes effect, hang without answering so the client's timeout fires, or crash: let the
request take effect, then kill the instance of the named function of the local FC runtime (the caller) before
it hears back. Drop-after and crash are the nasty ones: the effect happens but the caller never hears of it,
which is what idempotency and the trigger's redelivery must survive.
"""

from __future__ import annotations

import fnmatch
import itertools
import random
import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Literal

FaultKind = Literal["error", "latency", "drop", "drop_after", "hang", "crash"]
FAULT_KINDS: tuple[str, ...] = ("error", "latency", "drop", "drop_after", "hang", "crash")
TERMINAL_KINDS = frozenset({"error", "drop", "drop_after", "hang", "crash"})


class FaultRuleError(ValueError):
    """A rule that cannot be installed; the message names the field."""


@dataclass
class FaultRule:
    kind: FaultKind
    service: str = "*"
    action: str = "*"
    probability: float = 1.0
    count: int | None = None
    """How many more times the rule may fire; None is unlimited."""
    status: int = 503
    code: str = "ServiceUnavailable"
    message: str = ""
    retry_after: int | None = None
    latency_ms: int = 0
    hang_seconds: float = 60.0
    function: str = "worker"
    """For a crash: the s.yaml resource whose instance dies."""
    id: int = 0
    fired: int = 0

    def matches(self, service: str, action: str) -> bool:
        return fnmatch.fnmatchcase(service, self.service) and fnmatch.fnmatchcase(action, self.action)

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> FaultRule:
        allowed = {
            "kind",
            "service",
            "action",
            "probability",
            "count",
            "status",
            "code",
            "message",
            "retry_after",
            "latency_ms",
            "hang_seconds",
            "function",
        }
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise FaultRuleError(f"unknown field(s): {', '.join(unknown)}")
        kind = data.get("kind")
        if kind not in FAULT_KINDS:
            raise FaultRuleError(f"kind: must be one of {', '.join(FAULT_KINDS)}")
        rule = cls(kind=kind)  # type: ignore[arg-type]
        for name in ("service", "action", "code", "message", "function"):
            if name in data:
                value = data[name]
                if not isinstance(value, str):
                    raise FaultRuleError(f"{name}: must be a string")
                setattr(rule, name, value)
        rule.probability = _number(data, "probability", 1.0, 0.0, 1.0)
        rule.status = int(_number(data, "status", 503, 400, 599))
        rule.latency_ms = int(_number(data, "latency_ms", 0, 0, 600_000))
        rule.hang_seconds = _number(data, "hang_seconds", 60.0, 0.0, 3600.0)
        for name in ("count", "retry_after"):
            if data.get(name) is not None:
                setattr(rule, name, int(_number(data, name, 0, 1 if name == "count" else 0, 10**9)))
        if kind == "latency" and rule.latency_ms <= 0:
            raise FaultRuleError("latency_ms: must be positive for a latency rule")
        return rule


def _number(data: Mapping[str, object], name: str, default: float, low: float, high: float) -> float:
    value = data.get(name, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise FaultRuleError(f"{name}: must be a number")
    if not low <= value <= high:
        raise FaultRuleError(f"{name}: must be between {low:g} and {high:g}")
    return float(value)


@dataclass
class FaultDecision:
    latency_ms: int = 0
    terminal: FaultRule | None = None
    fired: list[int] = field(default_factory=list)


class FaultInjector:
    def __init__(self, seed: int | None = None) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._ids = itertools.count(1)
        self._random = random.Random(seed)

    def add(self, rule: FaultRule) -> FaultRule:
        with self._lock:
            rule.id = next(self._ids)
            rule.fired = 0
            self._rules.append(rule)
            return rule

    def remove(self, rule_id: int) -> bool:
        with self._lock:
            before = len(self._rules)
            self._rules = [r for r in self._rules if r.id != rule_id]
            return len(self._rules) != before

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def rules(self) -> list[FaultRule]:
        with self._lock:
            return [FaultRule(**asdict(r)) for r in self._rules]

    def decide(self, service: str, action: str) -> FaultDecision:
        """Latency rules add up; the first terminal rule that fires ends the search."""
        decision = FaultDecision()
        with self._lock:
            for rule in self._rules:
                if rule.count == 0 or not rule.matches(service, action):
                    continue
                if rule.probability < 1.0 and self._random.random() >= rule.probability:
                    continue
                rule.fired += 1
                if rule.count is not None:
                    rule.count -= 1
                decision.fired.append(rule.id)
                if rule.kind == "latency":
                    decision.latency_ms += rule.latency_ms
                else:
                    decision.terminal = FaultRule(**asdict(rule))
                    break
        return decision

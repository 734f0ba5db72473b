from __future__ import annotations

import pytest

from localcloud.faults import FaultInjector, FaultRule, FaultRuleError


def test_rule_with_count_fires_exactly_that_many_times() -> None:
    faults = FaultInjector(seed=1)
    faults.add(FaultRule(kind="error", service="dms", action="RegisterUser", count=2))
    fired = [faults.decide("dms", "RegisterUser").terminal is not None for _ in range(5)]
    assert fired == [True, True, False, False, False]
    assert faults.rules()[0].fired == 2


def test_rule_matches_service_and_action_globs_only() -> None:
    faults = FaultInjector(seed=1)
    faults.add(FaultRule(kind="drop", service="dms*", action="Register*"))
    assert faults.decide("dms-enterprise", "RegisterUser").terminal is not None
    assert faults.decide("mns", "RegisterUser").terminal is None
    assert faults.decide("dms", "AddUserToDataAgentWorkspace").terminal is None


def test_latency_rules_add_up_and_first_terminal_rule_wins() -> None:
    faults = FaultInjector(seed=1)
    faults.add(FaultRule(kind="latency", latency_ms=30))
    faults.add(FaultRule(kind="latency", latency_ms=20))
    first = faults.add(FaultRule(kind="error", code="Throttling.User", status=400))
    faults.add(FaultRule(kind="drop"))
    decision = faults.decide("mns", "SendMessage")
    assert decision.latency_ms == 50
    assert decision.terminal is not None
    assert decision.terminal.id == first.id


def test_probability_is_repeatable_with_a_seed() -> None:
    def run() -> list[bool]:
        faults = FaultInjector(seed=42)
        faults.add(FaultRule(kind="error", probability=0.3))
        return [faults.decide("mns", "SendMessage").terminal is not None for _ in range(200)]

    first, second = run(), run()
    assert first == second
    assert 30 <= sum(first) <= 90


def test_probability_zero_never_fires() -> None:
    faults = FaultInjector(seed=7)
    faults.add(FaultRule(kind="drop", probability=0.0))
    assert all(faults.decide("mns", "SendMessage").terminal is None for _ in range(100))


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"kind": "explode"}, "kind"),
        ({"kind": "error", "probability": 1.5}, "probability"),
        ({"kind": "error", "status": 200}, "status"),
        ({"kind": "error", "count": 0}, "count"),
        ({"kind": "latency"}, "latency_ms"),
        ({"kind": "error", "code": 5}, "code"),
        ({"kind": "error", "colour": "red"}, "colour"),
    ],
)
def test_invalid_rule_is_refused_naming_the_field(data: dict[str, object], field: str) -> None:
    with pytest.raises(FaultRuleError, match=field):
        FaultRule.from_dict(data)


def test_crash_rule_names_the_function_whose_instance_dies() -> None:
    rule = FaultRule.from_dict({"kind": "crash", "service": "dms", "action": "AddUserToDataAgentWorkspace"})
    assert (rule.kind, rule.function) == ("crash", "worker")
    assert FaultRule.from_dict({"kind": "crash", "function": "replay"}).function == "replay"
    with pytest.raises(FaultRuleError, match="function: must be a string"):
        FaultRule.from_dict({"kind": "crash", "function": 3})

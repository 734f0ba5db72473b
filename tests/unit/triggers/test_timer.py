"""The replay function's options, from a timer event's payload (events/fc/timer.json) or as sent."""

from __future__ import annotations

import json

import pytest

from shared.triggers.timer import ReplayOptions
from tests.support.fc_events import load


@pytest.mark.parametrize(
    ("event", "options"),
    [
        ({**load("timer.json"), "payload": '{"dry_run": true, "limit": 5}'}, ReplayOptions(True, 5)),
        ({**load("timer.json"), "payload": ""}, ReplayOptions()),
        (load("timer.json"), ReplayOptions()),
        ({"dry_run": True}, ReplayOptions(dry_run=True)),
        ({"limit": 0}, ReplayOptions()),
        ({"limit": "5"}, ReplayOptions()),
        ({"limit": True}, ReplayOptions()),
        ([1, 2], ReplayOptions()),
    ],
)
def test_options_come_from_the_payload_or_the_body_and_anything_odd_means_none(
    event: object, options: ReplayOptions
) -> None:
    assert ReplayOptions.from_event(json.dumps(event)) == options


def test_unreadable_events_mean_no_options() -> None:
    assert ReplayOptions.from_event(b"not json") == ReplayOptions()
    assert ReplayOptions.from_event(None) == ReplayOptions()

"""A batch is worked one person at a time, newest event first, so older events of a batch are superseded."""

from __future__ import annotations

import json
from typing import Any

from shared.messaging.formats import wrap
from shared.triggers.eventbridge_mns import QueueMessage
from shared.worker import by_person


def message(uid: str | None, occurred_at: str, event_id: str, *, envelope: bool = False) -> QueueMessage:
    employee: dict[str, Any] = {"nickname": "N"} if uid is None else {"uid": uid, "nickname": "N"}
    event = {"event_id": event_id, "occurred_at": occurred_at, "employee": employee}
    body = wrap(event, None) if envelope else json.dumps(event)
    return QueueMessage(body, event_id)


def ids(groups: list[list[Any]]) -> list[list[str]]:
    return [[item.message.message_id for item in group] for group in groups]


def test_one_persons_events_run_newest_first_across_time_zones() -> None:
    batch = [
        message("1", "2025-03-03T09:30:00+08:00", "hire"),  # 01:30Z
        message("1", "2025-03-03T02:00:00Z", "move"),
        message("1", "2025-03-03T01:59:59+00:00", "stale", envelope=True),
    ]
    assert ids(by_person(batch)) == [["move", "stale", "hire"]]


def test_a_tie_in_time_is_broken_by_event_id_as_the_register_orders_it() -> None:
    batch = [message("1", "2025-03-03T02:00:00Z", "a"), message("1", "2025-03-03T02:00:00Z", "b")]
    assert ids(by_person(batch)) == [["b", "a"]]


def test_people_are_grouped_and_messages_naming_nobody_stand_alone() -> None:
    batch = [
        message("1", "2025-03-03T02:00:00Z", "one"),
        message("2", "2025-03-03T02:00:00Z", "two"),
        message(None, "2025-03-03T02:00:00Z", "nobody"),
        QueueMessage("not json at all", "garbage"),
        message("1", "2025-03-04T02:00:00Z", "one-later"),
    ]
    assert ids(by_person(batch)) == [["one-later", "one"], ["two"], ["nobody"], ["garbage"]]


def test_an_unreadable_time_sorts_oldest_rather_than_failing() -> None:
    batch = [message("1", "yesterday", "odd"), message("1", "2025-03-03T02:00:00Z", "fine")]
    assert ids(by_person(batch)) == [["fine", "odd"]]

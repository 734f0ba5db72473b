"""In-memory stand-ins for the register's control documents and RAM: the strategies' logic needs no server."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.identity.ram import RamError
from shared.infra.retry import Deadline
from shared.state.records import ControlRecord


class Controls:
    def __init__(self) -> None:
        self.docs: dict[str, ControlRecord] = {}
        self.writes = 0

    def read_control(self, name: str, deadline: Deadline) -> ControlRecord | None:
        return self.docs.get(name)

    def save_control(self, record: ControlRecord, deadline: Deadline) -> ControlRecord:
        stored = ControlRecord(record.name, dict(record.document), record.revision + 1)
        self.docs[record.name] = stored
        self.writes += 1
        return stored

    def now_ms(self) -> int:
        return 1


class Ram:
    def __init__(self, users: Mapping[str, str], error: RamError | None = None) -> None:
        self.users = dict(users)
        self.error = error
        self.asked: list[str] = []

    def user_id(self, user_name: str) -> str | None:
        self.asked.append(user_name)
        if self.error is not None:
            raise self.error
        return self.users.get(user_name)


class DingTalk:
    def __init__(self, users: Mapping[str, Mapping[str, Any]]) -> None:
        self.users = dict(users)
        self.asked: list[str] = []

    def user(self, userid: str) -> Mapping[str, Any] | None:
        self.asked.append(userid)
        return self.users.get(userid)

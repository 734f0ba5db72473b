"""The register's memory of which UID an HR platform's person was given: what a leaver is resolved by.

A person who left is no longer returned by their platform (DingTalk answers 60121), so nothing but this record
links their HR id to the UID whose access must end. It is a control document of the person register
(`~hr/<source>/<hr id>`, outside every scan of persons), written whenever a person's UID is resolved, and only
when it changes.
"""

from __future__ import annotations

from typing import Protocol

from shared.infra.retry import Deadline
from shared.state.records import ControlRecord
from shared.state.register import RevisionConflict


class ControlStore(Protocol):
    def read_control(self, name: str, deadline: Deadline) -> ControlRecord | None: ...

    def save_control(self, record: ControlRecord, deadline: Deadline) -> ControlRecord: ...

    def now_ms(self) -> int: ...


def _name(source: str, hr_id: str) -> str:
    return f"hr/{source}/{hr_id}"


class HrAliases:
    def __init__(self, register: ControlStore) -> None:
        self.register = register

    def uid(self, source: str, hr_id: str, deadline: Deadline) -> str | None:
        record = self.register.read_control(_name(source, hr_id), deadline)
        found = record.document.get("uid") if record is not None else None
        return found if isinstance(found, str) and found.isdigit() else None

    def remember(self, source: str, hr_id: str, uid: str, deadline: Deadline) -> str | None:
        """Record `uid` for the HR id; the UID recorded before, when it was another (someone corrected the field)."""
        name = _name(source, hr_id)
        for _ in range(3):
            record = self.register.read_control(name, deadline)
            before = record.document.get("uid") if record is not None else None
            if before == uid:
                return None
            document = {"uid": uid, "source": source, "hr_id": hr_id, "at_ms": self.register.now_ms()}
            try:
                self.register.save_control(ControlRecord(name, document, record.revision if record else 0), deadline)
            except RevisionConflict:
                continue
            return before if isinstance(before, str) else None
        return None

"""From a platform's person to the canonical event (contract v1) that the rest of the product reads.

Platform data is not ours to fix, so it is fitted rather than refused where the fit is harmless: names and titles
over the contract's lengths are cut, and a mobile that no numbering plan accepts is left out (DMS does not need one)
with a note in the log, since refusing the hire over a typo in a phone number would keep the person out of DMS.
"""

from __future__ import annotations

from typing import Any

from shared.contract.vocabulary import NICKNAME_MAX, TEXT_MAX
from shared.hr.notice import Notice
from shared.hr.person import HrPerson


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit].rstrip()


def canonical_event(
    notice: Notice, hr_id: str, person: HrPerson | None, uid: str, mobile_region: str
) -> tuple[dict[str, Any], list[str]]:
    """The event, and notes on what was left out (safe to log: they never hold the number)."""
    notes: list[str] = []
    employee: dict[str, Any] = {"uid": uid}
    if person is not None:
        if person.name:
            employee["nickname"] = _cut(person.name, NICKNAME_MAX)
        if person.mobile:
            from shared.contract.mobile import normalise

            try:
                employee["mobile"] = normalise(person.mobile, mobile_region)
            except ValueError as error:
                notes.append(f"mobile left out: {error}")
        if person.department:
            employee["department"] = _cut(person.department, TEXT_MAX)
        if person.title:
            employee["title"] = _cut(person.title, TEXT_MAX)
    event = {
        "schema_version": 1,
        "event_id": notice.event_id(hr_id),
        "source": notice.source,
        "type": notice.type,
        "occurred_at": notice.occurred_at().isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "employee": employee,
    }
    return event, notes

"""The mass-leaver breaker: past LEAVER_LIMIT leavers within LEAVER_WINDOW_SECONDS, further leavers are held.

Entra ID's accidental-deletions threshold is the model: a burst of leavers is far more often an HR export gone
wrong (a department renamed, a feed truncated) than a real exodus, and deprovisioning is the one change that
hurts when it is wrong. Like Entra's, the breaker counts disables and deletions alike, and once tripped it stays
tripped until an operator releases the held leavers (they are applied) or discards them (they are parked): a
window that merely ran out would let the rest of a bad batch through.

State is one control document in the person register, changed by compare-and-set, so every instance shares it:
`{"recent": [ms, ...], "tripped_at": ms | null}`. Only leavers that would revoke something are counted; a leave for
someone who holds nothing passes without a count.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.config import LeaverPolicy
from shared.infra.retry import Deadline
from shared.state.register import ControlRecord, PersonRegister, RevisionConflict

BREAKER = "leaver-breaker"
_ATTEMPTS = 20


@dataclass(frozen=True)
class Admission:
    admitted: bool
    reason: str = ""
    recent: int = 0


class LeaverBreaker:
    def __init__(self, register: PersonRegister, policy: LeaverPolicy) -> None:
        self.register = register
        self.policy = policy

    def admit(self, deadline: Deadline) -> Admission:
        """Count one leaver, or refuse it (and trip) when the window is full or the breaker already tripped."""
        window_ms = self.policy.window_seconds * 1000
        for _ in range(_ATTEMPTS):
            now = self.register.now_ms()
            current = self.register.read_control(BREAKER, deadline) or ControlRecord(BREAKER, {})
            recent = [t for t in _times(current.document.get("recent")) if t > now - window_ms]
            tripped_at = current.document.get("tripped_at")
            if isinstance(tripped_at, int):
                return Admission(False, self._why(len(recent), tripped_at), len(recent))
            if len(recent) >= self.policy.limit:
                document: dict[str, Any] = {"recent": recent, "tripped_at": now}
                admitted = False
            else:
                document = {"recent": [*recent, now], "tripped_at": None}
                admitted = True
            try:
                self.register.save_control(ControlRecord(BREAKER, document, current.revision), deadline)
            except RevisionConflict:
                continue
            if admitted:
                return Admission(True, recent=len(recent) + 1)
            return Admission(False, self._why(len(recent), now), len(recent))
        return Admission(False, "the breaker's state kept changing under contention; held to be safe")

    def reset(self, deadline: Deadline) -> None:
        """Close the breaker and forget the window: the operator has decided about the held leavers."""
        for _ in range(_ATTEMPTS):
            current = self.register.read_control(BREAKER, deadline)
            if current is None:
                return
            try:
                self.register.save_control(
                    ControlRecord(BREAKER, {"recent": [], "tripped_at": None}, current.revision), deadline
                )
            except RevisionConflict:
                continue
            return

    def state(self, deadline: Deadline) -> dict[str, Any]:
        current = self.register.read_control(BREAKER, deadline)
        document = current.document if current is not None else {}
        now = self.register.now_ms()
        recent = [t for t in _times(document.get("recent")) if t > now - self.policy.window_seconds * 1000]
        return {
            "tripped_at": document.get("tripped_at"),
            "recent_leavers": len(recent),
            "limit": self.policy.limit,
            "window_seconds": self.policy.window_seconds,
        }

    def _why(self, recent: int, tripped_at: int) -> str:
        leavers = "1 leaver" if recent == 1 else f"{recent} leavers"
        return (
            f"mass-leaver breaker tripped (at {tripped_at} ms): {leavers} within "
            f"{self.policy.window_seconds} s, limit {self.policy.limit}; held until an operator releases or discards"
        )


def _times(value: object) -> list[int]:
    return [t for t in value if isinstance(t, int) and not isinstance(t, bool)] if isinstance(value, list) else []

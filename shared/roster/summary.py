"""What a roster run came to, per person and in all: the table printed at the end, or its JSON.

An operator reads it to decide what to do next, so it leads with counts per status (the outcome statuses the
result topic carries, so the two can be matched), then names each row that was rejected or failed with its line
and reason, then says what became of the leavers and why (applied, skipped, or refused because the roster may be
incomplete). A dry run lists every person's difference instead of outcomes. Reasons come from the contract and
DMS, never from the row's values, and anything that looks like a phone number is masked all the same: a DMS
error message may quote its parameters.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from shared.contract.mobile import mask_mobile
from shared.contract.problems import Problem
from shared.lifecycle.outcome import Outcome

DONE = ("provisioned", "updated", "unchanged", "deprovisioned", "held", "superseded", "rejected", "failed")
"""What a run comes to, in the words of the outcomes on the result topic."""
PLANNED = ("hire", "update", "unchanged", "leave", "hold", "superseded", "rejected", "failed")
"""What a dry run says would happen."""
TROUBLE = frozenset({"rejected", "failed"})
_PHONE = re.compile(r"(?<![\w+])(\+[1-9]\d{7,14}|1\d{10})(?!\d)")
_LISTED = 10
"""Leavers named in the text before "and N more"; the JSON lists them all."""


@dataclass(frozen=True)
class Result:
    status: str
    uid: str
    line: int | None = None
    """The roster line; None for a leaver, whom the roster does not list."""
    nickname: str = ""
    changes: tuple[str, ...] = ()
    """A dry run's planned calls, in words."""
    reason: str = ""
    problems: tuple[Problem, ...] = ()

    def why(self) -> str:
        if self.problems:
            return "; ".join(str(problem) for problem in self.problems)
        return scrub(self.reason)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"status": self.status, "uid": self.uid or None, "line": self.line}
        if self.nickname:
            out["nickname"] = self.nickname
        if self.changes:
            out["changes"] = list(self.changes)
        if self.problems:
            out["problems"] = [problem.to_dict() for problem in self.problems]
        elif self.reason:
            out["reason"] = scrub(self.reason)
        return out


@dataclass(frozen=True)
class Leavers:
    """The people the register holds active whom the roster leaves out, and whether their leaves were sent."""

    absent: tuple[str, ...] = ()
    decision: str = "applied"
    """`applied`, `skipped` (--no-leavers) or `refused` (the roster may be incomplete)."""
    why: str = ""


@dataclass
class Summary:
    path: str
    format: str
    sha256: str
    as_of: str
    source: str
    dry_run: bool
    rows: int
    results: list[Result] = field(default_factory=list)
    leavers: Leavers = field(default_factory=Leavers)
    notes: list[str] = field(default_factory=list)
    limit: int | None = None
    """LEAVER_LIMIT, to say why leaves were held."""

    @property
    def statuses(self) -> tuple[str, ...]:
        return PLANNED if self.dry_run else DONE

    def counts(self) -> dict[str, int]:
        found = Counter(result.status for result in self.results)
        counts = {status: found.pop(status, 0) for status in self.statuses}
        counts.update(found)  # a status this table does not foresee is shown, not lost
        return counts

    @property
    def exit_code(self) -> int:
        """0 when everyone converged (or would), 1 when a row was rejected or a person failed."""
        return 1 if any(result.status in TROUBLE for result in self.results) else 0

    def ordered(self) -> list[Result]:
        """Roster rows in file order, then leavers by uid."""
        return sorted(self.results, key=lambda r: (r.line is None, r.line or 0, r.uid))

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.path,
            "format": self.format,
            "sha256": self.sha256,
            "as_of": self.as_of,
            "source": self.source,
            "dry_run": self.dry_run,
            "rows": self.rows,
            "statuses": self.counts(),
            "problems": [r.to_dict() for r in self.ordered() if r.status in TROUBLE],
            "leavers": {
                "absent": list(self.leavers.absent),
                "decision": self.leavers.decision,
                "why": self.leavers.why or None,
            },
            "notes": list(self.notes),
            "people": [r.to_dict() for r in self.ordered()],
            "exit_code": self.exit_code,
        }

    def render_json(self) -> str:
        return json.dumps(self.to_json(), ensure_ascii=False, indent=2)

    def render(self) -> str:
        """The text an operator reads: the difference per person (dry run), the table, the troubles, the leavers."""
        parts: list[str] = []
        if self.dry_run:
            parts.append("Dry run: nothing was written to DMS, the register or any queue.\n" + self.differences())
        parts.append(self.table())
        trouble = [r for r in self.ordered() if r.status in TROUBLE]
        if trouble:
            parts.append(f"Rejected and failed ({len(trouble)}):\n" + _rows(trouble, with_changes=False))
        parts.append(self.leaver_text())
        parts.extend(self.notes)
        return "\n\n".join(part for part in parts if part) + "\n"

    def table(self) -> str:
        counts = self.counts()
        heading = (
            f"Roster {self.path} ({self.format}, sha256 {self.sha256[:12]}): {self.rows} "
            f"{'row' if self.rows == 1 else 'rows'}, as of {self.as_of}, source {self.source}"
        )
        width = max(len(status) for status in [*counts, "status", "total"])
        number = max(len("people"), len(str(len(self.results))))
        lines = [heading, f"  {'status':<{width}}  {'people':>{number}}"]
        lines.extend(f"  {status:<{width}}  {count:>{number}}" for status, count in counts.items())
        lines.append(f"  {'total':<{width}}  {sum(counts.values()):>{number}}")
        return "\n".join(lines)

    def differences(self) -> str:
        return _rows(self.ordered(), with_changes=True)

    def leaver_text(self) -> str:
        absent = self.leavers.absent
        if self.leavers.decision == "refused":
            return f"Leavers: refused. {self.leavers.why}"
        if not absent:
            return "Leavers: none; everyone active in the register is on the roster."
        people = f"{len(absent)} active {'person' if len(absent) == 1 else 'people'} in the register"
        named = ", ".join(absent[:_LISTED]) + (f" and {len(absent) - _LISTED} more" if len(absent) > _LISTED else "")
        if self.leavers.decision == "skipped":
            return f"Leavers: skipped (--no-leavers); {people} not on the roster: {named}."
        verb = "would be sent as leavers" if self.dry_run else "were sent as leavers"
        text = f"Leavers: {people} not on the roster {verb}: {named}."
        held = sum(1 for r in self.results if r.status in ("held", "hold"))
        if held:
            limit = f" (LEAVER_LIMIT {self.limit})" if self.limit is not None else ""
            if self.dry_run:
                text += f"\nThe mass-leaver breaker would hold {held} of them{limit}."
            else:
                text += (
                    f"\nThe mass-leaver breaker held {held} of them{limit}: list them with "
                    "`python -m functions.replay --held list`, apply them with `--held release`, or drop them "
                    "with `--held discard`."
                )
        return text


def _rows(results: Sequence[Result], *, with_changes: bool) -> str:
    cells = [
        (
            result.status,
            result.uid or "-",
            f"line {result.line}" if result.line is not None else "leaver",
            result.nickname,
            "; ".join(result.changes) if with_changes and result.changes else "",
            result.why() if result.status in (*TROUBLE, "held", "hold", "superseded") else "",
        )
        for result in results
    ]
    widths = [max((len(row[i]) for row in cells), default=0) for i in range(4)]
    lines = []
    for row in cells:
        detail = "; ".join(part for part in row[4:] if part)
        line = "  " + "  ".join(cell.ljust(width) for cell, width in zip(row[:4], widths, strict=False))
        lines.append((line + "  " + detail).rstrip())
    return "\n".join(lines)


def reason_of(outcome: Outcome) -> str:
    """Why an outcome is not a success, in one line: the failed call (operation, DMS code, request id), the
    breaker's reason for a held leave, or the newer event that superseded this one."""
    extra = outcome.extra
    if outcome.status == "superseded":
        return f"a newer event was applied: {extra.get('superseded_by', '')}"
    if outcome.status == "held":
        return str(extra.get("reason", "held by the mass-leaver breaker"))
    step = next((s for s in outcome.steps if s.result == "failed"), None)
    if step is None:
        return str(extra.get("reason", "") or outcome.detail)
    text = f"{step.operation or step.step} failed"
    if step.code:
        text += f": {step.code}"
    if step.message:
        text += f": {step.message}"
    notes = [f"request {step.request_id}"] if step.request_id else []
    notes.append("retryable" if step.retryable else "not retryable")
    return f"{text} ({'; '.join(notes)})"


def from_outcome(outcome: Outcome, line: int | None, nickname: str) -> Result:
    status = outcome.status
    reason = reason_of(outcome) if status in ("failed", "held", "superseded") else ""
    return Result(status, outcome.uid, line, nickname, reason=reason, problems=tuple(outcome.problems))


def scrub(text: str) -> str:
    """Phone numbers masked in text that came from elsewhere (a DMS error message may quote a parameter)."""

    def masked(match: re.Match[str]) -> str:
        number = match.group(0)
        try:
            return mask_mobile(number)
        except ValueError:
            return number[:3] + "*" * (len(number) - 5) + number[-2:]

    return _PHONE.sub(masked, text)

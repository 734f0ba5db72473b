"""The summary an operator reads at the end of a roster run, as text and as JSON, and the exit status it gives.

It is what decides the next step (fix a row, release held leaves, run again), so these tests pin what it must
say: every status counted, each rejected or failed row with its line and reason, what became of the leavers and
why, and never a whole phone number, even one a DMS error message quoted.
"""

from __future__ import annotations

import json
import re

import pytest

from shared.contract.problems import Problem
from shared.lifecycle.outcome import Outcome
from shared.lifecycle.steps import StepResult
from shared.roster.summary import DONE, PLANNED, Leavers, Result, Summary, from_outcome, scrub

SHA = "5aa57bf589870123" * 4


def summary(*results: Result, dry_run: bool = False, leavers: Leavers | None = None) -> Summary:
    return Summary(
        "people.csv",
        "csv",
        SHA,
        "2025-03-01T09:00:00+08:00",
        "roster",
        dry_run,
        sum(1 for r in results if r.line is not None),
        list(results),
        leavers or Leavers(),
        limit=10,
    )


def counts(text: str) -> dict[str, int]:
    return {m[1]: int(m[2]) for m in re.finditer(r"^  ([a-z_]+) +([0-9]+)$", text, re.MULTILINE)}


BAD_ROW = Result(
    "rejected",
    "2000000000107",
    5,
    "Bad Row",
    problems=(Problem("mobile", "must be a valid number"), Problem("roles.1", "must be one of: USER, DBA")),
)
FAILED = Result("failed", "2000000000109", None, reason="DisableUser failed: Forbidden.RAM (request R1; not retryable)")


def test_the_table_counts_every_status_in_the_outcomes_words_with_a_total() -> None:
    text = summary(Result("provisioned", "1", 2), Result("provisioned", "2", 3), Result("unchanged", "3", 4)).render()
    assert text.startswith(
        "Roster people.csv (csv, sha256 5aa57bf58987): 3 rows, as of 2025-03-01T09:00:00+08:00, source roster\n"
    )
    assert counts(text) == {**dict.fromkeys(DONE, 0), "provisioned": 2, "unchanged": 1, "total": 3}
    assert list(counts(text))[: len(DONE)] == list(DONE)


def test_rejected_and_failed_rows_are_listed_with_line_uid_and_every_reason() -> None:
    text = summary(Result("provisioned", "1", 2), BAD_ROW, FAILED).render()
    listed = text.split("Rejected and failed (2):\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert re.split(r"\s{2,}", listed[0].strip()) == [
        "rejected",
        "2000000000107",
        "line 5",
        "Bad Row",
        "mobile: must be a valid number; roles.1: must be one of: USER, DBA",
    ]
    assert re.split(r"\s{2,}", listed[1].strip()) == [
        "failed",
        "2000000000109",
        "leaver",
        "DisableUser failed: Forbidden.RAM (request R1; not retryable)",
    ]


def test_the_exit_status_is_one_when_a_row_was_rejected_or_a_person_failed() -> None:
    assert summary(Result("provisioned", "1", 2), Result("held", "9")).exit_code == 0
    assert summary(Result("provisioned", "1", 2), BAD_ROW).exit_code == 1
    assert summary(FAILED).exit_code == 1


def test_refused_leavers_say_why_and_what_to_do() -> None:
    why = "1 row was rejected, so the roster may not list everyone. Fix the rows, or run with --no-leavers."
    text = summary(BAD_ROW, leavers=Leavers(("2000000000109",), "refused", why)).render()
    assert f"Leavers: refused. {why}" in text


def test_skipped_leavers_are_named_so_the_operator_sees_who_is_missing() -> None:
    text = summary(Result("unchanged", "1", 2), leavers=Leavers(("9", "8"), "skipped")).render()
    assert "Leavers: skipped (--no-leavers); 2 active people in the register not on the roster: 9, 8." in text


def test_a_long_list_of_leavers_is_cut_short_in_the_text_and_whole_in_the_json() -> None:
    absent = tuple(str(n) for n in range(25))
    made = summary(leavers=Leavers(absent, "applied"))
    assert "0, 1, 2, 3, 4, 5, 6, 7, 8, 9 and 15 more." in made.render()
    assert made.to_json()["leavers"]["absent"] == list(absent)


def test_held_leaves_point_to_the_operator_commands() -> None:
    text = summary(
        Result("deprovisioned", "8"), Result("held", "9", reason="breaker"), leavers=Leavers(("8", "9"))
    ).render()
    assert "The mass-leaver breaker held 1 of them (LEAVER_LIMIT 10)" in text
    assert "python -m functions.replay --held list" in text


def test_a_dry_run_lists_each_persons_difference_before_the_table() -> None:
    text = summary(
        Result("update", "2000000000101", 2, "Chen Jing", ("workspace 7305 role MEMBER -> ADMIN",)),
        Result("unchanged", "2000000000103", 4, "Priya Raman"),
        Result("hold", "2000000000109", None, changes=("disable the user",), reason="the breaker would hold it"),
        dry_run=True,
        leavers=Leavers(("2000000000109",)),
    ).render()
    head, table = text.split("\n\nRoster ", 1)
    assert head.splitlines() == [
        "Dry run: nothing was written to DMS, the register or any queue.",
        "  update     2000000000101  line 2  Chen Jing    workspace 7305 role MEMBER -> ADMIN",
        "  unchanged  2000000000103  line 4  Priya Raman",
        "  hold       2000000000109  leaver               disable the user; the breaker would hold it",
    ]
    assert list(counts(table))[: len(PLANNED)] == list(PLANNED)
    assert "The mass-leaver breaker would hold 1 of them" in table


def test_the_json_summary_carries_counts_problems_leavers_and_people() -> None:
    document = json.loads(
        summary(Result("provisioned", "1", 2), BAD_ROW, leavers=Leavers((), "refused", "x")).render_json()
    )
    assert document["statuses"]["provisioned"] == 1
    assert document["problems"] == [
        {
            "status": "rejected",
            "uid": "2000000000107",
            "line": 5,
            "nickname": "Bad Row",
            "problems": [
                {"field": "mobile", "reason": "must be a valid number"},
                {"field": "roles.1", "reason": "must be one of: USER, DBA"},
            ],
        }
    ]
    assert document["leavers"] == {"absent": [], "decision": "refused", "why": "x"}
    assert [p["uid"] for p in document["people"]] == ["1", "2000000000107"]
    assert (document["sha256"], document["exit_code"]) == (SHA, 1)


def test_a_status_the_table_does_not_foresee_is_still_counted() -> None:
    assert summary(Result("dry_run", "1", 2)).counts()["dry_run"] == 1


def test_a_failure_reason_names_the_call_the_dms_code_and_the_request() -> None:
    failing = StepResult("disable_user", "failed", "DisableUser", 1, "permanent", "R1", "Forbidden.RAM", "denied")
    outcome = Outcome("failed", "e", "roster", "c", "employee.left", "9", steps=(failing,))
    assert (
        from_outcome(outcome, None, "").reason
        == "DisableUser failed: Forbidden.RAM: denied (request R1; not retryable)"
    )


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("Mobile +8613800138101 is invalid", "Mobile +86 138******01 is invalid"),
        ("mobile 13800138101 taken", "mobile 138******01 taken"),
        ("uid 2000000000101 and request 1A2B3C", "uid 2000000000101 and request 1A2B3C"),
    ],
)
def test_phone_numbers_in_reasons_from_elsewhere_are_masked_and_uids_are_not(text: str, shown: str) -> None:
    assert scrub(text) == shown

"""The progress bar: drawn for a person at a terminal, silent anywhere else, and out of the summary's way."""

from __future__ import annotations

import io

from shared.roster.progress import Progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_nothing_is_written_when_stderr_is_not_a_terminal() -> None:
    stream = io.StringIO()
    progress = Progress(3, stream)
    for status in ("provisioned", "unchanged", "failed"):
        progress.advance(status)
    progress.close()
    assert stream.getvalue() == ""


def test_a_terminal_sees_done_of_total_a_bar_and_counts_per_status() -> None:
    stream = Terminal()
    progress = Progress(4, stream, width=60)
    progress.advance("provisioned")
    progress.advance("failed")
    assert progress.line() == "roster 2/4 [" + "#" * 8 + "." * 8 + "]  50%  failed 1  provisioned 1"
    assert len(progress.line()) == 59, "one column short of the width, so the cursor never wraps"
    assert stream.getvalue().startswith("\rroster 1/4 [")


def test_redraws_are_limited_to_ten_a_second_but_the_last_is_always_drawn() -> None:
    stream, clock = Terminal(), Clock()
    progress = Progress(100, stream, width=60, clock=clock)
    for _ in range(99):
        progress.advance("unchanged")
    assert stream.getvalue().count("\r") == 1
    clock.now = 0.2
    progress.advance("unchanged")
    assert stream.getvalue().count("\r") == 2
    assert "100/100" in stream.getvalue()


def test_closing_clears_the_line_for_the_summary_that_follows() -> None:
    stream = Terminal()
    progress = Progress(1, stream, width=60)
    progress.advance("provisioned")
    drawn = len(stream.getvalue()) - 1
    progress.close()
    assert stream.getvalue().endswith("\r" + " " * drawn + "\r")


def test_the_total_grows_when_leavers_are_added_after_the_rows() -> None:
    progress = Progress(2, Terminal(), width=60)
    progress.advance("unchanged")
    progress.add(2)
    assert progress.line().startswith("roster 1/4 [")


def test_a_narrow_terminal_gets_the_numbers_without_the_bar() -> None:
    progress = Progress(10, Terminal(), width=30)
    progress.advance("provisioned")
    assert progress.line() == "roster 1/10 10%  provisioned 1"[:29]

"""``desugar.cli.Report``: the counts, messages, summary line and exit status of
a translate run, tested directly (tests/test_cli.py tests them through the command)."""

from __future__ import annotations

from pathlib import Path

import pytest

from desugar.cli import EXIT_ERROR, EXIT_OK, EXIT_WOULD_CHANGE, Report


def test_return_code_is_0_when_nothing_failed_and_check_is_off() -> None:
    report = Report()
    report.done("a.py", True)
    report.done("b.py", False)
    assert report.return_code == EXIT_OK == 0


def test_return_code_is_1_when_check_finds_a_file_to_translate() -> None:
    report = Report(check=True, quiet=True)
    report.done("a.py", False)
    assert report.return_code == EXIT_OK
    report.done("b.py", True)
    assert report.return_code == EXIT_WOULD_CHANGE == 1


def test_diff_alone_does_not_make_a_change_exit_1() -> None:
    report = Report(diff=True, quiet=True)
    report.done("a.py", True)
    assert report.return_code == EXIT_OK


def test_return_code_is_123_on_any_failure_even_with_check_changes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    report = Report(check=True, quiet=True)
    report.done("a.py", True)
    report.failed("a.py:1:1: error: bad")
    assert report.return_code == EXIT_ERROR == 123
    assert capsys.readouterr().err == "a.py:1:1: error: bad\n"


def test_summary_counts_files_in_the_translate_wording() -> None:
    report = Report()
    report.done("a.py", True)
    assert str(report) == "1 file translated, 0 left unchanged, 0 failed."
    report.done("b.py", True)
    report.done("c.py", False)
    report.done("d.py", False)
    report.failed("x")
    assert str(report) == "2 files translated, 2 left unchanged, 1 failed."


@pytest.mark.parametrize("flag", ["check", "diff"])
def test_summary_says_would_under_check_and_diff_and_names_failures_only_if_any(
    flag: str,
) -> None:
    report = Report(**{flag: True, "quiet": True})
    report.done("a.py", True)
    report.done("b.py", False)
    assert str(report) == "1 file would be translated, 1 file would be left unchanged."
    report.failed("x")
    report.failed("y")
    assert str(report) == (
        "1 file would be translated, 1 file would be left unchanged, "
        "2 files would fail to translate."
    )


def test_default_run_tells_nothing_per_file_and_summarises_only_several_inputs(
    capsys: pytest.CaptureFixture[str],
) -> None:
    report = Report()
    report.done("a.py", True)
    report.done("b.py", False)
    report.summarise(several=False)
    assert capsys.readouterr().err == ""
    report.summarise(several=True)
    assert capsys.readouterr().err == "1 file translated, 1 left unchanged, 0 failed.\n"


def test_verbose_tells_every_file_its_destination_and_always_summarises(
    capsys: pytest.CaptureFixture[str],
) -> None:
    report = Report(verbose=True)
    report.done("a.py", True, dest=Path("out") / "a.py")
    report.done("b.py", True)
    report.done("c.py", False)
    report.summarise(several=False)
    assert capsys.readouterr().err == (
        f"translated a.py -> {Path('out') / 'a.py'}\n"
        "translated b.py\n"
        "unchanged c.py\n"
        "2 files translated, 1 left unchanged, 0 failed.\n"
    )


def test_check_names_files_that_would_change_and_verbose_adds_the_unchanged(
    capsys: pytest.CaptureFixture[str],
) -> None:
    report = Report(check=True)
    report.done("a.py", True)
    report.done("b.py", False)
    assert capsys.readouterr().err == "would translate a.py\n"
    report = Report(check=True, verbose=True)
    report.done("a.py", True)
    report.done("b.py", False)
    assert capsys.readouterr().err == "would translate a.py\nunchanged b.py\n"


def test_quiet_tells_failures_only_but_still_counts_and_sets_the_exit_code(
    capsys: pytest.CaptureFixture[str],
) -> None:
    report = Report(check=True, quiet=True)
    report.done("a.py", True)
    report.done("b.py", False)
    report.summarise(several=True)
    assert capsys.readouterr().err == ""
    assert (report.change_count, report.same_count) == (1, 1)
    assert report.return_code == EXIT_WOULD_CHANGE
    report.failed("error: cannot read c.py: Permission denied")
    assert capsys.readouterr().err == "error: cannot read c.py: Permission denied\n"
    assert report.failure_count == 1

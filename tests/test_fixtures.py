"""Fixtures: each input in fixtures/ beside its expected translation.

Every fixture is diffed against its expected output, and run three ways (the
input natively, the input translated, the expected output as it stands) with
the outputs compared. Translating the expected output again changes nothing.
The fixtures of fixtures/ are in the default style; those of fixtures/hir/, in
the ``hir`` style. Regenerate with ``pytest tests/test_fixtures.py --update-fixtures``.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

import desugar
from tests.support import run

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
INPUTS = sorted(p for p in FIXTURES.glob("*.py") if not p.name.endswith(".expected.py"))
HIR_INPUTS = sorted(p for p in (FIXTURES / "hir").glob("*.py") if not p.name.endswith(".expected.py"))
ALL = [(p, None) for p in INPUTS] + [(p, "hir") for p in HIR_INPUTS]
IDS = [p.stem if style is None else f"{style}-{p.stem}" for p, style in ALL]


def expected_path(path: Path) -> Path:
    return path.with_name(path.stem + ".expected.py")


def test_there_are_enough_fixtures_and_the_first_is_a_no_op() -> None:
    assert len(INPUTS) >= 15
    assert len(HIR_INPUTS) >= 7
    first = INPUTS[0]
    assert first.name.startswith("00_no_async")
    assert expected_path(first).read_text() == first.read_text()


@pytest.mark.parametrize("path,style", ALL, ids=IDS)
def test_fixture_translation_matches_expected(path: Path, style: str | None, request: pytest.FixtureRequest) -> None:
    source = path.read_text()
    got = desugar.translate(source, path.name, style=style)
    expected_file = expected_path(path)
    if request.config.getoption("--update-fixtures"):
        expected_file.write_text(got)
    expected = expected_file.read_text()
    if got != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(keepends=True),
                got.splitlines(keepends=True),
                f"{expected_file.name} (expected)",
                f"{path.name} (translated now)",
            )
        )
        pytest.fail(f"translation of {path.name} differs from its fixture:\n{diff}", pytrace=False)


@pytest.mark.parametrize("path,style", ALL, ids=IDS)
def test_fixture_runs_the_same_natively_and_translated(path: Path, style: str | None) -> None:
    source = path.read_text()
    native = run(source, translated=False, name=path.stem)
    assert native.strip(), "a fixture must print what it did"
    translated = run(source, translated=True, name=path.stem, style=style)
    assert translated == native
    as_written = run(expected_path(path).read_text(), translated=False, name=path.stem)
    assert as_written == native


@pytest.mark.parametrize("path,style", ALL, ids=IDS)
def test_fixture_output_is_stable_and_compiles(path: Path, style: str | None) -> None:
    expected = expected_path(path).read_text()
    compile(expected, path.name, "exec")
    assert desugar.translate(expected, path.name, style=style) == expected


def test_hir_fixtures_read_as_the_articles_hir() -> None:
    for path in HIR_INPUTS:
        expected = expected_path(path).read_text()
        assert "_ds_rt.Pin.new_unchecked(_ds_awaitee)" in expected, path.name
        assert "case _ds_rt.Ready():" in expected and "case _ds_rt.Pending:" in expected, path.name
        assert "for _ds_poll in" not in expected, path.name

"""Fixtures: each input in fixtures/ beside its expected translation.

Every fixture is diffed against its expected output, and run three ways (the
input natively, the input translated, the expected output as it stands) with
the outputs compared. Translating the expected output again changes nothing.
The fixtures of fixtures/ are in the default style; those of fixtures/hir/, in
the ``hir`` style. Regenerate with ``pytest tests/test_fixtures.py --update-fixtures``.

Where the translation differs by the Python that translates (from 3.12 an
async list, set or dict comprehension is inlined, as CPython inlines it: PEP
709), ``NN_name.py312.expected.py`` holds what 3.12 and later give and
``NN_name.expected.py`` what 3.10 and 3.11 give; each Python checks its own,
and ``--update-fixtures`` on 3.12+ writes the ``py312`` file only where it
differs.
"""

from __future__ import annotations

import difflib
import sys
from pathlib import Path

import pytest

import desugar
from tests.support import run

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
INPUTS = sorted(p for p in FIXTURES.glob("*.py") if not p.name.endswith(".expected.py"))
HIR_INPUTS = sorted(p for p in (FIXTURES / "hir").glob("*.py") if not p.name.endswith(".expected.py"))
ALL = [(p, None) for p in INPUTS] + [(p, "hir") for p in HIR_INPUTS]
IDS = [p.stem if style is None else f"{style}-{p.stem}" for p, style in ALL]


INLINED = sys.version_info >= (3, 12)  # (see `desugar.compiler.lowering.comprehension.INLINED`)


def expected_path(path: Path) -> Path:
    """The expected translation by the running Python (the ``py312`` one from 3.12, if there is one)."""
    inlined = inlined_path(path)
    if INLINED and inlined.exists():
        return inlined
    return path.with_name(path.stem + ".expected.py")


def inlined_path(path: Path) -> Path:
    return path.with_name(path.stem + ".py312.expected.py")


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
        base = path.with_name(path.stem + ".expected.py")
        if not INLINED:
            base.write_text(got)
        elif base.read_text() != got:
            inlined_path(path).write_text(got)
        else:
            inlined_path(path).unlink(missing_ok=True)
        expected_file = expected_path(path)
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


def test_a_py312_fixture_is_where_3_12_translates_otherwise() -> None:
    """Each ``py312`` file beside its fixture differs from the other, by the inlined comprehensions."""
    variants = sorted([*FIXTURES.glob("*.py312.expected.py"), *(FIXTURES / "hir").glob("*.py312.expected.py")])
    assert variants, "the async comprehensions' fixtures read as 3.12 translates them"
    for variant in variants:
        base = variant.with_name(variant.name.replace(".py312.expected.py", ".expected.py"))
        assert base.exists(), variant.name
        assert variant.read_text() != base.read_text(), variant.name
        assert "_ds_listcomp" in base.read_text() and "_ds_listcomp" not in variant.read_text(), variant.name


def test_hir_fixtures_read_as_the_articles_hir() -> None:
    for path in HIR_INPUTS:
        expected = expected_path(path).read_text()
        assert "_ds_rt.Pin.new_unchecked(_ds_awaitee)" in expected, path.name
        assert "case _ds_rt.Ready():" in expected and "case _ds_rt.Pending:" in expected, path.name
        assert "for _ds_poll in" not in expected, path.name

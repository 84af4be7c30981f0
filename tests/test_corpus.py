"""Differential corpus: every program in tests/corpus/ behaves the same translated.

Each program records an ordered trace of side effects (evaluation order of
operands, arguments, targets, context managers, async iterators, async
generators ...) and prints it with its results. The native run is the oracle:
it must print something and must not fail (programs catch and print their own
exceptions), and the translated run must print exactly the same.

A program that needs a newer Python than the oldest supported one starts with
``# requires: 3.N (what it needs)`` and is skipped, with that reason, on older
ones (``support.program_params``).
"""

from __future__ import annotations

import pathlib

import pytest

from support import program_params, run

CORPUS = pathlib.Path(__file__).parent / "corpus"
PROGRAMS = sorted(CORPUS.glob("*.py"))


def test_corpus_is_large_enough() -> None:
    assert len(PROGRAMS) >= 100, f"only {len(PROGRAMS)} programs in {CORPUS}"


@pytest.mark.parametrize("style", ["poll", "hir", "yield-from"])
@pytest.mark.parametrize("path", program_params(PROGRAMS))
def test_translated_matches_native(path: pathlib.Path, style: str) -> None:
    """Each program in each output style (``hir``: the article's HIR, see docs/lowerings.md;
    ``yield-from``: CPython's own loop)."""
    stem = path.stem
    source = path.read_text(encoding="utf-8")
    native = run(source, translated=False, name=stem)
    assert native.strip(), f"{stem} printed nothing natively"
    failed = [line for line in native.splitlines() if line.startswith("!! ")]
    assert not failed, f"{stem} failed natively (programs must catch their own errors):\n{native}"
    ours = run(source, translated=True, name=stem, style=style)
    assert ours == native, f"native:\n{native}\ntranslated:\n{ours}"


@pytest.mark.parametrize("lowering", ["callback", "callback-async-stacks"])
@pytest.mark.parametrize("path", program_params(PROGRAMS))
def test_lowering_matches_native(path: pathlib.Path, lowering: str) -> None:
    """Each program under the callback lowerings: only stacks and cost differ, never results."""
    stem = path.stem
    source = path.read_text(encoding="utf-8")
    native = run(source, translated=False, name=stem)
    ours = run(source, translated=True, name=stem, lowering=lowering)
    assert ours == native, f"native:\n{native}\n{lowering}:\n{ours}"


@pytest.mark.parametrize("path", program_params(PROGRAMS))
def test_narrow_black_layout_matches_native(path: pathlib.Path) -> None:
    """The same program laid out by black at line length 16: expressions split over lines."""
    import black

    stem = path.stem
    source = black.format_str(path.read_text(encoding="utf-8"), mode=black.Mode(line_length=16))
    native = run(source, translated=False, name=stem)
    assert native.strip() and "\n!! " not in "\n" + native, native
    ours = run(source, translated=True, name=stem)
    assert ours == native, f"native:\n{native}\ntranslated:\n{ours}"

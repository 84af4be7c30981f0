"""Differential corpus of unchanged asyncio programs: translated == native under asyncio.run.

Each program in tests/asyncio_corpus/ is a plain asyncio program (``import
asyncio`` ... ``asyncio.run(main())``) that prints an ordered trace of what
happened. The native run is the oracle: it must print something and must not
fail (programs catch and print their own exceptions); the translated run must
print exactly the same. What asyncio logs (``Task exception was never
retrieved``, ``Task was destroyed but it is pending!`` ...) must match too: the
first line of each message, after a garbage collection so that finalizers run
here and not in the middle of the next program.

A program that needs a newer Python than the oldest supported one starts with
``# requires: 3.N (what it needs)`` and is skipped, with that reason, on older
ones (``support.program_params``).
"""

from __future__ import annotations

import gc
import logging
import pathlib
import re

import pytest

from support import program_params, run

CORPUS = pathlib.Path(__file__).parent / "asyncio_corpus"
PROGRAMS = sorted(CORPUS.glob("*.py"))


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        first = record.getMessage().splitlines()[0] if record.getMessage() else ""
        self.messages.append(re.sub(r"0x[0-9a-f]+", "0x?", first))


def run_logged(source: str, *, translated: bool, name: str) -> tuple[str, list[str]]:
    """``run`` plus the asyncio log messages emitted during the run and a collection after it."""
    logger = logging.getLogger("asyncio")
    handler = _Collect()
    logger.addHandler(handler)
    try:
        output = run(source, translated=translated, name=name)
        gc.collect()
    finally:
        logger.removeHandler(handler)
    return output, handler.messages


def test_asyncio_corpus_is_large_enough() -> None:
    assert len(PROGRAMS) >= 40, f"only {len(PROGRAMS)} programs in {CORPUS}"


@pytest.mark.parametrize("path", program_params(PROGRAMS))
def test_translated_matches_native(path: pathlib.Path) -> None:
    stem = path.stem
    source = path.read_text(encoding="utf-8")
    native, native_log = run_logged(source, translated=False, name=stem)
    assert native.strip(), f"{stem} printed nothing natively"
    failed = [line for line in native.splitlines() if line.startswith("!! ")]
    assert not failed, f"{stem} failed natively (programs must catch their own errors):\n{native}"
    ours, our_log = run_logged(source, translated=True, name=stem)
    assert ours == native, f"native:\n{native}\ntranslated:\n{ours}"
    assert our_log == native_log, f"asyncio logged natively:\n{native_log}\ntranslated:\n{our_log}"

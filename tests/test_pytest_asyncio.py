"""A small third-party-style suite written with pytest-asyncio, run natively and translated.

Async tests, async fixtures and async-generator fixtures: pytest-asyncio finds
them through ``inspect.iscoroutinefunction``/``isasyncgenfunction``, which
say True for translated functions (see `desugar.runtime.AsyncFn`).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import desugar
from support import leftover_async

pytest.importorskip("pytest_asyncio", reason="pytest-asyncio is in the test extra")

PROJECT = Path(__file__).resolve().parent / "data" / "pytest_asyncio_project"


def run_suite(directory: Path) -> dict[str, str]:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-rA", "-p", "no:cacheprovider", "-q", str(directory)],
        cwd=directory, capture_output=True, text=True, timeout=120,
    )
    outcomes = dict(
        (test, outcome)
        for outcome, test in re.findall(r"^(PASSED|FAILED|ERROR) \S*::(\w+)", result.stdout, re.M)
    )
    assert outcomes, result.stdout + result.stderr
    return outcomes


def test_pytest_asyncio_suite_gives_the_same_outcomes_translated(tmp_path: Path) -> None:
    native_dir = tmp_path / "native"
    translated_dir = tmp_path / "translated"
    shutil.copytree(PROJECT, native_dir)
    translated_dir.mkdir()
    for path in PROJECT.glob("*.py"):
        out = desugar.translate(path.read_text(), str(path))
        assert leftover_async(out) == []
        (translated_dir / path.name).write_text(out)
    native = run_suite(native_dir)
    translated = run_suite(translated_dir)
    assert native == {
        "test_fetch": "PASSED",
        "test_stream": "PASSED",
        "test_gather": "PASSED",
        "test_expected_failure_is_reported": "PASSED",
        "test_log_order": "PASSED",
        "test_this_one_fails_on_purpose": "FAILED",
    }
    assert translated == native

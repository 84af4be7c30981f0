"""``desugar cache DIR``: the hook's cache filled ahead of time, so imports translate nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

ASYNC_SRC = "import asyncio\n\n\nasync def f():\n    await asyncio.sleep(0)\n    return {n}\n"


def _env(tmp_path: Path) -> dict[str, str]:
    # PYTHONDONTWRITEBYTECODE is set on purpose: the command writes its entries all the same.
    return {**os.environ, "PYTHONPATH": f"{PROJECT_ROOT}{os.pathsep}{tmp_path}", "PYTHONDONTWRITEBYTECODE": "1"}


def _cache(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "desugar", "cache", *args],
        capture_output=True, text=True, env=_env(tmp_path), cwd=tmp_path,
    )


def test_cache_command_fills_the_hooks_cache_so_imports_translate_nothing(tmp_path: Path) -> None:
    pkg = tmp_path / "pcpkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text(ASYNC_SRC.format(n=1))
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "b.py").write_text(ASYNC_SRC.format(n=2))
    (pkg / "plain.py").write_text("X = 3\n")
    (pkg / "zz_bad.py").write_text("async def f(:\n")

    first = _cache(tmp_path, "-W", "2", "pcpkg")
    assert first.returncode == 123
    assert first.stderr.splitlines()[0].endswith("zz_bad.py:1:13: SyntaxError: invalid syntax")
    assert first.stderr.splitlines()[-1] == "2 translated, 0 already cached, 3 without async, 1 failed."
    one_process = _cache(tmp_path, "-W", "1", "pcpkg")
    assert one_process.stderr.splitlines()[-1] == "0 translated, 2 already cached, 3 without async, 1 failed."

    code = (
        "import asyncio, json, desugar, desugar.hook\n"
        "desugar.install(['pcpkg'])\n"
        "import pcpkg.a, pcpkg.sub.b, pcpkg.plain\n"
        "assert asyncio.run(pcpkg.a.f()) + asyncio.run(pcpkg.sub.b.f()) == 3\n"
        "s = desugar.hook.stats\n"
        "print(json.dumps([s.translations, s.cache_hits]))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=_env(tmp_path), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.splitlines()[-1]) == [0, 2]


def test_cache_command_without_async_files_says_so(tmp_path: Path) -> None:
    (tmp_path / "p.py").write_text("X = 1\n")
    result = _cache(tmp_path, "p.py")
    assert result.returncode == 0
    assert result.stderr == "0 translated, 0 already cached, 1 without async, 0 failed.\n"


PYTEST_TREE = {
    "ptpkg/__init__.py": "",
    "ptpkg/core.py": "async def double(x):\n    return 2 * x\n",
    "tests/conftest.py": (
        "import desugar.cache\n\n\n"
        "async def helper():\n    return 1\n\n\n"
        "def pytest_terminal_summary(terminalreporter):\n"
        "    s = desugar.cache.stats\n"
        "    terminalreporter.write_line(f'CACHE {s.translations} {s.cache_hits}')\n"
    ),
    "tests/test_core.py": (
        "import asyncio\n\nfrom ptpkg.core import double\n\n\n"
        "async def twice(x):\n    return await double(x)\n\n\n"
        "def test_double():\n    assert asyncio.run(twice(2)) == 4\n"
    ),
}


def _pytest_counts(tree: Path) -> tuple[int, int]:
    """(translations, cache hits) of a ``pytest --desugar ptpkg`` run in ``tree``."""
    env = {**_env(tree), "PYTHONPATH": f"{PROJECT_ROOT}{os.pathsep}{tree}"}
    env.pop("PYTHONDONTWRITEBYTECODE")  # the entries pytest writes are allowed here, as in a real run
    env.pop("PYTEST_ADDOPTS", None)
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "desugar.pytest_plugin",
         "--desugar", "ptpkg", "tests"],
        capture_output=True, text=True, env=env, cwd=tree, timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    translations, hits = next(
        line.split()[1:] for line in proc.stdout.splitlines() if line.startswith("CACHE ")
    )
    return int(translations), int(hits)


def test_cache_command_fills_what_pytest_desugar_loads_test_files_from(tmp_path: Path) -> None:
    for name in ("hook_only", "with_pytest"):
        for path, text in PYTEST_TREE.items():
            (tmp_path / name / path).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / name / path).write_text(text)
    # Without the pytest entries, the plugin translates the test file and the conftest.py itself.
    hook_only = _cache(tmp_path / "hook_only", "--no-pytest", "-W", "1", ".")
    assert hook_only.stderr.splitlines()[-1] == "3 translated, 0 already cached, 1 without async, 0 failed."
    assert _pytest_counts(tmp_path / "hook_only") == (2, 1)
    # With them (the default), the first pytest --desugar run translates nothing.
    filled = _cache(tmp_path / "with_pytest", "-W", "2", ".")
    assert filled.returncode == 0, filled.stderr
    assert filled.stderr.splitlines()[-1] == "3 translated, 0 already cached, 1 without async, 0 failed."
    assert _pytest_counts(tmp_path / "with_pytest") == (0, 3)
    again = _cache(tmp_path / "with_pytest", "-W", "1", ".")
    assert again.stderr.splitlines()[-1] == "0 translated, 3 already cached, 1 without async, 0 failed."

"""The one translation cache (`desugar.cache`): what its key covers, for the hook and the pytest plugin.

An entry is keyed by `desugar.cache.cache_key`: the `Mode`, desugar's version, a
fingerprint of every module that shapes the cached code (the whole compiler,
the mode, the code-flag rewrite), Python's magic number and optimize level,
and for the pytest plugin its compile step. An edit to any of those modules,
in a copy of the package, makes both the hook and the plugin translate again;
an edit elsewhere does not.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import desugar
from desugar import cache
from desugar.mode import Mode

ROOT = Path(__file__).resolve().parent.parent


class _Step(cache.Step):
    def __init__(self, tag: str, key: str, shaping: tuple[str, ...] = ()) -> None:
        self.tag, self.key, self.shaping = tag, key, shaping


def test_the_key_sets_apart_each_mode_and_each_step() -> None:
    modes = [Mode(), Mode(style="hir"), Mode("callback"), Mode("callback-async-stacks")]
    steps = [None, _Step("a", "one"), _Step("a", "two"), _Step("a", "one", ("pytest_plugin.py",))]
    keys = {cache.cache_key(mode, step) for mode in modes for step in steps}
    assert len(keys) == len(modes) * len(steps)
    assert cache.cache_key(Mode(style="poll")) == cache.cache_key()  # the default, however spelled


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda m: m.setattr(desugar, "__version__", "0.0.1"), id="version"),
        pytest.param(lambda m: m.setattr(cache, "MAGIC_NUMBER", b"\0\0\r\n"), id="magic-number"),
        pytest.param(lambda m: m.setattr(cache, "fingerprint", lambda paths: "edited"), id="fingerprint"),
    ],
)
def test_the_key_covers_the_version_the_magic_number_and_the_fingerprint(
    change, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = cache.cache_key()
    monkeypatch.setattr(cache, "_keys", {})
    change(monkeypatch)
    assert cache.cache_key() != before


def test_the_key_covers_the_optimize_level() -> None:
    code = "import desugar.cache; print(desugar.cache.cache_key().hex())"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    keys = {
        flags: subprocess.run(
            [sys.executable, *flags, "-c", code], env=env, capture_output=True, text=True, check=True
        ).stdout
        for flags in ((), ("-O",), ("-OO",))
    }
    assert len(set(keys.values())) == 3, keys


def test_the_fingerprint_covers_what_flag_coroutines_uses() -> None:
    from desugar import codeflags
    from desugar.runtime import _awaitee

    covered = {part.split(":", 1)[0] for part in cache.fingerprint().split()}
    for module in (cache, codeflags, sys.modules[_awaitee.as_coroutine_code.__module__], desugar.mode):
        assert os.path.relpath(module.__file__, ROOT / "desugar") in covered, module


# --------------------------------------------------------------------------
# Edits to a copy of the package

MODULE = "async def double(x):\n    return x * 2\n"
TEST = """\
import asyncio

import mod


async def quadruple(x):
    return await mod.double(await mod.double(x))


def test_quadruple():
    assert asyncio.run(quadruple(1)) == 4
"""
CONFTEST = """\
def pytest_unconfigure(config):
    import desugar.cache

    print("STATS", desugar.cache.stats.translations, desugar.cache.stats.cache_hits)
"""


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """A copy of desugar (its C runtime too) and a project that uses it: ``lib/mod.py``, a test file."""
    shutil.copytree(ROOT / "desugar", tmp_path / "site" / "desugar", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "mod.py").write_text(MODULE)
    (tmp_path / "test_quadruple.py").write_text(TEST)
    (tmp_path / "conftest.py").write_text(CONFTEST)
    return tmp_path


def _env(copy: Path) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(copy / "site"), str(copy / "lib")]))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("PYTEST_ADDOPTS", None)
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # (a plugin's own modules may look like test files)
    return env


def hook_run(copy: Path) -> tuple[int, int]:
    """(translations, cache hits) of importing ``mod`` through the copy's hook."""
    code = (
        "import desugar, desugar.hook; assert desugar.__file__.startswith(%r)\n"
        "desugar.install(paths=['lib'])\nimport mod\n"
        "print(desugar.cache.stats.translations, desugar.cache.stats.cache_hits)"
    ) % str(copy / "site")
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=copy, env=_env(copy), capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    translations, hits = map(int, done.stdout.split())
    return translations, hits


def plugin_run(copy: Path) -> tuple[int, int]:
    """(translations, cache hits) of a pytest run with the copy's plugin (the test file and ``mod``)."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-s", "-p", "no:cacheprovider", "-p", "desugar.pytest_plugin",
         "--desugar-path", "lib", "test_quadruple.py"],
        cwd=copy, env=_env(copy), capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    found = re.search(r"^STATS (\d+) (\d+)$", done.stdout, re.M)
    assert found, done.stdout
    return int(found.group(1)), int(found.group(2))


def edit(copy: Path, relative: str) -> None:
    path = copy / "site" / "desugar" / relative
    path.write_text(path.read_text() + "\n# edited\n")


def test_an_edit_to_what_shapes_cached_code_makes_the_hook_and_the_plugin_translate_again(copy: Path) -> None:
    assert hook_run(copy) == (1, 0)  # mod
    assert plugin_run(copy) == (1, 1)  # the test file; mod from the hook's entry
    assert hook_run(copy) == (0, 1)
    assert plugin_run(copy) == (0, 2)
    for relative in (
        "compiler/lowering/stmt.py",  # deep in the compiler
        "compiler/styles/poll.py",
        "compiler/walk.py",
        "mode.py",
        "cache.py",
        "codeflags.py",  # the code-flag rewrite
        "runtime/_awaitee.py",  # the helper it uses
    ):
        edit(copy, relative)
        assert (hook_run(copy), plugin_run(copy)) == ((1, 0), (1, 1)), relative
    for relative in ("pytest_plugin.py", "pytest_compile.py"):  # the plugin's step: its entries only
        edit(copy, relative)
        assert (hook_run(copy), plugin_run(copy)) == ((0, 1), (1, 1)), relative
    for relative in ("hook.py", "backtrace.py"):  # the finder and loader; the backtraces
        edit(copy, relative)  # shape no cached code
        assert (hook_run(copy), plugin_run(copy)) == ((0, 1), (0, 2)), relative


def test_the_key_changes_with_libcsts_version_file(monkeypatch: pytest.MonkeyPatch) -> None:
    import libcst

    version_file = Path(libcst.__file__).parent / "_version.py"
    st = version_file.stat()
    assert cache.libcst_stamp() == f"{st.st_size}:{st.st_mtime_ns}"
    before = cache.cache_key()
    monkeypatch.setattr(cache, "_keys", {})
    monkeypatch.setattr(cache, "_libcst_stamp", f"{st.st_size + 1}:{st.st_mtime_ns}")
    assert cache.cache_key() != before

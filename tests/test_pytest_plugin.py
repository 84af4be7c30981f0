"""`desugar.pytest_plugin`: a project's suite run with its package and its test files translated.

The project (``tests/data/pytest_plugin_project``): a package ``mylib`` with
modules and relative imports, a ``conftest.py`` with async fixtures, test files
with async tests that pass and tests that fail on purpose, in many forms of
``assert``. Each run is a subprocess in a copy of it; a translated run must
give the same outcomes and the same report as the native one, word for word
(pytest's assertion rewriting included: ``assert 42 == 0``, the original line
numbers), while the test shows that the code really ran translated. Runs take
turns in one directory, so each finds the other's cache entries in
``__pycache__``.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import desugar

pytest.importorskip("pytest_asyncio", reason="pytest-asyncio is in the test extra")

PROJECT = Path(__file__).resolve().parent / "data" / "pytest_plugin_project"
PLUGIN = ["-p", "desugar.pytest_plugin", "--desugar", "mylib"]

EXPECTED = {
    "test_more.py::test_undecorated_fails": "FAILED",
    "test_more.py::TestInAClass::test_method": "PASSED",
    "test_more.py::TestInAClass::test_method_fails": "FAILED",
    "test_mylib.py::test_fetch": "PASSED",
    "test_mylib.py::test_stream": "PASSED",
    "test_mylib.py::test_gather": "PASSED",
    "test_mylib.py::test_expected_failure_is_reported": "PASSED",
    "test_mylib.py::test_log_order": "PASSED",
    "test_mylib.py::test_report_translation": "PASSED",
    "test_mylib.py::test_fails_awaited_compare": "FAILED",
    "test_mylib.py::test_fails_plain_assert_after_await": "FAILED",
    "test_mylib.py::test_fails_two_awaits": "FAILED",
    "test_mylib.py::test_fails_with_message": "FAILED",
    "test_mylib.py::test_fails_multiline": "FAILED",
    "test_mylib.py::test_fails_attribute": "FAILED",
    "test_mylib.py::test_fails_awaited_message": "FAILED",
    "test_mylib.py::test_fails_sync": "FAILED",
    "test_plain.py::test_plain_passes": "PASSED",
    "test_plain.py::test_plain_fails": "FAILED",
}

NATIVE = {
    "conftest": False,
    "mylib.core": False,
    "mylib.helpers": False,
    "test function": False,
    "test module": False,
}
TRANSLATED = {
    "conftest": True,
    "mylib.core": True,
    "mylib.helpers": True,
    "test function": True,
    "test module": True,
}


class Run:
    def __init__(self, directory: Path, *args: str, pythonpath: Path | None = None) -> None:
        env = dict(os.environ)
        if pythonpath is not None:  # (ahead of what is there)
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(pythonpath), env.get("PYTHONPATH")]))
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # the caches are part of what is tested
        env.pop("PYTEST_ADDOPTS", None)
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "-rA", "-p", "no:cacheprovider", *args],
            cwd=directory, env=env, capture_output=True, text=True, timeout=120,
        )
        self.stdout = result.stdout
        self.outcomes = dict(
            (test, outcome)
            for outcome, test in re.findall(r"^(PASSED|FAILED|ERROR) (\S+)", self.stdout, re.M)
        )
        assert self.outcomes, self.stdout + result.stderr
        found = re.search(r"^TRANSLATION (.*)$", self.stdout, re.M)
        self.translation = dict(ast.literal_eval(found.group(1))) if found else None

    def report(self) -> str:
        """The output without what may differ between runs (times, addresses, desugar's header).

        Python's carets under the failing part of a line go too: translated code
        carries lines, not columns (see `desugar.compiler.lines.renumber`), and
        the native ones show only where pytest does not rewrite the assert.
        """
        text = re.sub(r"^(desugar: translating|TRANSLATION) .*\n", "", self.stdout, flags=re.M)
        text = re.sub(r"^ *\^+ *\n", "", text, flags=re.M)
        # pytest lists plugins in the order they loaded: `-p` loads desugar's
        # ahead of the entry points, where the installed package lists it too.
        text = re.sub(
            r"^(plugins: )(.*)$",
            lambda m: m.group(1) + ", ".join(sorted(m.group(2).split(", "))),
            text, flags=re.M,
        )
        text = re.sub(r" in [\d.]+s\b", " in TIME", text)
        return re.sub(r" at 0x[0-9a-f]+", " at ADDRESS", text)

    def failure(self, test: str) -> str:
        section = re.search(rf"^_+ {re.escape(test)} _+\n(.*?)(?=^_{{3,}} |^=+ )", self.stdout, re.M | re.S)
        assert section, self.stdout
        return section.group(1)


def line_of(text: str, filename: str = "test_mylib.py") -> int:
    lines = (PROJECT / filename).read_text().splitlines()
    (line,) = [number for number, content in enumerate(lines, 1) if content.strip() == text]
    return line


@pytest.fixture
def project(tmp_path: Path) -> Path:
    directory = tmp_path / "project"
    shutil.copytree(PROJECT, directory)
    return directory


def check_same(native: Run, translated: Run, *, exact: bool = True) -> None:
    assert native.outcomes == EXPECTED, native.stdout
    assert translated.outcomes == native.outcomes, translated.stdout
    assert native.translation == NATIVE, native.stdout
    assert translated.translation == TRANSLATED, translated.stdout
    if exact:
        assert translated.report() == native.report()
    else:  # the errors only
        for test, outcome in native.outcomes.items():
            if outcome == "FAILED":
                name = ".".join(test.split("::")[1:])
                errors = [line for line in translated.failure(name).splitlines() if line.startswith("E")]
                assert errors == [line for line in native.failure(name).splitlines() if line.startswith("E")]


def test_native_then_translated_then_native_again(project: Path) -> None:
    native = Run(project)
    translated = Run(project, *PLUGIN)
    check_same(native, translated)
    assert "desugar: translating mylib and test files using async (asserts rewritten by pytest)" in translated.stdout

    # pytest's rewritten assertion, from a translated async test, at the original line.
    failure = translated.failure("test_fails_awaited_compare")
    line = line_of('assert await mylib.fetch(resource["value"]) == 0')
    assert '>       assert await mylib.fetch(resource["value"]) == 0\nE       assert 42 == 0\n' in failure
    assert f"\ntest_mylib.py:{line}: AssertionError" in failure
    failure = translated.failure("test_fails_attribute")
    assert "E       assert 6 == 7\nE        +  where 6 = Box(6).value\n" in failure
    assert f"\ntest_mylib.py:{line_of('assert box.value == 7')}: AssertionError" in failure
    failure = translated.failure("test_fails_awaited_message")
    assert "E       AssertionError: 10\nE       assert 8 == 9\n" in failure

    # Translated and native code are cached apart: neither run reads the other's entries.
    cache = {path.name for path in (project / "__pycache__").iterdir()}
    tag = f"{sys.implementation.cache_tag}-pytest-{pytest.__version__}"
    for name in ("test_mylib", "test_more", "conftest"):
        assert f"{name}.{tag}.pyc" in cache
        ours = f"{name}.{sys.implementation.cache_tag}.desugar-{desugar.__version__}.pytest-{pytest.__version__}.pyc"
        assert ours in cache, cache  # the import hook's cache, with the plugin's compile step
    assert f"test_plain.{tag}.pyc" in cache  # no async: pytest's own entry, the same both ways
    assert not any(entry.startswith("test_plain.") and "desugar" in entry for entry in cache)
    assert any("desugar" in entry for entry in os.listdir(project / "mylib" / "__pycache__"))

    again = Run(project)
    assert again.translation == NATIVE
    assert again.report() == native.report()
    cached = Run(project, *PLUGIN)  # from the cache this time
    assert cached.translation == TRANSLATED
    assert cached.report() == translated.report()


def test_translated_first_then_native(project: Path) -> None:
    translated = Run(project, *PLUGIN)
    native = Run(project)
    check_same(native, translated)


def test_a_changed_test_file_is_translated_again(project: Path) -> None:
    Run(project, *PLUGIN)
    test_file = project / "test_mylib.py"
    source = test_file.read_text()
    stat = test_file.stat()
    # The same size and modification time (what pytest's own pyc checks): the cache
    # entry is keyed by the source's hash.
    test_file.write_text(source.replace("== 0\n", "== 1\n", 1))
    os.utime(test_file, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    changed = Run(project, *PLUGIN)
    assert "E       assert 42 == 1\n" in changed.failure("test_fails_awaited_compare")


@pytest.mark.parametrize(
    "options",
    [
        pytest.param(["--assert=plain"], id="assert-plain"),
        pytest.param(["--import-mode=importlib"], id="import-mode-importlib"),
        pytest.param(["-o", "enable_assertion_pass_hook=true"], id="assertion-pass-hook"),
    ],
)
def test_other_pytest_modes(project: Path, options: list[str]) -> None:
    native = Run(project, *options)
    translated = Run(project, *options, *PLUGIN)
    # Without rewriting, CPython gives the line of a multi-line assert's failing part,
    # where translated code has the assert's first line.
    check_same(native, translated, exact=options != ["--assert=plain"])
    if options == ["--assert=plain"]:
        assert "plain asserts" in translated.stdout
        assert "E       AssertionError\n" in translated.failure("test_fails_awaited_compare")


def test_assertion_pass_hook_sees_the_original_asserts(project: Path) -> None:
    with open(project / "conftest.py", "a") as conftest:
        conftest.write(
            "\n\ndef pytest_assertion_pass(item, lineno, orig, expl):\n"
            "    print('ASSERTION PASSED', item.name, lineno, orig)\n"
        )
    options = ["-s", "-o", "enable_assertion_pass_hook=true"]
    native = Run(project, *options)
    translated = Run(project, *options, *PLUGIN)
    passed = re.findall(r"ASSERTION PASSED .*", native.stdout)
    assert f"ASSERTION PASSED test_gather {line_of('assert await asyncio.gather(mylib.fetch(1), mylib.fetch(2)) == [2, 4]')} await asyncio.gather(mylib.fetch(1), mylib.fetch(2)) == [2, 4]" in passed
    assert re.findall(r"ASSERTION PASSED .*", translated.stdout) == passed


def test_a_package_named_by_path(project: Path) -> None:
    translated = Run(project, "-p", "desugar.pytest_plugin", "--desugar-path", "mylib")
    assert translated.translation == TRANSLATED
    assert translated.outcomes == EXPECTED


def test_without_desugar_options_the_plugin_does_nothing(project: Path) -> None:
    native = Run(project)
    loaded = Run(project, "-p", "desugar.pytest_plugin")
    assert loaded.translation == NATIVE
    assert loaded.report() == native.report()


# -- installed: the pytest11 entry point; what is not there --------------------


def installed_entry_points(tmp_path: Path) -> Path:
    """A directory whose distribution declares pyproject.toml's entry points, as pip installs them."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:
        import tomli as tomllib
    project = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text())
    groups = project["project"]["entry-points"]
    site = tmp_path / "site"
    info = site / "desugar_entry_points-0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: desugar-entry-points\nVersion: 0\n")
    (info / "entry_points.txt").write_text("".join(
        f"[{group}]\n" + "".join(f"{name} = {target}\n" for name, target in entries.items())
        for group, entries in groups.items()
    ))
    return site


def test_installed_pytest_loads_the_plugin_by_its_entry_point(project: Path, tmp_path: Path) -> None:
    site = installed_entry_points(tmp_path)
    translated = Run(project, "--desugar", "mylib", pythonpath=site)
    assert translated.translation == TRANSLATED, translated.stdout
    assert translated.outcomes == EXPECTED
    assert "desugar: translating mylib and test files using async (asserts rewritten by pytest)" in translated.stdout
    # Given by -p as well, it is the same plugin (one registration, no error).
    both = Run(project, *PLUGIN, pythonpath=site)
    assert both.translation == TRANSLATED, both.stdout
    # Loaded, without options, it does nothing.
    native = Run(project, pythonpath=site)
    assert native.translation == NATIVE
    assert "desugar:" not in native.stdout


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--desugar", "nonexistent_pkg"],
         "ERROR: --desugar nonexistent_pkg: no package 'nonexistent_pkg' can be imported "
         "(looked on sys.path and in {project}). Give the name it is imported by, run pytest "
         "where it can be imported, or use --desugar-path DIR for a directory.\n"),
        (["--desugar", "nonexistent_pkg.sub"],
         "ERROR: --desugar nonexistent_pkg.sub: no package 'nonexistent_pkg' can be imported "
         "(looked on sys.path and in {project}). Give the name it is imported by, run pytest "
         "where it can be imported, or use --desugar-path DIR for a directory.\n"),
        (["--desugar-path", "no_such_dir"],
         "ERROR: --desugar-path {project}/no_such_dir: no such file or directory. Give a "
         "directory (or file) whose modules should be translated.\n"),
    ],
)
def test_a_package_or_path_that_is_not_there_is_a_usage_error(
    project: Path, option: list[str], message: str
) -> None:
    env = dict(os.environ)
    env.pop("PYTEST_ADDOPTS", None)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "desugar.pytest_plugin", *option],
        cwd=project, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 4  # pytest's usage error
    assert result.stderr == message.format(project=project) + "\n"  # (pytest ends it with a blank line)
    assert "passed" not in result.stdout  # nothing ran


# -- a --desugar package that pytest loads as a plugin ------------------------

PLUGIN_PROJECT = {
    # As anyio's and trio's configurations do: the plugin in addopts, warnings are errors
    # (pytest-asyncio, where installed, is left out: some versions warn about an unset option).
    "pytest.ini": """\
[pytest]
addopts = -p asyncplug.pytest_plugin -p no:asyncio
filterwarnings = error
""",
    "asyncplug/__init__.py": """\
import asyncio


async def double(x):
    await asyncio.sleep(0)
    return 2 * x
""",
    # Like trio's plugin: it imports its package, adds an option, runs async tests.
    "asyncplug/pytest_plugin.py": """\
import asyncio
import inspect

import pytest

import asyncplug


def pytest_addoption(parser):
    parser.addoption("--asyncplug-flag", action="store_true")


async def run_test(fn, kwargs):
    return await fn(**kwargs)


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem):
    if inspect.iscoroutinefunction(pyfuncitem.obj):
        fn = pyfuncitem.obj
        kwargs = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
        asyncio.run(run_test(fn, kwargs))
        return True


@pytest.fixture
def doubled():
    return asyncio.run(asyncplug.double(21))
""",
    "test_asyncplug.py": """\
import sys

import asyncplug
import asyncplug.pytest_plugin as plugin


def translated(fn):
    # The code of a translated async def is desugar's poll loops (its names have the
    # reserved prefix), and its module imports the runtime.
    code = fn.__code__
    module = sys.modules[fn.__module__]
    return any(n.startswith("_ds_") for n in code.co_names + code.co_varnames) and "_ds_rt" in vars(module)


def test_translation(request):
    manager = request.config.pluginmanager
    (impl,) = [i for i in manager.hook.pytest_pyfunc_call.get_hookimpls() if i.plugin is plugin]
    print("TRANSLATION", {
        "asyncplug": translated(asyncplug.double),
        "plugin": translated(plugin.run_test),
        "registered": manager.get_plugin("asyncplug.pytest_plugin") is plugin,
        "hook": impl.function is plugin.pytest_pyfunc_call,
        "option": request.config.getoption("--asyncplug-flag"),
    })


async def test_async(doubled):
    assert await asyncplug.double(doubled) == 84
    assert plugin.asyncplug is asyncplug
""",
}


def test_a_package_loaded_as_a_plugin_is_translated(tmp_path: Path) -> None:
    # pytest imports the -p plugins of addopts (and entry points) before this plugin
    # can install its hook; they are imported again, translated, and under
    # `filterwarnings = error` the run does not stop on an ImportedBeforeHookWarning.
    for name, text in PLUGIN_PROJECT.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    expected = {"test_asyncplug.py::test_translation": "PASSED", "test_asyncplug.py::test_async": "PASSED"}
    native = Run(tmp_path)
    assert native.outcomes == expected, native.stdout
    assert native.translation == {
        "asyncplug": False, "plugin": False, "registered": True, "hook": True, "option": False
    }
    translated = Run(tmp_path, "-p", "desugar.pytest_plugin", "--desugar", "asyncplug", "--asyncplug-flag")
    assert translated.outcomes == expected, translated.stdout
    assert "ImportedBeforeHookWarning" not in translated.stdout
    assert translated.translation == {
        "asyncplug": True, "plugin": True, "registered": True, "hook": True, "option": True
    }

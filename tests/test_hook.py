"""The import hook (`desugar.install`), its bytecode cache, and `desugar run`.

Imports that must start from a clean interpreter run in a subprocess; the
cache is judged by counting translations (`desugar.hook.stats`), never by time.
"""

from __future__ import annotations

import asyncio
import errno
import importlib
import inspect
import json
import os
import subprocess
import sys
import textwrap
import traceback
import types
import warnings
from importlib.machinery import PathFinder
from pathlib import Path

import pytest

import desugar
import desugar.cache
import desugar.codeflags
import desugar.hook
from desugar.hook import DesugarFinder, ImportedBeforeHookWarning
from desugar.runtime import block_on, is_translated

TAG = f"desugar-{desugar.__version__}"

# --------------------------------------------------------------------------
# A package with subpackages, relative imports, a circular import and a __main__

PACKAGE = {
    "hkpkg/__init__.py": '''\
        """Translated on import."""
        from .core import total

        NAME = "hkpkg"
        ''',
    "hkpkg/core.py": """\
        from . import util
        from .sub.deep import fetch
        from .ping import ping


        async def total(n):
            items = []
            for i in range(n):
                items.append(await fetch(i))
            return util.double(sum(items)) + await ping(3)
        """,
    "hkpkg/util.py": """\
        def double(x):
            return 2 * x
        """,
    "hkpkg/sub/__init__.py": """\
        from .deep import fetch as fetch
        """,
    "hkpkg/sub/deep.py": """\
        from .. import util
        from ..util import double


        async def fetch(i):
            if i > 5:
                raise ValueError(f"bad item {i}")
            return double(i) + util.double(1)
        """,
    "hkpkg/ping.py": """\
        from . import pong


        async def ping(n):
            if n == 0:
                return 0
            return 1 + await pong.pong(n - 1)
        """,
    "hkpkg/pong.py": """\
        from . import ping


        async def pong(n):
            if n == 0:
                return 0
            return 1 + await ping.ping(n - 1)
        """,
    "hkpkg/__main__.py": """\
        import sys

        from desugar.runtime import block_on, is_translated

        from . import total


        async def main():
            return await total(int(sys.argv[1]))


        print("main", __name__, sys.argv[1:], is_translated(total), block_on(main()))
        """,
}

#: Modules of PACKAGE that have async code (and so are translated).
ASYNC_MODULES = 5  # core, sub.deep, ping, pong, __main__ (when run)
IMPORTED_ASYNC_MODULES = 4  # ... without __main__

#: Imports the package, runs it, and reports what it is made of.
USE_PACKAGE = """\
import hkpkg, hkpkg.util, hkpkg.sub.deep, hkpkg.ping, hkpkg.pong
from desugar.runtime import block_on, is_translated
print("total", block_on(hkpkg.total(3)))
for f in (hkpkg.total, hkpkg.sub.deep.fetch, hkpkg.ping.ping, hkpkg.pong.pong, hkpkg.util.double):
    print(f.__module__, f.__name__, is_translated(f))
"""


def write_tree(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


@pytest.fixture
def package(tmp_path: Path) -> Path:
    write_tree(tmp_path, PACKAGE)
    return tmp_path


def clean_env(**extra: str) -> dict[str, str]:
    """The environment for a child: bytecode writes on (the suite may run with them off)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")
    }
    env.update(extra)
    return env


def python(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        env=clean_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )


STATS = """
import json as _json, sys as _sys
import desugar.hook as _hook
print("STATS " + _json.dumps({
    "translations": _hook.stats.translations,
    "cache_hits": _hook.stats.cache_hits,
    "libcst": "libcst" in _sys.modules,
    "compiler": "desugar.compiler" in _sys.modules,
}))
"""


class Probe:
    """The outcome of a child interpreter that installed the hook and ran some code."""

    def __init__(self, result: subprocess.CompletedProcess[str]) -> None:
        assert result.returncode == 0, result.stderr
        lines = result.stdout.splitlines()
        self.output = "\n".join(line for line in lines if not line.startswith("STATS "))
        self.stats = json.loads(lines[-1][len("STATS ") :])
        self.stderr = result.stderr


def probe(
    root: Path, body: str, *, setup: str = "", packages: str = "['hkpkg']", **env: str
) -> Probe:
    code = f"{setup}\nimport desugar\ndesugar.install({packages})\n{body}\n{STATS}"
    return Probe(python(["-c", code], root, **env))


def cache_files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob(f"*.{TAG}.pyc"))


# --------------------------------------------------------------------------
# Translation on import


def test_package_with_subpackages_relative_and_circular_imports_is_translated(
    package: Path,
) -> None:
    result = probe(package, USE_PACKAGE)
    assert result.output.splitlines() == [
        "total 27",
        "hkpkg.core total True",
        "hkpkg.sub.deep fetch True",
        "hkpkg.ping ping True",
        "hkpkg.pong pong True",
        "hkpkg.util double False",
    ]
    assert result.stats["translations"] == IMPORTED_ASYNC_MODULES


def test_translated_package_behaves_as_it_does_natively(package: Path) -> None:
    native = python(["-c", USE_PACKAGE], package)
    assert native.returncode == 0, native.stderr
    translated = probe(package, USE_PACKAGE)
    assert translated.output.replace("True", "False") == native.stdout.rstrip(
        "\n"
    )


def test_package_path_and_spec_are_those_of_a_normal_import(package: Path) -> None:
    body = """\
import hkpkg, hkpkg.sub, hkpkg.core
print(hkpkg.__path__ == [str(__import__('pathlib').Path('hkpkg').resolve())])
print(hkpkg.sub.__spec__.submodule_search_locations == hkpkg.sub.__path__)
print(hkpkg.core.__spec__.name, hkpkg.core.__package__, type(hkpkg.core.__loader__).__name__)
print(hkpkg.core.__file__.endswith('core.py'))
"""
    result = probe(package, body)
    assert result.output.splitlines() == [
        "True",
        "True",
        "hkpkg.core hkpkg DesugarLoader",
        "True",
    ]


def test_module_without_async_is_compiled_as_usual(package: Path) -> None:
    write_tree(
        package,
        {"hkplain/__init__.py": "", "hkplain/util.py": PACKAGE["hkpkg/util.py"]},
    )
    result = probe(
        package,
        "import hkplain.util as u; from desugar.runtime import is_translated; print(is_translated(u.double))",
        packages="['hkplain']",
    )
    assert result.output == "False"
    assert result.stats["translations"] == 0
    assert not result.stats["compiler"]  # not even the compiler was imported
    cached = sorted(p.name for p in (package / "hkplain" / "__pycache__").iterdir())
    assert f"util.{sys.implementation.cache_tag}.pyc" in cached  # CPython's own pyc
    assert not any(name.startswith("util.") and TAG in name for name in cached)


def test_reload_translates_the_new_source(package: Path) -> None:
    body = """\
import importlib, pathlib
from desugar.runtime import block_on, is_translated
import hkpkg.sub.deep as deep
print(block_on(deep.fetch(1)))
path = pathlib.Path(deep.__file__)
path.write_text(path.read_text().replace("double(i) + util.double(1)", "double(i) + 100"))
importlib.reload(deep)
print(block_on(deep.fetch(1)), is_translated(deep.fetch))
"""
    result = probe(package, body)
    assert result.output.splitlines() == ["4", "102 True"]


def test_reload_of_a_module_imported_before_the_hook_translates_it(
    package: Path,
) -> None:
    body = """\
import importlib, warnings
from desugar.runtime import is_translated
import hkpkg.ping
print(is_translated(hkpkg.ping.ping))
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    import desugar
    desugar.install(["hkpkg"])
print(len(caught), caught[0].category.__name__)
importlib.reload(hkpkg.ping)
print(is_translated(hkpkg.ping.ping))
"""
    result = Probe(python(["-c", f"{body}\n{STATS}"], package))
    assert result.output.splitlines() == [
        "False",
        "1 ImportedBeforeHookWarning",
        "True",
    ]


def test_python_m_package_runs_its_main_translated(package: Path) -> None:
    result = python(["-m", "desugar", "run", "-m", "hkpkg", "3"], package)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "main __main__ ['3'] True 27\n"


def test_outside_the_named_packages_nothing_is_translated(package: Path) -> None:
    write_tree(package, {"other/__init__.py": "async def f():\n    return 1\n"})
    result = probe(
        package,
        "import other, hkpkg; from desugar.runtime import is_translated; print(is_translated(other.f), is_translated(hkpkg.total))",
    )
    assert result.output == "False True"


def test_named_paths_translate_the_modules_below_them(package: Path) -> None:
    write_tree(
        package,
        {
            "lib/helper.py": "async def f():\n    return 1\n",
            "out/plain.py": "async def g():\n    return 2\n",
        },
    )
    body = """\
import sys
sys.path[:0] = ["lib", "out"]
from desugar.runtime import is_translated
import helper, plain, hkpkg
print(is_translated(helper.f), is_translated(plain.g), is_translated(hkpkg.total))
"""
    result = probe(package, body, packages="paths=['lib']")
    assert result.output == "True False False"


def test_site_packages_below_a_named_path_are_not_translated(tmp_path: Path) -> None:
    finder = DesugarFinder(paths=[tmp_path])
    assert finder._in_paths(str(tmp_path / "app" / "mod.py"))
    assert not finder._in_paths(
        str(tmp_path / ".venv" / "lib" / "site-packages" / "dep" / "mod.py")
    )
    assert not finder._in_paths(str(tmp_path.parent / "elsewhere.py"))


def test_syntax_error_in_a_hooked_module_is_python_s_own(package: Path) -> None:
    write_tree(package, {"hkpkg/broken.py": "async def f(:\n    pass\n"})
    result = python(
        ["-c", "import desugar; desugar.install(['hkpkg']); import hkpkg.broken"],
        package,
    )
    assert result.returncode == 1
    assert 'broken.py", line 1' in result.stderr
    assert result.stderr.rstrip().splitlines()[-1].startswith("SyntaxError: ")


def test_untranslatable_module_raises_translate_error_at_its_line(
    package: Path,
) -> None:
    write_tree(package, {"hkpkg/reserved.py": "async def f():\n    _ds_x = 1\n"})
    result = python(
        ["-c", "import desugar; desugar.install(['hkpkg']); import hkpkg.reserved"],
        package,
    )
    assert result.returncode == 1
    assert "desugar.errors.TranslateError: " in result.stderr
    assert "reserved.py:2:5: " in result.stderr


@pytest.fixture
def hooked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Import modules of a package ``hkerr`` (in ``tmp_path``) through the hook, in this process.

    Call it with a module's name and source bytes: it returns the exception
    the import raised, or the module.
    """
    (tmp_path / "hkerr").mkdir()
    (tmp_path / "hkerr" / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    monkeypatch.setattr(sys, "pycache_prefix", None)
    modules = set(sys.modules)
    handle = desugar.install(["hkerr"])

    def load(name: str, source: bytes):  # type: ignore[no-untyped-def]
        (tmp_path / "hkerr" / f"{name}.py").write_bytes(source)
        try:
            return importlib.import_module(f"hkerr.{name}")
        except BaseException as error:  # noqa: BLE001 - what the import raised is the result
            return error

    yield load
    handle.uninstall()
    for name in set(sys.modules) - modules:
        if name == "hkerr" or name.startswith("hkerr."):  # (libcst and the compiler stay loaded)
            del sys.modules[name]


def native_compile_error(source: bytes, path: Path) -> SyntaxError:
    with pytest.raises(SyntaxError) as info:
        compile(source, str(path), "exec", dont_inherit=True)
    return info.value


@pytest.mark.parametrize(
    "source",
    [
        b"async def f():\n    return '\xe9'\n",  # latin-1, undeclared
        b"# coding: no-such-codec\nasync def f():\n    pass\n",
    ],
    ids=["invalid_utf8", "unknown_cookie"],
)
def test_undecodable_source_gives_python_s_own_syntax_error_naming_the_file(
    hooked, tmp_path: Path, source: bytes
) -> None:
    error = hooked("undecodable", source)
    expected = native_compile_error(source, tmp_path / "hkerr" / "undecodable.py")
    assert type(error) is SyntaxError, repr(error)
    assert error.filename == str(tmp_path / "hkerr" / "undecodable.py")
    assert (error.msg, error.lineno) == (expected.msg, expected.lineno)
    assert error.__context__ is None and error.__cause__ is None


def test_invalid_utf8_in_a_comment_imports_as_it_does_natively(hooked) -> None:
    # CPython's tokenizer does not decode comments: the module compiles.
    source = b"async def f():  # \xff\xfe\n    return 1\n# \xe9\n"
    compile(source, "m.py", "exec", dont_inherit=True)
    module = hooked("comment", source)
    assert isinstance(module, types.ModuleType), repr(module)
    assert is_translated(module.f)
    assert asyncio.run(module.f()) == 1


def test_syntax_error_is_not_chained_after_an_internal_translate_error(
    hooked, tmp_path: Path
) -> None:
    error = hooked("broken", b"async def f():\n    return (1 +\n")
    assert type(error) is SyntaxError
    assert error.__context__ is None and error.__cause__ is None
    assert (error.filename, error.lineno) == (str(tmp_path / "hkerr" / "broken.py"), 2)
    printed = "".join(traceback.format_exception(error))
    assert "During handling" not in printed
    assert "TranslateError" not in printed


def test_syntax_error_traceback_printed_by_python_has_no_chained_error(
    package: Path,
) -> None:
    write_tree(package, {"hkpkg/broken.py": "async def f():\n    return (1 +\n"})
    result = python(
        ["-c", "import desugar; desugar.install(['hkpkg']); import hkpkg.broken"],
        package,
    )
    assert result.returncode == 1
    assert "During handling" not in result.stderr
    assert "TranslateError" not in result.stderr
    assert result.stderr.rstrip().splitlines()[-1] == "SyntaxError: '(' was never closed"
    assert 'broken.py", line 2' in result.stderr


@pytest.mark.parametrize("cached", [False, True])
def test_a_latin_1_coding_cookie_is_honoured(hooked, cached: bool) -> None:
    source = (
        "# -*- coding: latin-1 -*-\nasync def f():\n    await g()\n    return 'caf\xe9'\n\n\n"
        "async def g():\n    pass\n"
    ).encode("latin-1")
    if cached:
        hooked("latin", source)
        del sys.modules["hkerr.latin"]
        desugar.hook.stats.reset()
    module = hooked("latin", source)
    assert isinstance(module, types.ModuleType), repr(module)
    assert is_translated(module.f)
    assert desugar.hook.stats.cache_hits == int(cached)
    assert asyncio.run(module.f()) == "caf\xe9"


def test_a_translation_that_does_not_compile_is_an_internal_error_at_the_input_line(
    hooked, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import desugar.compiler

    broken = "import desugar.runtime as _ds_rt\ndef f():\n    _ds_t1 = (g() +\n"
    monkeypatch.setattr(
        desugar.compiler, "_translate_with_lines", lambda *a, **k: (broken, [1, 1, 3])
    )
    error = hooked("mistranslated", b"async def f():\n    x = 1\n    return (g() +\n        await h())\n")
    path = tmp_path / "hkerr" / "mistranslated.py"
    assert isinstance(error, desugar.InternalError), repr(error)
    assert str(error).split("\n")[:3] == [
        f"{path}:3:5: INTERNAL ERROR: the translation of this line does not compile "
        "(SyntaxError: '(' was never closed, at line 3 of the translation)",
        "        return (g() +",
        "        ^",
    ]
    assert cache_files(tmp_path) == []


def test_a_cache_write_failing_midway_leaves_the_old_entry_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry = tmp_path / "__pycache__" / "mod.pyc"
    entry.parent.mkdir()
    entry.write_bytes(b"the old entry")

    def full_disk(file, mode="r", *args, **kwargs):  # type: ignore[no-untyped-def]
        real = open(file, mode, *args, **kwargs)
        inner_write = real.write

        def write(data: bytes) -> int:
            inner_write(data[:5])
            real.flush()
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        real.write = write  # type: ignore[method-assign]
        return real

    monkeypatch.setattr(desugar.cache, "open", full_disk, raising=False)
    assert desugar.cache.write_atomically(str(entry), b"a new entry, longer") is False
    assert entry.read_bytes() == b"the old entry"
    assert os.listdir(entry.parent) == ["mod.pyc"]  # no temporary file left


# --------------------------------------------------------------------------
# Original line numbers


def test_traceback_from_translated_code_names_the_original_file_and_line(
    package: Path,
) -> None:
    body = """\
import traceback
from desugar.runtime import block_on, is_translated
import hkpkg.sub.deep as deep
async def outer():
    return await deep.fetch(9)
try:
    block_on(outer())
except ValueError:
    traceback.print_exc()
"""
    result = probe(package, body)
    deep = package / "hkpkg" / "sub" / "deep.py"
    assert (
        f'File "{deep}", line 7, in fetch\n    raise ValueError(f"bad item {{i}}")\n'
        in result.stderr
    )
    assert result.stderr.rstrip().endswith("ValueError: bad item 9")


def test_linecache_and_inspect_getsource_give_the_original_source(
    package: Path,
) -> None:
    body = """\
import inspect, linecache
import hkpkg.core as core
print(inspect.getsource(core.total), end="")
print(repr(linecache.getline(core.__file__, 9)))
print(core.total.__code__.co_firstlineno)
"""
    result = probe(package, body)
    source = textwrap.dedent(PACKAGE["hkpkg/core.py"])
    function = source[source.index("async def total") :]
    assert result.output == function + "'        items.append(await fetch(i))\\n'\n6"


def test_pdb_stops_at_a_breakpoint_set_on_an_original_line(package: Path) -> None:
    write_tree(
        package,
        {"debug_me.py": """\
                import io, pdb
                from desugar.runtime import block_on, is_translated
                import hkpkg.core as core

                commands = io.StringIO(f"break {core.__file__}:10\\ncontinue\\np items\\ncontinue\\n")
                out = io.StringIO()
                debugger = pdb.Pdb(stdin=commands, stdout=out)
                debugger.use_rawinput = False
                result = debugger.runcall(block_on, core.total(3))
                print(out.getvalue())
                print("result", result)
                """},
    )
    result = python(["-m", "desugar", "run", "debug_me.py"], package)
    assert result.returncode == 0, result.stderr
    core = package / "hkpkg" / "core.py"
    assert f"Breakpoint 1 at {core}:10" in result.stdout
    assert (
        f"> {core}(10)total()\n-> return util.double(sum(items)) + await ping(3)"
        in result.stdout
    )
    assert "(Pdb) [2, 4, 6]\n" in result.stdout
    assert result.stdout.rstrip().endswith("result 27")


def test_line_events_of_a_translated_function_are_its_original_lines(
    package: Path,
) -> None:
    body = """\
import sys
from desugar.runtime import block_on, is_translated
import hkpkg.ping as ping
lines = set()
def tracer(frame, event, arg):
    if frame.f_code.co_name == "ping":
        if event == "line":
            lines.add(frame.f_lineno)
        return tracer
    return None
sys.settrace(tracer)
block_on(ping.ping(2))
sys.settrace(None)
print(sorted(lines))
"""
    result = probe(package, body)
    # ping(2) -> pong(1) -> ping(0): lines 5 to 7 of ping.py, as natively (a
    # translated coroutine, like a native one, runs no line before its body).
    assert result.output == "[5, 6, 7]"


# --------------------------------------------------------------------------
# The bytecode cache


def test_second_import_hits_the_cache_without_translating_or_loading_libcst(
    package: Path,
) -> None:
    first = probe(package, USE_PACKAGE)
    assert first.stats == {
        "translations": IMPORTED_ASYNC_MODULES,
        "cache_hits": 0,
        "libcst": True,
        "compiler": True,
    }
    assert cache_files(package) == [
        f"hkpkg/__pycache__/{name}.{sys.implementation.cache_tag}.{TAG}.pyc"
        for name in ("core", "ping", "pong")
    ] + [f"hkpkg/sub/__pycache__/deep.{sys.implementation.cache_tag}.{TAG}.pyc"]
    second = probe(package, USE_PACKAGE)
    assert second.output == first.output
    assert second.stats == {
        "translations": 0,
        "cache_hits": IMPORTED_ASYNC_MODULES,
        "libcst": False,
        "compiler": False,
    }


def test_edit_within_the_same_second_invalidates_the_cache(package: Path) -> None:
    deep = package / "hkpkg" / "sub" / "deep.py"
    before = os.stat(deep)
    assert probe(package, USE_PACKAGE).output.splitlines()[0] == "total 27"
    # Same size, same mtime: only the content says it changed.
    deep.write_text(deep.read_text().replace("util.double(1)", "util.double(2)"))
    os.utime(deep, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert os.stat(deep).st_size == before.st_size
    result = probe(package, USE_PACKAGE)
    assert result.output.splitlines()[0] == "total 39"
    assert result.stats["translations"] == 1
    assert result.stats["cache_hits"] == IMPORTED_ASYNC_MODULES - 1


#: A probe's ``setup``: the sources count as settled at once (see `desugar.cache.RACY_NS`).
SETTLED = "import desugar.cache as _h\n_h.RACY_NS = 0\n"
#: ... or as written a moment ago, however long the probe took to start.
UNSETTLED = "import desugar.cache as _h\n_h.RACY_NS = 10**18\n"

#: A probe's ``setup``: the source files the hook reads are listed; `READS` prints them.
COUNT_READS = """
import os as _os
import desugar.cache as _h
_reads = []
_real_read = _h._read
def _counting_read(path):
    _reads.append(_os.path.relpath(path).replace(_os.sep, "/"))
    return _real_read(path)
_h._read = _counting_read
"""
READS = '\nprint("READS", sorted(_reads))'

#: The modules of PACKAGE without async code: read by the hook to see that.
PLAIN_READS = "READS ['hkpkg/__init__.py', 'hkpkg/sub/__init__.py', 'hkpkg/util.py']"
ALL_READS = (
    "READS ['hkpkg/__init__.py', 'hkpkg/core.py', 'hkpkg/ping.py', 'hkpkg/pong.py', "
    "'hkpkg/sub/__init__.py', 'hkpkg/sub/deep.py', 'hkpkg/util.py']"
)


def test_a_settled_source_s_entry_is_used_without_reading_the_source(package: Path) -> None:
    first = probe(package, USE_PACKAGE + READS, setup=SETTLED + COUNT_READS)
    assert first.stats["translations"] == IMPORTED_ASYNC_MODULES
    assert first.output.splitlines()[-1] == ALL_READS
    second = probe(package, USE_PACKAGE + READS, setup=SETTLED + COUNT_READS)
    assert second.output == first.output.replace(ALL_READS, PLAIN_READS)
    assert second.stats["cache_hits"] == IMPORTED_ASYNC_MODULES
    assert second.stats["translations"] == 0


def test_a_source_just_written_is_checked_by_hash_until_it_has_settled(package: Path) -> None:
    probe(package, USE_PACKAGE, setup=UNSETTLED)
    entries = {name: (package / name).read_bytes() for name in cache_files(package)}
    # Written a moment ago: its stat cannot yet stand for its content.
    second = probe(package, USE_PACKAGE + READS, setup=UNSETTLED + COUNT_READS)
    assert second.output.splitlines()[-1] == ALL_READS
    assert second.stats["cache_hits"] == IMPORTED_ASYNC_MODULES
    assert {name: (package / name).read_bytes() for name in cache_files(package)} == entries
    # Once it has settled, the stat the entries recorded when they were written does.
    third = probe(package, USE_PACKAGE + READS, setup=SETTLED + COUNT_READS)
    assert third.output.splitlines()[-1] == PLAIN_READS
    assert third.stats["cache_hits"] == IMPORTED_ASYNC_MODULES


def test_a_touched_source_is_hashed_once_and_its_entry_gets_the_new_stat(package: Path) -> None:
    probe(package, USE_PACKAGE, setup=SETTLED)
    core = package / "hkpkg" / "core.py"
    entry = package / "hkpkg" / "__pycache__" / f"core.{sys.implementation.cache_tag}.{TAG}.pyc"
    before = entry.read_bytes()
    os.utime(core, ns=(10**18, 10**18))
    second = probe(package, USE_PACKAGE + READS, setup=SETTLED + COUNT_READS)
    assert second.output.splitlines()[-1] == PLAIN_READS.replace(
        "'hkpkg/__init__.py', ", "'hkpkg/__init__.py', 'hkpkg/core.py', "
    )
    assert second.stats == {**second.stats, "translations": 0, "cache_hits": IMPORTED_ASYNC_MODULES}
    after = entry.read_bytes()
    assert after != before
    assert without_stat(after) == without_stat(before)
    third = probe(package, USE_PACKAGE + READS, setup=SETTLED + COUNT_READS)
    assert third.output.splitlines()[-1] == PLAIN_READS
    assert entry.read_bytes() == after


def test_edit_keeping_size_and_mtime_of_a_settled_source_invalidates_the_cache(
    package: Path,
) -> None:
    deep = package / "hkpkg" / "sub" / "deep.py"
    assert probe(package, USE_PACKAGE, setup=SETTLED).output.splitlines()[0] == "total 27"
    before = os.stat(deep)
    deep.write_text(deep.read_text().replace("util.double(1)", "util.double(2)"))
    os.utime(deep, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert os.stat(deep).st_size == before.st_size
    result = probe(package, USE_PACKAGE, setup=SETTLED)  # the ctime says it changed
    assert result.output.splitlines()[0] == "total 39"
    assert result.stats["translations"] == 1


def test_an_entry_written_from_given_source_bytes_is_always_checked_by_hash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (as `desugar run` compiles its script: the bytes were read before any stat)
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    monkeypatch.setattr(desugar.cache, "RACY_NS", 0)
    script = tmp_path / "script.py"
    script.write_bytes(b"async def main():\n    return 1\n")
    desugar.cache.translated_code(script.read_bytes(), str(script))
    reads: list[str] = []
    real_read = desugar.cache._read
    monkeypatch.setattr(desugar.cache, "_read", lambda path: reads.append(path) or real_read(path))
    hits = desugar.hook.stats.cache_hits
    assert desugar.cache.translated_code(None, str(script)) is not None
    assert desugar.hook.stats.cache_hits == hits + 1
    assert reads == [str(script)]


def test_cache_path_is_cpython_s_pyc_name_with_desugar_s_tag(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "pycache_prefix", None)
    tag = sys.implementation.cache_tag
    for source, entry in [
        (tmp_path / "mod.py", tmp_path / "__pycache__" / f"mod.{tag}.{TAG}.pyc"),
        (tmp_path / "other.py", tmp_path / "__pycache__" / f"other.{tag}.{TAG}.pyc"),
        (tmp_path / "a.b.py", tmp_path / "__pycache__" / f"a.b.{tag}.{TAG}.pyc"),
        (tmp_path / "sub" / "mod.py", tmp_path / "sub" / "__pycache__" / f"mod.{tag}.{TAG}.pyc"),
        (tmp_path / "mod.pyw", tmp_path / "__pycache__" / f"mod.{tag}.{TAG}.pyc"),
    ]:
        assert desugar.cache.cache_path(str(source)) == str(entry)
    assert desugar.cache.cache_path("mod.py") == os.path.join("__pycache__", f"mod.{tag}.{TAG}.pyc")
    # A directory seen already: a prefix set since moves its entries all the same.
    prefix = tmp_path / "prefix"
    monkeypatch.setattr(sys, "pycache_prefix", str(prefix))
    moved = desugar.cache.cache_path(str(tmp_path / "mod.py"))
    assert moved is not None and moved.startswith(str(prefix) + os.sep)
    assert moved.endswith(f"{os.sep}mod.{tag}.{TAG}.pyc")


#: Async defs beside generators that share their names, lines or scopes.
FLAGGED_SOURCE = """\
FLAG = True


def gen():
    yield 1


if FLAG:
    async def twin():
        return 1
else:
    def twin():
        yield 2


def deco(*args):
    return lambda f: f


@deco(x for x in ())
async def decorated():
    return 2


class Outer:
    async def method(self):
        return 3

    async def agen(self):
        yield 4

    def sync_gen(self):
        yield 5

    class Inner:
        async def method(self):
            return 6


def factory():
    async def inner():
        return 7

    def inner_gen():
        yield 8

    return inner, inner_gen


def declares_global():
    global made_global

    async def made_global():
        return 9


async def no_await():
    return 10


lam = lambda: (yield)
"""

GENERIC_SOURCE = """\


async def generic[T](x: T) -> T:
    return x


class Box[T]:
    async def get(self):
        return 12
"""


def code_objects(code: types.CodeType) -> list[types.CodeType]:
    found = []
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            found += [const, *code_objects(const)]
    return found


def test_the_code_of_translated_async_defs_is_cached_flagged_as_a_coroutine_s(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    source = FLAGGED_SOURCE + (GENERIC_SOURCE if sys.version_info >= (3, 12) else "")
    native = code_objects(compile(source, "flagged.py", "exec"))
    # Exactly the code objects that are coroutines' natively are flagged.
    flagged = {(c.co_name, c.co_firstlineno) for c in native if c.co_flags & 0x80}
    generators = {(c.co_name, c.co_firstlineno) for c in native if c.co_flags & 0x20}
    assert len(flagged) == (9 if sys.version_info >= (3, 12) else 7)
    assert len(generators) == 6
    path = tmp_path / "flagged.py"
    path.write_text(source)
    hits = desugar.hook.stats.cache_hits
    for _ in range(2):  # translated, then from the cache
        code = desugar.cache.translated_code(None, str(path))
        assert code is not None
        codes = code_objects(code)
        assert {(c.co_name, c.co_firstlineno) for c in codes if is_translated(c)} == flagged
        assert generators <= {(c.co_name, c.co_firstlineno) for c in codes if c.co_flags & 0x20}
    assert desugar.hook.stats.cache_hits == hits + 1
    module = types.ModuleType("flagged")
    module.__file__ = str(path)
    exec(code, module.__dict__)
    ns = module.__dict__
    # async_fn had nothing to do: each function runs the very code in the module's constants.
    made = [
        ns["twin"], ns["decorated"], ns["Outer"].method, ns["Outer"].Inner.method,
        ns["factory"]()[0], ns["no_await"],
    ]  # fmt: skip
    ns["declares_global"]()
    made.append(ns["made_global"])
    if sys.version_info >= (3, 12):
        made += [ns["generic"], ns["Box"].get]
    for fn in made:
        assert fn.__code__ in codes
        assert inspect.iscoroutinefunction(fn)
    results = [
        block_on(ns["twin"]()), block_on(ns["decorated"]()),
        block_on(ns["Outer"]().method()), block_on(ns["Outer"].Inner().method()),
        block_on(ns["factory"]()[0]()), block_on(ns["made_global"]()), block_on(ns["no_await"]()),
    ]  # fmt: skip
    assert results == [1, 2, 3, 6, 7, 9, 10]
    assert inspect.isasyncgenfunction(ns["Outer"].agen)
    for generator in (ns["gen"](), ns["Outer"]().sync_gen(), ns["factory"]()[1](), ns["lam"]()):
        assert inspect.isgenerator(generator)
    assert list(ns["gen"]()) == [1]


def test_a_name_and_line_that_two_generators_share_are_left_to_async_fn(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    path = tmp_path / "shared.py"
    path.write_text("async def f():\n    return 1\n")
    code = desugar.cache.translated_code(None, str(path))
    assert code is not None
    consts = list(code.co_consts)
    (at,) = [i for i, c in enumerate(consts) if isinstance(c, types.CodeType)]
    flagged = consts[at]
    assert is_translated(flagged)
    generator = flagged.replace(co_flags=(flagged.co_flags & ~0x180) | 0x20)  # as compiled
    once = code.replace(co_consts=(*consts[:at], generator, *consts[at + 1 :]))
    assert desugar.codeflags.flag_coroutines(once, path.read_bytes()).co_consts[at] == flagged
    # Two generators of that name and line: which one is the async def's is not known.
    twice = code.replace(co_consts=(*consts[:at], generator, *consts[at + 1 :], generator))
    result = desugar.codeflags.flag_coroutines(twice, path.read_bytes())
    assert not any(is_translated(c) for c in result.co_consts if isinstance(c, types.CodeType))


def test_dont_write_bytecode_writes_no_cache(package: Path) -> None:
    for _ in range(2):
        result = probe(package, USE_PACKAGE, PYTHONDONTWRITEBYTECODE="1")
        assert result.stats["translations"] == IMPORTED_ASYNC_MODULES
    assert cache_files(package) == []


def test_pycache_prefix_is_respected(
    package: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    prefix = tmp_path_factory.mktemp("prefix")
    first = probe(package, USE_PACKAGE, PYTHONPYCACHEPREFIX=str(prefix))
    assert first.stats["translations"] == IMPORTED_ASYNC_MODULES
    assert cache_files(package) == []
    assert len(cache_files(prefix)) == IMPORTED_ASYNC_MODULES
    second = probe(package, USE_PACKAGE, PYTHONPYCACHEPREFIX=str(prefix))
    assert second.stats["cache_hits"] == IMPORTED_ASYNC_MODULES


@pytest.mark.parametrize("how", ["pycache_is_a_file", "prefix_below_a_file"])
def test_unwritable_cache_directory_still_imports(package: Path, how: str) -> None:
    # chmod does not stop root: make the cache directory impossible to create instead.
    env = {}
    if how == "pycache_is_a_file":
        for directory in (package / "hkpkg", package / "hkpkg" / "sub"):
            (directory / "__pycache__").write_text("not a directory")
    else:
        (package / "blocker").write_text("not a directory")
        env["PYTHONPYCACHEPREFIX"] = str(package / "blocker" / "cache")
    for _ in range(2):
        result = probe(package, USE_PACKAGE, **env)
        assert result.output.splitlines()[0] == "total 27"
        assert result.stats["translations"] == IMPORTED_ASYNC_MODULES
        assert result.stderr == ""
    assert cache_files(package) == []
    assert not [p for p in package.rglob("*.pyc.*")]  # no temporary file left behind


def test_cache_written_by_an_older_compiler_version_is_ignored_and_rewritten(
    package: Path,
) -> None:
    older = "import desugar.cache; desugar.cache.fingerprint = lambda *paths: 'an older compiler'"
    assert (
        probe(package, USE_PACKAGE, setup=older).stats["translations"]
        == IMPORTED_ASYNC_MODULES
    )
    assert len(cache_files(package)) == IMPORTED_ASYNC_MODULES
    current = probe(package, USE_PACKAGE)
    assert current.stats["translations"] == IMPORTED_ASYNC_MODULES
    assert probe(package, USE_PACKAGE).stats["cache_hits"] == IMPORTED_ASYNC_MODULES


def test_the_fingerprint_covers_the_compiler_s_files_and_what_else_shapes_cached_code() -> None:
    stamps = dict(part.split(":", 1) for part in desugar.cache.fingerprint().split())
    shaping = [
        "compiler/walk.py",
        "compiler/lowering/stmt.py",  # the compiler's packages too: a lowering, a style
        "compiler/styles/hir.py",
        "mode.py",
        "cache.py",
        "codeflags.py",  # the code-flag rewrite (flag_coroutines)
        "runtime/_awaitee.py",  # and the runtime's helper it uses
    ]
    for path in shaping:
        assert stamps.get(path.replace("/", os.sep), "missing") != "missing", (path, stamps)


def without_stat(entry: bytes) -> bytes:
    """A cache entry but for the source's stat and when it was taken (which a rewrite renews)."""
    return entry[:24] + entry[64:]


DAMAGES = {
    "empty": lambda data: b"",
    "header_only": lambda data: data[:10],
    "truncated_payload": lambda data: data[: len(data) // 2],
    "flipped_payload_byte": lambda data: data[:-20]
    + bytes([data[-20] ^ 0xFF])
    + data[-19:],
    "garbage": lambda data: os.urandom(len(data)),
    "other_magic": lambda data: b"XXXX" + data[4:],
    "pyc_of_cpython": lambda data: importlib.util.MAGIC_NUMBER + b"\0" * 12 + data[32:],
}


@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_damaged_cache_entry_is_ignored_and_rewritten(
    package: Path, damage: str
) -> None:
    probe(package, USE_PACKAGE)
    entry = (
        package
        / "hkpkg"
        / "__pycache__"
        / f"core.{sys.implementation.cache_tag}.{TAG}.pyc"
    )
    good = entry.read_bytes()
    entry.write_bytes(DAMAGES[damage](good))
    result = probe(package, USE_PACKAGE)
    assert result.output.splitlines()[0] == "total 27"
    assert result.stats["translations"] == 1
    assert without_stat(entry.read_bytes()) == without_stat(good)
    assert probe(package, USE_PACKAGE).stats["translations"] == 0


def test_processes_importing_the_same_modules_at_once_all_succeed(
    package: Path,
) -> None:
    for round in range(3):
        for entry in cache_files(package):
            (package / entry).unlink()
        code = f"import desugar\ndesugar.install(['hkpkg'])\n{USE_PACKAGE}\n{STATS}"
        children = [
            subprocess.Popen(
                [sys.executable, "-c", code],
                cwd=package,
                env=clean_env(),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(4)
        ]
        outputs = [child.communicate(timeout=120) for child in children]
        for child, (out, err) in zip(children, outputs):
            assert child.returncode == 0, err
            assert out.splitlines()[0] == "total 27"
    assert not [p for p in package.rglob("*.pyc.*")]  # every temporary file was renamed
    assert probe(package, USE_PACKAGE).stats["cache_hits"] == IMPORTED_ASYNC_MODULES


def test_cache_entry_moved_with_its_source_reports_the_new_file(
    package: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    probe(package, USE_PACKAGE)
    moved = tmp_path_factory.mktemp("moved")
    os.rename(package / "hkpkg", moved / "hkpkg")
    result = probe(moved, "import hkpkg.core as c; print(c.total.__code__.co_filename)")
    assert result.stats["cache_hits"] == IMPORTED_ASYNC_MODULES
    assert result.output == str(moved / "hkpkg" / "core.py")


# --------------------------------------------------------------------------
# Installing and uninstalling (in this process)


@pytest.fixture
def fresh_imports(package: Path, monkeypatch: pytest.MonkeyPatch):
    """Import from ``package`` in this process; forget its modules and our finders afterwards."""
    monkeypatch.syspath_prepend(str(package))
    modules = set(sys.modules)
    meta_path = list(sys.meta_path)
    yield package
    sys.meta_path[:] = meta_path
    for name in set(sys.modules) - modules:
        if str(getattr(sys.modules[name], "__file__", None) or "").startswith(str(package)):
            del sys.modules[name]  # (libcst and the compiler stay loaded)


def our_finders() -> list[DesugarFinder]:
    return [f for f in sys.meta_path if isinstance(f, DesugarFinder)]


def test_install_puts_the_finder_first_and_uninstall_removes_it(
    fresh_imports: Path,
) -> None:
    handle = desugar.install(["hkpkg"])
    assert sys.meta_path[0] is handle.finder
    assert handle.installed
    handle.uninstall()
    assert our_finders() == []
    assert not handle.installed
    handle.uninstall()  # twice is fine


def test_handle_is_a_context_manager(fresh_imports: Path) -> None:
    with desugar.install(["hkpkg"]) as handle:
        assert sys.meta_path[0] is handle.finder
        import hkpkg.ping

        assert is_translated(hkpkg.ping.ping)
    assert our_finders() == []


def test_uninstall_without_a_handle_removes_every_desugar_finder(
    fresh_imports: Path,
) -> None:
    desugar.install(["hkpkg"])
    desugar.install(paths=[fresh_imports])
    assert len(our_finders()) == 2
    desugar.uninstall()
    assert our_finders() == []


def test_finder_has_the_meta_path_finder_protocol_and_the_hook_skips_importlib_abc(
    fresh_imports: Path,
) -> None:
    import importlib

    finder = DesugarFinder(["hkpkg"])
    assert finder.find_spec("not_ours", None) is None
    assert finder.find_spec("hkpkg", None).loader is not None
    handle = desugar.install(["hkpkg"])
    try:
        importlib.invalidate_caches()  # calls each meta path finder's invalidate_caches
    finally:
        desugar.uninstall(handle)
    # importing the hook leaves importlib.abc out (40 ms on 3.12 and 3.13)
    code = "import sys, desugar.hook; print('importlib.abc' in sys.modules)"
    out = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True,
                         check=True, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert out.stdout.strip() == "False"


def test_module_imported_before_install_gets_a_warning(fresh_imports: Path) -> None:
    import hkpkg.ping

    with pytest.warns(ImportedBeforeHookWarning) as caught:
        handle = desugar.install(["hkpkg"])
    handle.uninstall()
    assert len(caught) == 1
    assert str(caught[0].message) == (
        "desugar: hkpkg, hkpkg.core, hkpkg.ping, hkpkg.pong, hkpkg.sub, hkpkg.sub.deep, "
        "hkpkg.util were imported before the import hook was installed and will not be "
        "translated; install the hook earlier, or reload them (importlib.reload)"
    )
    assert not is_translated(hkpkg.ping.ping)


def test_modules_translated_by_the_hook_are_not_warned_about_again(
    fresh_imports: Path,
) -> None:
    with desugar.install(["hkpkg.ping"]):
        import hkpkg.ping  # noqa: F401  (hkpkg itself is not ours: it is warned about)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        desugar.install(["hkpkg.ping", "hkpkg.pong"]).uninstall()
    assert [str(w.message).split(" was")[0] for w in caught] == ["desugar: hkpkg.pong"]


def test_desugar_itself_is_never_hooked(fresh_imports: Path) -> None:
    root = Path(desugar.__file__).parent
    finder = DesugarFinder(["desugar", "desugar.runtime"], [root])
    assert finder.packages == ()
    for name in (
        "desugar",
        "desugar.runtime",
        "desugar.runtime._executor",
        "desugar.cli",
    ):
        assert finder.find_spec(name, None) is None
    with warnings.catch_warnings():
        warnings.simplefilter(
            "error"
        )  # desugar's modules are imported: no warning either
        desugar.install(["desugar"], [root]).uninstall()


def test_finder_bails_out_by_name_before_touching_the_file_system(
    fresh_imports: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []

    def find_spec(fullname, path=None, target=None):
        calls.append(fullname)
        return None

    monkeypatch.setattr(PathFinder, "find_spec", staticmethod(find_spec))
    by_name = DesugarFinder(["hkpkg"])
    for name in ("json", "hkpkgx", "hk", "desugar.hook", "email.mime"):
        assert by_name.find_spec(name, None) is None
    assert calls == []
    by_path = DesugarFinder(paths=[fresh_imports / "nowhere"])
    assert by_path.find_spec("json", ["/usr/lib/python3/somewhere"]) is None
    assert calls == []
    by_name.find_spec("hkpkg.core", None)
    assert calls == ["hkpkg.core"]


def test_import_desugar_loads_neither_the_hook_nor_libcst(tmp_path: Path) -> None:
    code = "import sys, desugar; print(sorted(m for m in ('libcst', 'desugar.hook', 'desugar.compiler') if m in sys.modules))"
    result = python(["-c", code], tmp_path)
    assert result.stdout == "[]\n", result.stderr


# --------------------------------------------------------------------------
# desugar run


SCRIPT = """\
import sys

from desugar.runtime import block_on, is_translated

import hkpkg


async def main():
    print("argv", sys.argv)
    print("path0", sys.path[0] == __file__.rsplit("/", 1)[0])
    print("main", __name__, __spec__, __file__.endswith("script.py"), sys.modules["__main__"].main is main)
    print("types", is_translated(main), is_translated(hkpkg.total))
    total = await hkpkg.total(int(sys.argv[1]))
    print("total", total)
    if len(sys.argv) > 2:
        sys.exit(int(sys.argv[2]))


block_on(main())
"""


@pytest.mark.parametrize(
    "launcher", [["-m", "desugar"], ["-c", "from desugar.cli import main; main()"]]
)
def test_run_passes_argv_and_translates_the_script_and_its_modules(
    package: Path, launcher: list[str]
) -> None:
    write_tree(package, {"script.py": SCRIPT})
    result = python(
        [*launcher, "run", "script.py", "3", "0", "--flag", "-m", "x"], package
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "argv ['script.py', '3', '0', '--flag', '-m', 'x']",
        "path0 True",
        "main __main__ None True True",
        "types True True",
        "total 27",
    ]


@pytest.mark.parametrize("status", ["0", "3", "'message'"])
def test_run_exit_status_is_the_programs(package: Path, status: str) -> None:
    write_tree(package, {"exits.py": f"import sys\nsys.exit({status})\n"})
    result = python(["-m", "desugar", "run", "exits.py"], package)
    expected = {"0": 0, "3": 3, "'message'": 1}[status]
    assert result.returncode == expected
    assert result.stderr == ("message\n" if status == "'message'" else "")


def test_run_uncaught_exception_prints_traceback_then_async_backtrace_and_exits_1(
    package: Path,
) -> None:
    write_tree(package, {"script.py": SCRIPT})
    result = python(["-m", "desugar", "run", "script.py", "7"], package)
    assert result.returncode == 1
    traceback, _, backtrace = result.stderr.partition("task panicked at ")
    assert traceback.startswith('Traceback (most recent call last):\n  File "')
    assert 'script.py", line 19, in <module>\n    block_on(main())\n' in traceback
    assert (
        'deep.py", line 7, in fetch\n    raise ValueError(f"bad item {i}")\n'
        in traceback
    )
    assert traceback.endswith("ValueError: bad item 6\n")
    assert (
        "run.py" not in traceback and "runpy" not in traceback
    )  # the runner's frames are not the program's
    lines = backtrace.splitlines()
    assert lines[0] == "'ValueError: bad item 6', hkpkg/sub/deep.py:7"
    assert lines[1] == "stack backtrace:"
    # block_on's task runs main: a line after its outermost frame says so.
    task = "      in task script::main, spawned at script.py:19 in script::<module>"
    assert lines[8] == task
    frames = lines[2:8] + lines[9:]
    assert [line.split(": ", 1)[1] for line in frames[0::2]] == [
        "hkpkg.sub.deep::fetch",
        "hkpkg.core::total",
        "script::main",
        "script::<module>",
    ]
    assert [line.strip() for line in frames[1::2]] == [
        "at hkpkg/sub/deep.py:7",
        "at hkpkg/core.py:9",
        "at script.py:13",
        "at script.py:19",
    ]


def test_run_m_runs_a_module_with_its_package_translated(package: Path) -> None:
    result = python(["-m", "desugar", "run", "-m", "hkpkg", "3", "--x"], package)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "main __main__ ['3', '--x'] True 27\n"


def test_run_m_sets_argv0_to_the_module_file(package: Path) -> None:
    write_tree(package, {"hkpkg/show.py": "import sys\nprint(sys.argv, __name__)\n"})
    result = python(["-m", "desugar", "run", "-m", "hkpkg.show", "a"], package)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{[str(package / 'hkpkg' / 'show.py'), 'a']} __main__\n"


def test_run_include_translates_a_package_from_elsewhere(
    package: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    elsewhere = tmp_path_factory.mktemp("app")
    write_tree(
        elsewhere, {"app.py": "import hkpkg\nfrom desugar.runtime import is_translated\nprint(is_translated(hkpkg.total))\n"}
    )
    env = {"PYTHONPATH": str(package)}
    plain = python(["-m", "desugar", "run", str(elsewhere / "app.py")], package, **env)
    assert plain.stdout == "False\n", plain.stderr
    included = python(
        ["-m", "desugar", "run", "--include", "hkpkg", str(elsewhere / "app.py")],
        package,
        **env,
    )
    assert included.stdout == "True\n", included.stderr


def test_run_missing_script_or_module_fails_as_python_does(tmp_path: Path) -> None:
    missing = python(["-m", "desugar", "run", "nope.py"], tmp_path)
    assert missing.returncode == 2
    assert missing.stderr == (
        f"desugar run: can't open file {str(tmp_path / 'nope.py')!r}: [Errno 2] No such file or directory\n"
    )
    no_module = python(["-m", "desugar", "run", "-m", "nope"], tmp_path)
    assert no_module.returncode == 1
    assert no_module.stderr == "desugar run: No module named nope\n"


def test_run_script_with_unsupported_code_reports_it(tmp_path: Path) -> None:
    write_tree(tmp_path, {"bad.py": "async def f():\n    _ds_x = 1\n"})
    result = python(["-m", "desugar", "run", "bad.py"], tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith(f"{tmp_path / 'bad.py'}:2:5: ")


def test_run_directory_runs_its_main_translated(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "app/__main__.py": """\
                import sys
                from desugar.runtime import block_on, is_translated
                from helper import twice

                async def main():
                    return await twice(21)

                print(__name__, sys.argv[1:], is_translated(main), is_translated(twice), block_on(main()))
                """,
            "app/helper.py": "async def twice(x):\n    return 2 * x\n",
        },
    )
    result = python(["-m", "desugar", "run", "app", "z"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "__main__ ['z'] True True 42\n"


def _names(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _names(const)
    return names


def test_the_hook_translates_in_the_style_asked_and_caches_each_style_apart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "styled.py").write_text(
        "async def inner():\n    return 20\n\n\nasync def outer():\n    return await inner() + 1\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    monkeypatch.setattr(sys, "pycache_prefix", None)
    results = {}
    for style in ("hir", None, "hir"):
        sys.modules.pop("styled", None)
        desugar.hook.stats.reset()
        with desugar.install(paths=[tmp_path], style=style):
            import styled
        assert asyncio.run(styled.outer()) == 21
        names = _names(styled.outer.__code__)
        results.setdefault(style, []).append(desugar.hook.stats.cache_hits)
        assert ("poll_with_tls_context" in names and "Pin" in names) == (style == "hir"), names
    sys.modules.pop("styled", None)
    assert results == {"hir": [0, 1], None: [0]}  # the default's entry did not replace hir's
    entries = sorted(p.name for p in (tmp_path / "__pycache__").iterdir() if "desugar" in p.name)
    assert len(entries) == 2 and sum(".hir.pyc" in e for e in entries) == 1, entries
    with pytest.raises(ValueError, match="unknown style 'bogus'"):
        desugar.install(paths=[tmp_path], style="bogus")

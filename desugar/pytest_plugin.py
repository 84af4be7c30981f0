"""pytest plugin: run a project's test suite with its modules and its test files translated.

Usage::

    pytest --desugar PKG [--desugar PKG2] [--desugar-path DIR]
        [--desugar-lowering L] [--desugar-style S]

pytest loads the plugin by its ``pytest11`` entry point (installed with
desugar), or by ``-p desugar.pytest_plugin``; ``-p no:desugar.pytest_plugin``
keeps it out. A package that cannot be found, or a path that is not there,
is a usage error. pytest's header says what is translated.

The named packages and directories are translated on import by
`desugar.hook.install`. Test files and ``conftest.py`` files are imported by
pytest's own import hook (`_pytest.assertion.rewrite.AssertionRewritingHook`),
which rewrites their asserts; the plugin takes over that hook's
``exec_module`` for the test files that contain ``async``/``await`` and
compiles them as pytest would, with one step more
(`desugar.pytest_compile`): the source is translated, parsed, given back the
original line numbers, and only then are its asserts rewritten
(`_pytest.assertion.rewrite.rewrite_asserts`) and the module compiled under
the original file name. So a failing ``assert`` in a translated async
test reports pytest's explanation of the values and the line of the source
file. An ``assert`` whose test awaits is lowered by the compiler to
``if not (test): assert False``; the plugin turns it back into
``assert test`` (the awaited value in a local), so pytest explains it too.

The code is kept in the import hook's cache (`desugar.cache.translated_code`,
with the compile step `desugar.pytest_compile.Compile`), in ``__pycache__``
beside pytest's own pycs under the hook's tag and the step's
(``<name>.<cache tag>.desugar-<version>[.<mode>].pytest-<version>.pyc``),
keyed as the hook's entries are (the mode, the compiler's fingerprint, the
source's hash) and by pytest's version, its assertion options and the
plugin's modules: a native run and a translated run of the same directory
never share a cache entry, and a change of the compiler invalidates it.

Other modules pytest rewrites (plugins, `pytest.register_assert_rewrite`)
are left to pytest unless they belong to a ``--desugar`` package or path.
With ``--assert=plain`` pytest installs no import hook: test files that use
``async`` are then translated by a finder of this plugin and their asserts
stay plain, as pytest's own would.

Load the plugin with ``-p`` (or ``addopts``), not from a ``conftest.py``:
the top-level ``conftest.py`` files are imported before a plugin named there
is configured, so they could not be translated.

A ``--desugar`` package that pytest loads as a plugin (``-p anyio``, trio's
``-p trio._tests.pytest_plugin`` in its ``addopts``, an entry point) is
imported before this plugin can install its hook: pytest imports the ``-p``
plugins of ``addopts`` before those of the command line, and before any
hook of ours runs. Such modules are imported again, translated, when the
hook is installed (`_Desugar.evict` and `_Desugar.reimport_plugins`): what
was imported from the packages is dropped from ``sys.modules``, and each
registered plugin module among it is re-executed in place, so pytest's
registry keeps the same module object (its fixtures are read from it later)
and pluggy's hook implementations are pointed at the new functions. Nothing
of those plugins has run yet but ``pytest_addoption``, whose options stay.
(Modules outside the packages that imported them that early keep what they
imported.)
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
from pathlib import Path, PurePath
from types import CodeType, ModuleType
from typing import Any, Sequence

import pytest

import desugar
from desugar import cache, hook
from desugar.mode import LOWERINGS, STYLES, Mode, ModeError
from desugar.pytest_compile import Compile

__all__ = ["pytest_addoption", "pytest_load_initial_conftests", "pytest_configure"]

_STATE = pytest.StashKey["_Desugar"]()

def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("desugar", "desugar: run the suite with async/await translated")
    group.addoption(
        "--desugar",
        action="append",
        default=[],
        metavar="PKG",
        dest="desugar_packages",
        help="translate the modules of package PKG on import (repeatable); test files "
        "and conftest.py files that use async/await are translated as well",
    )
    group.addoption(
        "--desugar-path",
        action="append",
        default=[],
        metavar="DIR",
        dest="desugar_paths",
        help="translate the modules under DIR on import (repeatable)",
    )
    group.addoption(
        "--desugar-lowering",
        default=None,
        metavar="L",
        dest="desugar_lowering",
        help=f"the lowering to translate to: {', '.join(LOWERINGS)} (see desugar --help)",
    )
    group.addoption(
        "--desugar-style",
        default=None,
        metavar="S",
        dest="desugar_style",
        help=f"the poll lowering's output style: {', '.join(STYLES)} (see desugar --help)",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    # Runs before pytest imports the first conftest.py.
    _start(early_config, early=True)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    # Only does something when the plugin was registered too late for the
    # hook above (from a conftest.py's `pytest_plugins`).
    _start(config, early=False)


def pytest_sessionstart(session: pytest.Session) -> None:
    state = session.config.stash.get(_STATE, None)
    if state is not None:
        state.session = session


def pytest_report_header(config: pytest.Config) -> list[str] | None:
    state = config.stash.get(_STATE, None)
    if state is None:
        return None
    return [state.describe()]


def _start(config: pytest.Config, *, early: bool) -> None:
    if _STATE in config.stash:
        return
    options = getattr(config, "known_args_namespace", None) or config.option
    packages = list(getattr(options, "desugar_packages", None) or [])
    paths = list(getattr(options, "desugar_paths", None) or [])
    if not packages and not paths:
        return
    try:
        mode = Mode(getattr(options, "desugar_lowering", None), getattr(options, "desugar_style", None))
    except ModeError as error:
        raise pytest.UsageError(str(error)) from None
    base = config.invocation_params.dir
    _check_found(packages, [(base / p) for p in paths], [base, config.rootpath])
    state = _Desugar(config, packages, [(base / p).resolve() for p in paths], mode)
    config.stash[_STATE] = state
    config.add_cleanup(state.stop)
    # Early (before the first conftest.py), only plugins and what they imported can be
    # there already: they are imported again, translated. Late, conftest.py files
    # have used them: they stay as they are and the hook warns about them.
    state.start(reimport=early)
    if not early:
        from _pytest.warning_types import PytestConfigWarning

        config.issue_config_time_warning(
            PytestConfigWarning(
                "desugar.pytest_plugin was registered after the first conftest.py files were "
                "imported, so those are not translated; load it with "
                "`-p desugar.pytest_plugin` instead"
            ),
            stacklevel=2,
        )


def _check_found(packages: list[str], paths: list[Path], dirs: list[Path]) -> None:
    """A usage error for a ``--desugar`` package or ``--desugar-path`` that is not there.

    A package is looked up by its top-level name (nothing is imported) on
    ``sys.path`` and in ``dirs`` (where pytest runs, its rootdir), which pytest
    may put on ``sys.path`` later.
    """
    from importlib.machinery import PathFinder

    where = [*sys.path, *map(str, dirs)]
    for package in packages:
        top = package.partition(".")[0]
        if top in sys.modules or importlib.util.find_spec(top) is not None:
            continue
        if PathFinder.find_spec(top, where) is None:
            raise pytest.UsageError(
                f"--desugar {package}: no package {top!r} can be imported (looked on sys.path "
                f"and in {dirs[0]}). Give the name it is imported by, run pytest where it "
                "can be imported, or use --desugar-path DIR for a directory."
            )
    for path in paths:
        if not path.exists():
            raise pytest.UsageError(
                f"--desugar-path {path}: no such file or directory. Give a directory (or file) "
                "whose modules should be translated."
            )


class _Desugar:
    """The plugin's state for one pytest `Config`."""

    def __init__(
        self, config: pytest.Config, packages: list[str], paths: list[Path], mode: Mode
    ) -> None:
        self.config = config
        self.mode = mode  # what the code is translated in
        self.packages = packages
        self.paths = paths
        self.session: pytest.Session | None = None
        self.handle: Any = None
        self.rewriter: Any = None  # pytest's AssertionRewritingHook, if assertions are rewritten
        self.finder: _TestFileFinder | None = None
        self.asserts = "plain"
        try:
            self.fnpats: list[str] = list(config.getini("python_files"))
        except ValueError:
            self.fnpats = ["test_*.py", "*_test.py"]
        self.steps = {rewrite: Compile(config, rewrite) for rewrite in (False, True)}
        self.hidden: list[ModuleType] = []

    # -- lifetime ---------------------------------------------------------

    def start(self, *, reimport: bool = False) -> None:
        evicted = self.evict(hook) if reimport else []
        self.handle = hook.install(
            packages=self.packages, paths=[str(p) for p in self.paths], mode=self.mode
        )
        self.hide_runtime_frames()
        self.rewriter = _assertion_rewriter(self.config)
        if self.rewriter is not None:
            self.asserts = "rewrite"
            original = self.rewriter.exec_module  # a bound method of pytest's hook

            def exec_module(module: ModuleType) -> None:
                if not self._exec_translated(module):
                    original(module)

            self.rewriter.exec_module = exec_module
            # pytest's hook goes first: a test file inside a --desugar package or path
            # keeps its assertion rewriting; what pytest declines goes on to desugar's.
            sys.meta_path.remove(self.rewriter)
            sys.meta_path.insert(0, self.rewriter)
        else:
            self.finder = _TestFileFinder(self)
            sys.meta_path.insert(0, self.finder)
        if evicted:
            self.reimport_plugins(evicted)

    def evict(self, hook: ModuleType) -> list[tuple[str, ModuleType]]:
        """Drop from ``sys.modules`` the modules of ours imported before the hook.

        Those are the modules of plugins pytest loaded first (``-p PKG`` in
        ``addopts``, entry points) and what they imported. Without this the
        hook would warn about them (``ImportedBeforeHookWarning``, an error
        under ``filterwarnings = error``) and they would run untranslated.
        The ones imported again are translated; `reimport_plugins` does it
        for the plugins, the others are imported again when they are used.
        """
        finder = hook.DesugarFinder(self.packages, [str(p) for p in self.paths])
        evicted = [
            (name, module)
            for name, module in list(sys.modules.items())
            if isinstance(module, ModuleType)
            and not isinstance(getattr(module, "__loader__", None), hook.DesugarLoader)
            and finder.claims(module)
        ]
        for name, _ in evicted:
            del sys.modules[name]
        return evicted

    def reimport_plugins(self, evicted: list[tuple[str, ModuleType]]) -> None:
        """Run the registered plugin modules among ``evicted`` again, translated, in place.

        ``importlib.reload`` re-executes a module in its own object, through
        the finders now in front (pytest's rewriting hook, which these
        plugins are marked for and whose ``exec_module`` translates them, or
        desugar's), so pytest's plugin registry needs no change. pluggy's
        hook implementations hold the old functions: they are replaced by
        the module's new ones of the same name (which differ where they
        define or are ``async``). Re-registering the module instead would
        replay ``pytest_addoption`` (a historic hook), and adding an option
        twice is an error.
        """
        import importlib

        manager = self.config.pluginmanager
        for name, module in evicted:  # in import order: a package before its modules
            if not manager.is_registered(module):
                continue
            sys.modules[name] = module
            parent, _, child = name.rpartition(".")
            if parent:
                setattr(importlib.import_module(parent), child, module)
            importlib.reload(module)
            for caller in manager.get_hookcallers(module) or ():
                for impl in caller.get_hookimpls():
                    if impl.plugin is module:
                        new = vars(module).get(getattr(impl.function, "__name__", ""))
                        if callable(new):
                            impl.function = new

    def hide_runtime_frames(self) -> None:
        """Leave the runtime's frames (``Awaitee.poll`` ...) out of pytest's tracebacks.

        pytest hides a frame whose globals say ``__tracebackhide__``; a failure
        in a translated test then shows the frames a native one would
        (``--full-trace`` shows them all).
        """
        import desugar.runtime

        for name, module in list(sys.modules.items()):
            if name == desugar.runtime.__name__ or name.startswith(desugar.runtime.__name__ + "."):
                if isinstance(module, ModuleType) and "__tracebackhide__" not in vars(module):
                    module.__tracebackhide__ = True  # type: ignore[attr-defined]
                    self.hidden.append(module)

    def stop(self) -> None:
        for module in self.hidden:
            vars(module).pop("__tracebackhide__", None)
        self.hidden.clear()
        if self.rewriter is not None:
            self.rewriter.__dict__.pop("exec_module", None)
            self.rewriter = None
        if self.finder is not None:
            if self.finder in sys.meta_path:
                sys.meta_path.remove(self.finder)
            self.finder = None
        if self.handle is not None:
            self.handle.uninstall()
            self.handle = None

    def describe(self) -> str:
        what = ", ".join([*self.packages, *map(str, self.paths)])
        asserts = (
            "asserts rewritten by pytest"
            if self.asserts == "rewrite"
            else "plain asserts (pytest does not rewrite them: --assert=plain)"
        )
        return f"desugar: translating {what} and test files using async ({asserts})"

    # -- which files ------------------------------------------------------

    def in_packages(self, name: str, fn: Path) -> bool:
        """Is this module one of the ``--desugar`` packages' or below a ``--desugar-path``?"""
        claims = getattr(getattr(self.handle, "finder", None), "claims", None)
        if claims is not None:  # the import hook's own judgement
            module = ModuleType(name)
            module.__file__ = str(fn)
            return bool(claims(module))
        if any(name == p or name.startswith(p + ".") for p in self.packages):
            return True
        return any(_is_relative_to(fn, p) for p in self.paths)

    def is_test_file(self, name: str, fn: Path) -> bool:
        """A file pytest imports as a test module or conftest, or one of ours."""
        if fn.name == "conftest.py":
            return True
        if self.session is not None and self.session.isinitpath(fn):
            return True
        from _pytest.pathlib import fnmatch_ex

        if any(fnmatch_ex(pat, fn) for pat in self.fnpats):
            return True
        return self.in_packages(name, fn)

    def async_test_file(self, name: str, fn: Path) -> bytes | None:
        """The source of module ``name`` (file ``fn``) if it is a test file that uses async, else None."""
        if not self.is_test_file(name, fn):
            return None
        try:
            source = fn.read_bytes()
        except OSError:
            return None
        return source if b"async" in source or b"await" in source else None

    # -- loading ----------------------------------------------------------

    def _exec_translated(self, module: ModuleType) -> bool:
        """Run a translated test module through pytest's hook; False to leave it to pytest."""
        spec = module.__spec__
        assert spec is not None and spec.origin is not None
        fn = Path(spec.origin)
        source = self.async_test_file(module.__name__, fn)
        if source is None:
            return False
        names = getattr(self.rewriter, "_rewritten_names", None)
        if isinstance(names, dict):
            names[module.__name__] = fn  # what pytest's get_resource_reader looks up
        code = self.code(fn, source, rewrite=True)
        if code is None:  # (no async after all)
            return False
        exec(code, module.__dict__)
        return True

    def code(self, fn: Path, source: bytes, *, rewrite: bool) -> CodeType | None:
        """The module's code, translated (and its asserts rewritten), from the hook's cache if there.

        None if ``source`` has no ``async``/``await`` (compile it as usual).
        """
        return cache.translated_code(source, str(fn), mode=self.mode, step=self.steps[rewrite])

def _assertion_rewriter(config: pytest.Config) -> Any:
    """pytest's AssertionRewritingHook, if it is installed and this plugin can take part."""
    try:
        from _pytest.assertion import rewrite
    except ImportError:
        return None
    state = config.stash.get(rewrite.assertstate_key, None)
    hook = getattr(state, "hook", None)
    if hook is None or hook not in sys.meta_path:
        return None  # --assert=plain (or no rewriting possible): no hook to join
    if not callable(getattr(rewrite, "rewrite_asserts", None)):  # pragma: no cover
        from _pytest.warning_types import PytestConfigWarning

        config.issue_config_time_warning(
            PytestConfigWarning(
                "desugar: this pytest has no _pytest.assertion.rewrite.rewrite_asserts; "
                "translated test files get plain asserts"
            ),
            stacklevel=2,
        )
        return None
    return hook


class _TestFileFinder(importlib.abc.MetaPathFinder):
    """Translates test files when pytest does not rewrite asserts (``--assert=plain``)."""

    def __init__(self, state: _Desugar) -> None:
        self.state = state

    def find_spec(
        self, name: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if not self._may_be_test(name):
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None and path is not None:  # --import-mode=importlib, as pytest does
            for entry in path:
                spec = importlib.util.spec_from_file_location(name, entry)
                if spec is not None:
                    break
        if (
            spec is None
            or spec.origin is None
            or not isinstance(spec.loader, importlib.machinery.SourceFileLoader)
            or not os.path.exists(spec.origin)
        ):
            return None
        fn = Path(spec.origin)
        if self.state.async_test_file(name, fn) is None:
            return None
        return importlib.util.spec_from_file_location(
            name,
            fn,
            loader=_TestFileLoader(self.state, name, str(fn)),
            submodule_search_locations=spec.submodule_search_locations,
        )


    def _may_be_test(self, name: str) -> bool:
        """A cheap test by name, as pytest's own hook bails out early."""
        parts = name.split(".")
        if parts[0] == "desugar":
            return False
        if parts[-1] == "conftest":
            return True
        session = self.state.session
        if session is not None and any(
            Path(p).stem == parts[-1] for p in getattr(session, "_initialpaths", ())
        ):
            return True
        from _pytest.pathlib import fnmatch_ex

        as_file = PurePath(*parts).with_suffix(".py")
        for pat in self.state.fnpats:
            if os.path.dirname(pat) or fnmatch_ex(pat, as_file):
                return True
        return False


class _TestFileLoader(importlib.machinery.SourceFileLoader):
    def __init__(self, state: _Desugar, fullname: str, path: str) -> None:
        super().__init__(fullname, path)
        self.state = state

    def get_code(self, fullname: str) -> CodeType:  # type: ignore[override]
        source = self.get_data(self.path)
        code = self.state.code(Path(self.path), source, rewrite=False)
        if code is None:  # (no async after all)
            return super().get_code(fullname)  # type: ignore[return-value]
        return code


# -- helpers ------------------------------------------------------------------

def _is_relative_to(path: Path, directory: Path) -> bool:
    try:
        path.resolve().relative_to(directory)
    except ValueError:
        return False
    return True

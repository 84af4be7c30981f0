"""The import hook: modules of named packages or paths are translated as they are imported.

Modelled on pytest's ``_pytest/assertion/rewrite.py``. A `DesugarFinder` at
the front of ``sys.meta_path`` looks at the module's name first and gives up
at once (no file system access) when the module cannot be one of ours; else
it asks ``PathFinder`` for the spec and, for a ``.py`` source file, puts a
`DesugarLoader` in it. The loader compiles the source with
`desugar.compiler.compile_module`, so the code keeps the original file's name
and line numbers (tracebacks, ``inspect.getsource``, ``linecache``, pdb
breakpoints), and caches the code object in ``__pycache__`` under desugar's
own tag (see `desugar.cache`, the one translation cache, which the pytest plugin
uses too).

A cache hit imports neither the compiler nor libcst. A module without
``async``/``await`` is left to CPython's own loader and pyc.
"""

from __future__ import annotations

import os
import sys
from importlib.machinery import ModuleSpec, PathFinder, SourceFileLoader
from types import CodeType, ModuleType

from desugar.cache import stats as stats
from desugar.cache import translated_code
from desugar.mode import DEFAULT, Mode, resolve

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing is not imported at run time (import cost)
    from typing import Iterable

    from typing_extensions import Self

__all__ = [
    "DesugarFinder",
    "DesugarLoader",
    "Handle",
    "ImportedBeforeHookWarning",
    "install",
    "stats",
    "uninstall",
]

_DESUGAR_DIR = os.path.dirname(os.path.abspath(__file__))
_THIRD_PARTY_DIRS = ("site-packages", "dist-packages")


class ImportedBeforeHookWarning(UserWarning):
    """A module the hook would translate was imported before it was installed."""


# --------------------------------------------------------------------------
# Which modules are ours


def _is_desugar(fullname: str) -> bool:
    return fullname == "desugar" or fullname.startswith("desugar.")


def _under(path: str, directory: str) -> bool:
    """Is ``path`` ``directory`` or inside it? (both absolute and normalised)"""
    return path == directory or path.startswith(directory.rstrip(os.sep) + os.sep)


class DesugarFinder:
    """A meta path finder that hands the named packages' and paths' modules to `DesugarLoader`.

    It has the protocol of ``importlib.abc.MetaPathFinder`` (``find_spec``,
    ``invalidate_caches``) but not the class: on Python 3.12 and 3.13,
    importing ``importlib.abc`` imports ``inspect``, ``typing`` and
    ``tempfile`` with it, about 40 ms at every start of a program that uses the
    hook.

    ``packages``: a module is ours if its name is one of them or starts with
    one of them and a dot. ``paths``: a module is ours if its file is below one
    of them (but not below a ``site-packages`` directory inside it). desugar
    itself never is.
    """

    def __init__(
        self,
        packages: Iterable[str] = (),
        paths: Iterable[str | os.PathLike[str]] = (),
        mode: Mode = DEFAULT,
    ) -> None:
        self.mode = mode  # what the code is translated in
        self.packages = tuple(p for p in packages if not _is_desugar(p))
        self._prefixes = tuple(p + "." for p in self.packages)
        dirs: list[str] = []
        for path in paths:
            absolute = os.path.abspath(os.fspath(path))
            for form in (absolute, os.path.realpath(absolute)):
                if form not in dirs:
                    dirs.append(form)
        self.paths = tuple(dirs)
        self._entry_cache: dict[str, bool] = {}

    def __repr__(self) -> str:
        return f"DesugarFinder(packages={list(self.packages)!r}, paths={list(self.paths)!r})"

    # -- the cheap part: names and path entries, no file system

    def _named(self, fullname: str) -> bool:
        return fullname in self.packages or fullname.startswith(self._prefixes)

    def _relevant_entry(self, entry: object) -> bool:
        """Could a module found through path entry ``entry`` lie below one of our paths?"""
        if not isinstance(entry, str):
            return False
        cached = self._entry_cache.get(entry)
        if cached is not None:
            return cached
        absolute = os.path.abspath(entry)
        relevant = any(_under(absolute, d) or _under(d, absolute) for d in self.paths)
        if os.path.isabs(entry):  # a relative entry depends on the current directory
            self._entry_cache[entry] = relevant
        return relevant

    def _search_path(self, path: object) -> list[str] | None:
        """The part of the search path that must be searched, or None if none of it is ours.

        The entries after the last relevant one cannot change the answer: a
        module found there is not below our paths.
        """
        entries = sys.path if path is None else path
        try:
            entries = list(entries)  # type: ignore[call-overload]
        except TypeError:
            return None
        last = -1
        for index, entry in enumerate(entries):
            if self._relevant_entry(entry):
                last = index
        return entries[: last + 1] if last >= 0 else None

    def _in_paths(self, origin: str) -> bool:
        if not self.paths:
            return False
        origin = os.path.abspath(origin)
        for directory in self.paths:
            if _under(origin, directory):
                rest = origin[len(directory) :].split(os.sep)
                return not any(part in _THIRD_PARTY_DIRS for part in rest)
        return False

    # -- the finder protocol

    def find_spec(
        self, fullname: str, path: object = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if _is_desugar(fullname):
            return None
        named = self._named(fullname)
        if named:
            search = path
        elif self.paths:
            search = self._search_path(path)
            if search is None:
                return None
        else:
            return None
        spec = PathFinder.find_spec(fullname, search, target)  # type: ignore[arg-type]
        if spec is None or not isinstance(spec.loader, SourceFileLoader):
            return None
        origin = spec.origin
        if not isinstance(origin, str) or not origin.endswith(".py"):
            return None
        if not named and not self._in_paths(origin):
            return None
        loader = DesugarLoader(fullname, origin)
        loader.mode = self.mode
        spec.loader = loader
        return spec

    def invalidate_caches(self) -> None:
        self._entry_cache.clear()

    def claims(self, module: ModuleType) -> bool:
        """Would this finder have translated ``module`` (judged by its name and file)?"""
        name = getattr(module, "__name__", None)
        if not isinstance(name, str) or _is_desugar(name) or name == "__main__":
            return False
        filename = getattr(module, "__file__", None)
        if not isinstance(filename, str) or not filename.endswith(".py"):
            return False
        return self._named(name) or self._in_paths(filename)


# --------------------------------------------------------------------------
# The loader and its cache


class DesugarLoader(SourceFileLoader):
    """A source file loader whose code is translated (see `translated_code`)."""

    mode: Mode = DEFAULT  # what the code is translated in

    def get_code(self, fullname: str) -> CodeType:  # type: ignore[override]
        source_path = self.get_filename(fullname)
        code = translated_code(None, source_path, mode=self.mode)
        if code is None:  # nothing async: CPython's own pyc and compile
            return super().get_code(fullname)  # type: ignore[return-value]
        return code


# --------------------------------------------------------------------------
# Installing


class Handle:
    """An installed hook: `uninstall` removes it; as a context manager it uninstalls on exit."""

    def __init__(self, finder: DesugarFinder) -> None:
        self.finder = finder

    @property
    def installed(self) -> bool:
        return any(f is self.finder for f in sys.meta_path)

    def uninstall(self) -> None:
        """Remove the finder from ``sys.meta_path`` (modules already imported stay as they are)."""
        sys.meta_path[:] = [f for f in sys.meta_path if f is not self.finder]

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.uninstall()

    def __repr__(self) -> str:
        state = "installed" if self.installed else "uninstalled"
        return f"<desugar.hook.Handle {state} {self.finder!r}>"


def install(
    packages: Iterable[str] = (),
    paths: Iterable[str | os.PathLike[str]] = (),
    *,
    mode: Mode | None = None,
    style: str | None = None,
    lowering: str | None = None,
) -> Handle:
    """Translate, from now on, the modules of ``packages`` and the files below ``paths``.

    ``mode`` is what they are translated in (or ``lowering`` and ``style``: see
    `desugar.translate`); each mode has its own cache entries.

    The finder goes to the front of ``sys.meta_path``. Modules it would have
    translated that are imported already get an `ImportedBeforeHookWarning`:
    they stay as they are until reloaded (``importlib.reload``).
    """
    if isinstance(packages, str):
        packages = [packages]
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    finder = DesugarFinder(packages, paths, resolve(mode, lowering=lowering, style=style))
    sys.meta_path.insert(0, finder)
    _warn_imported(finder)
    return Handle(finder)


def uninstall(handle: Handle | None = None) -> None:
    """Remove ``handle``'s finder, or every desugar finder when no handle is given."""
    if handle is not None:
        handle.uninstall()
        return
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, DesugarFinder)]


def _warn_imported(finder: DesugarFinder) -> None:
    names = sorted(
        name
        for name, module in list(sys.modules.items())
        if isinstance(module, ModuleType)
        and not isinstance(getattr(module, "__loader__", None), DesugarLoader)
        and finder.claims(module)
    )
    if names:
        shown = ", ".join(names[:10]) + (
            f" and {len(names) - 10} more" if len(names) > 10 else ""
        )
        import warnings

        warnings.warn(
            f"desugar: {shown} {'was' if len(names) == 1 else 'were'} imported before the "
            "import hook was installed and will not be translated; install the hook "
            "earlier, or reload them (importlib.reload)",
            ImportedBeforeHookWarning,
            stacklevel=_caller_level(),
        )


def _caller_level() -> int:
    """The ``stacklevel`` of the first caller outside desugar (who installed the hook)."""
    level = 2  # our caller's caller, from warnings.warn's point of view
    frame = sys._getframe(2)
    while frame.f_back is not None and frame.f_code.co_filename.startswith(
        _DESUGAR_DIR + os.sep
    ):
        frame = frame.f_back
        level += 1
    return level

"""``desugar cache DIR...``: fill the import hook's cache for a tree ahead of time.

Every ``*.py`` file below each DIR (or each FILE named) is translated into
the entry the hook would write on first import (`desugar.cache.translated_code`,
keyed by `desugar.cache.cache_key`), in up to ``--workers`` processes, as
``python -m compileall -j0`` does for CPython's own pycs. A later
``desugar run`` or ``desugar.install`` of those files then loads the cached
code instead of translating it. Files without ``async``/``await`` get no
entry (the hook compiles them as usual).

Where pytest is installed, the test files among them (``conftest.py`` and the
files pytest's ``python_files`` patterns match, read from the configuration
pytest finds from here) also get the entry ``pytest --desugar`` loads them
from: the translation with pytest's assertion rewriting
(`desugar.pytest_compile.Compile`, asserts rewritten as pytest does by
default). ``--no-pytest`` leaves those out.

Exit status: 0, or 123 if any file failed to translate or could not be read.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from desugar.cli import workers_option
from desugar.mode import Mode
from desugar.mode import options as mode_options

EXIT_ERROR = 123


def _fill(
    path: str, mode: Mode, pytest: tuple[tuple[str, ...], bool] | None = None
) -> tuple[str, str | None]:
    """Put ``path``'s translation in the cache: what happened ("translated",
    "cached", "plain" or "failed") and, when it failed, the message.

    ``pytest``: the ``python_files`` patterns and ``enable_assertion_pass_hook``
    of the pytest run to fill the entries of, for the test files (None: none).
    """
    from desugar.cache import stats, translated_code
    from desugar.errors import TranslateError

    # Writing entries is this command's whole point: as compileall does, it
    # writes them whatever PYTHONDONTWRITEBYTECODE says.
    sys.dont_write_bytecode = False
    before = stats.translations
    try:
        code = translated_code(None, path, mode=mode)
        if code is not None and pytest is not None:
            from desugar import pytest_compile

            patterns, passes = pytest
            if pytest_compile.is_test_file(path, patterns):
                translated_code(None, path, mode=mode, step=pytest_compile.ahead_of_time_step(passes))
    except (TranslateError, SyntaxError) as exc:
        if isinstance(exc, SyntaxError) and not isinstance(exc, TranslateError):
            return "failed", f"{exc.filename or path}:{exc.lineno}:{(exc.offset or 0)}: SyntaxError: {exc.msg}"
        return "failed", str(exc)
    except OSError as exc:
        return "failed", f"error: cannot read {path}: {exc.strerror or exc}"
    except Exception as exc:  # noqa: BLE001 - any other exception is the compiler's bug
        return "failed", f"error: cannot translate {path}: internal error: {type(exc).__name__}: {exc}"
    if code is None:
        return "plain", None
    return ("translated" if stats.translations > before else "cached"), None


def _outcomes(paths: list[str], mode: Mode, workers: int, pytest: tuple[tuple[str, ...], bool] | None = None):
    """Each path's outcome, in input order."""
    if workers > 1 and len(paths) > 1:
        try:
            from concurrent.futures import ProcessPoolExecutor

            executor = ProcessPoolExecutor(max_workers=min(workers, len(paths)))
        except (ImportError, NotImplementedError, OSError):
            pass  # no working multiprocessing here: one process
        else:
            from desugar.cli import preload_for_workers

            preload_for_workers(format=False, hook=True)
            with executor:
                n = len(paths)
                yield from executor.map(_fill, paths, [mode] * n, [pytest] * n, chunksize=4)
            return
    for path in paths:
        yield _fill(path, mode, pytest)


@click.command("cache")
@click.argument("src", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@mode_options()
@workers_option
@click.option(
    "--no-pytest",
    "no_pytest",
    is_flag=True,
    help="Leave out the entries pytest --desugar loads test files and conftest.py files from.",
)
@click.option("-q", "--quiet", is_flag=True, help="Report nothing but errors.")
def cache_command(
    src: tuple[Path, ...], mode: Mode, workers: int | None, no_pytest: bool, quiet: bool
) -> None:
    """Fill the import hook's cache for SRC (directories or files) ahead of time, on every core.

    A later `desugar run`, `desugar.install` or `pytest --desugar` of these
    files loads the cached translation instead of translating on import (for
    pytest, test files and conftest.py files get the entry with pytest's
    assertion rewriting too, when pytest is installed).
    """
    from desugar.cli import python_files

    paths: list[str] = []
    errors: list[str] = []
    for root in src:
        files = python_files(root, set(), errors) if root.is_dir() else [root]
        paths.extend(os.path.abspath(f) for f in files)
    paths = list(dict.fromkeys(paths))
    counts = {"translated": 0, "cached": 0, "plain": 0, "failed": len(errors)}
    for message in errors:
        click.echo(f"error: {message}", err=True)
    pytest = None
    if not no_pytest:
        try:
            from desugar import pytest_compile
        except ImportError:  # no pytest here
            pass
        else:
            pytest = pytest_compile.ahead_of_time_settings([str(root) for root in src])
    for kind, message in _outcomes(paths, mode, workers or os.cpu_count() or 1, pytest):
        counts[kind] += 1
        if message is not None:
            click.echo(message, err=True)
    if not quiet:
        click.echo(
            f"{counts['translated']} translated, {counts['cached']} already cached, "
            f"{counts['plain']} without async, {counts['failed']} failed.",
            err=True,
        )
    sys.exit(EXIT_ERROR if counts["failed"] else 0)

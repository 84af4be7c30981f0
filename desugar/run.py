"""``desugar run``: run a script or module as ``python`` would, with its async code translated.

The import hook is installed for the script's own directory (for ``-m``, the
module's top-level package and the current directory) and any ``--include``
packages. The main script is translated too: runpy would compile it itself,
so it is compiled here (through the hook's cache) and executed in a fresh
``__main__`` module. ``sys.argv``, ``sys.path[0]`` and the exit status are
those ``python`` gives; an uncaught exception prints Python's traceback, then
the async backtrace (`desugar.backtrace`), and exits with status 1.

As with ``python``, nothing is undone afterwards: the process is the program's.
"""

from __future__ import annotations

import builtins
import os
import runpy
import sys
import types
from types import TracebackType
from typing import Callable, Sequence

import click

from desugar import backtrace, hook
from desugar.errors import InternalError, TranslateError

#: What python exits with when it cannot open the script.
EXIT_CANNOT_OPEN = 2


def run_script(
    script: str, args: Sequence[str], include: Sequence[str] = (), style: str | None = None,
    lowering: str | None = None,
) -> int:
    """Run ``script`` (a file, or a directory with ``__main__.py``) with ``args``; the exit status."""
    path = os.path.abspath(script)
    sys.argv = [script, *args]
    if os.path.isdir(path):
        _set_path0(path)
        hook.install(include, [path], style, lowering)
        return _guarded(lambda: runpy.run_path(path, run_name="__main__"))
    try:
        with open(path, "rb") as file:
            source = file.read()
    except OSError as error:
        _err(
            f"desugar run: can't open file {path!r}: [Errno {error.errno}] {error.strerror}"
        )
        return EXIT_CANNOT_OPEN
    directory = os.path.dirname(os.path.realpath(path))
    _set_path0(directory)
    hook.install(include, [directory], style, lowering)
    try:
        code = hook.translated_code(source, path, hook.strategy(lowering, style))
        if code is None:
            code = compile(source, path, "exec", dont_inherit=True)
    except TranslateError as error:
        _err(str(error))
        return 1
    except InternalError as error:  # a bug of ours: one message, as the CLI prints it
        _err(str(error))
        return 123
    except (SyntaxError, RecursionError, MemoryError) as error:  # CPython's own, as natively
        _print_exception(error)
        return 1
    main = types.ModuleType("__main__")
    main.__dict__.update(
        __file__=path,
        __cached__=None,
        __loader__=hook.DesugarLoader("__main__", path),
        __package__=None,
        __spec__=None,
        __builtins__=builtins,
    )
    sys.modules["__main__"] = main
    return _guarded(lambda: exec(code, main.__dict__))


def run_module(
    module: str, args: Sequence[str], include: Sequence[str] = (), style: str | None = None,
    lowering: str | None = None,
) -> int:
    """Run ``module`` as ``python -m`` does, with ``args``; the exit status."""
    cwd = os.getcwd()
    sys.argv = [module, *args]  # runpy sets sys.argv[0] to the module's file
    _set_path0(cwd)
    hook.install([module.partition(".")[0], *include], [cwd], style, lowering)
    return _guarded(
        lambda: runpy.run_module(module, run_name="__main__", alter_sys=True)
    )


def _set_path0(directory: str) -> None:
    """Put the program's directory where python does, in place of the runner's own."""
    if sys.path:
        sys.path[0] = directory
    else:
        sys.path.insert(0, directory)


def _guarded(run: Callable[[], object]) -> int:
    """Call ``run``; SystemExit passes through, any other exception is reported (status 1)."""
    try:
        run()
    except SystemExit:
        raise
    except BaseException as error:  # the program's failure: report it as python would
        tb = _program_frames(error.__traceback__)
        if tb is None and isinstance(error, ImportError):
            # runpy could not find the module: python's one-line message.
            _err(f"desugar run: {error}")
            return 1
        error.__traceback__ = tb
        _print_exception(error)
        stack = error.__dict__.get("__desugar_async_stack__") if hasattr(error, "__dict__") else None
        if stack and sys.version_info < (3, 11):  # (3.11+: the traceback prints it, as a note)
            from desugar.runtime._callback import format_async_stack

            _err(format_async_stack(stack))
        backtrace.print_backtrace(error)
        return 130 if isinstance(error, KeyboardInterrupt) else 1
    return 0


def _program_frames(tb: TracebackType | None) -> TracebackType | None:
    """``tb`` without the runner's own frames (desugar's and runpy's) at its start."""
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if not (backtrace.is_runtime_frame(tb.tb_frame) or _is_runpy(filename)):
            break
        tb = tb.tb_next
    return tb


def _is_runpy(filename: str) -> bool:
    return filename in (runpy.__file__, "<frozen runpy>")


def _print_exception(error: BaseException) -> None:
    if sys.stdout is not None:
        sys.stdout.flush()
    sys.excepthook(type(error), error, error.__traceback__)


def _err(message: str) -> None:
    print(message, file=sys.stderr)


@click.command(
    "run",
    context_settings={
        "ignore_unknown_options": True,
        "allow_interspersed_args": False,
        "help_option_names": ["-h", "--help"],
    },
)
@click.option(
    "-m",
    "as_module",
    is_flag=True,
    help="Run TARGET as a module, like python -m (its top-level package is translated).",
)
@click.option(
    "--include",
    multiple=True,
    metavar="PKG",
    help="Translate the modules of package PKG too (repeatable).",
)
@click.option(
    "--style",
    type=click.Choice(hook.style_names()),
    default=None,
    help="Output style of the poll lowering: poll (the default) or hir (the seed article's HIR).",
)
@click.option(
    "--lowering",
    type=click.Choice(hook.LOWERINGS),
    default=None,
    help=(
        "The async model: poll (the default: every async caller below its callee), callback "
        "(a promise trampoline: only the youngest frame on the stack) or callback-async-stacks "
        "(callback, capturing the async stack at each await)."
    ),
)
@click.argument("target")
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def run_command(
    as_module: bool, include: tuple[str, ...], style: str | None, lowering: str | None,
    target: str, args: tuple[str, ...],
) -> None:
    """Run the script TARGET (or, with -m, the module) with async code translated on import.

    The script and the modules of its directory are translated as they are
    imported (cached in __pycache__). ARGS go to the program as sys.argv[1:];
    the exit status is the program's. An uncaught exception prints Python's
    traceback and then the async backtrace, and exits with status 1.
    """
    try:
        hook.strategy(lowering, style)
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    if as_module:
        status = run_module(target, args, include, style, lowering)
    else:
        status = run_script(target, args, include, style, lowering)
    sys.exit(status)

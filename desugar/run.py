"""``desugar run``: run a script or module as ``python`` would, with its async code translated.

The import hook is installed for the script's own directory (for ``-m``, the
module's top-level package and the current directory) and any ``--include``
packages. The main script is translated too: runpy would compile it itself,
so it is compiled here (through the hook's cache) and executed in a fresh
``__main__`` module. ``sys.argv``, ``sys.path[0]`` and the exit status are
those ``python`` gives. An uncaught exception prints what ``python`` prints
(without the runner's or the import hook's frames) and exits with status 1;
if it failed a task (`desugar.backtrace.track_tasks` records them while the
program runs), the async backtrace (`desugar.backtrace`) follows. A
KeyboardInterrupt ends the process by SIGINT, as ``python`` does.

``--dump-on SIGNAL`` prints the program's tasks (`desugar.backtrace.dump_tasks`)
to stderr each time SIGNAL arrives, and the program goes on. ``--dump-on-hang
SECONDS`` arms a SIGALRM timer: if the program is still running then, its
tasks are printed and the process exits at once with status 124 (as
``timeout(1)`` does), running no ``finally`` blocks or atexit handlers, which a
hung program might never reach. Both handlers run in the main thread, between
two bytecodes of whatever it was doing (a wait in ``select``, a lock, a
sleep), so the chains they walk are those of its executor, asyncio loop or trio
run, at rest. Should the main thread not run Python code by then (stuck in C
code that does not return on a signal), faulthandler prints every thread's
stack `HANG_GRACE` seconds later and exits with status 1.

As with ``python``, nothing is undone afterwards: the process is the program's.
"""

from __future__ import annotations

import atexit
import builtins
import faulthandler
import os
import runpy
import signal
import sys
import types
from types import TracebackType
from typing import Any, Callable, Sequence

import click

from desugar import backtrace, hook
from desugar.errors import InternalError, TranslateError
from desugar.mode import DEFAULT, Mode
from desugar.mode import options as mode_options

#: What python exits with when it cannot open the script.
EXIT_CANNOT_OPEN = 2
#: What ``--dump-on-hang`` exits with (``timeout(1)``'s status).
EXIT_HUNG = 124
#: Seconds after ``--dump-on-hang``'s deadline at which faulthandler takes over.
HANG_GRACE = 2.0

def run_script(
    script: str,
    args: Sequence[str],
    include: Sequence[str] = (),
    *,
    mode: Mode | None = DEFAULT,
    starting: Callable[[], object] = lambda: None,
) -> int:
    """Run ``script`` (a file, or a directory with ``__main__.py``) with ``args``; the exit status.

    Its async code is translated in ``mode`` as it is imported (None: it runs
    natively). ``starting`` is called as the program starts (after its
    script is compiled).
    """
    path = os.path.abspath(script)
    sys.argv = [script, *args]
    if os.path.isdir(path):
        _set_path0(path)
        _install(include, [path], mode)
        backtrace.track_tasks()
        starting()
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
    _install(include, [directory], mode)
    backtrace.track_tasks()
    try:
        code = _main_code(source, path, mode)
    except TranslateError as error:
        _err(str(error))
        return 1
    except InternalError as error:  # a bug of ours: one message, as the CLI prints it
        _err(str(error))
        return 123
    except (SyntaxError, RecursionError, MemoryError) as error:  # CPython's own, as natively
        _print_exception(error.with_traceback(None))  # (python shows no frame: none ran)
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
    starting()
    return _guarded(lambda: exec(code, main.__dict__))


def run_module(
    module: str,
    args: Sequence[str],
    include: Sequence[str] = (),
    *,
    mode: Mode | None = DEFAULT,
    starting: Callable[[], object] = lambda: None,
) -> int:
    """Run ``module`` as ``python -m`` does, with ``args``; the exit status.

    ``mode`` is as for `run_script`. ``starting`` is called before the module
    is looked up and run.
    """
    cwd = os.getcwd()
    sys.argv = [module, *args]  # runpy sets sys.argv[0] to the module's file
    _set_path0(cwd)
    _install([module.partition(".")[0], *include], [cwd], mode)
    backtrace.track_tasks()
    starting()
    return _guarded(
        lambda: runpy.run_module(module, run_name="__main__", alter_sys=True)
    )


def _install(packages: Sequence[str], paths: Sequence[str], mode: Mode | None) -> None:
    """Translate the program's modules as they are imported (not when running natively)."""
    if mode is not None:
        hook.install(packages, paths, mode=mode)


def _main_code(source: bytes, path: str, mode: Mode | None) -> types.CodeType:
    """The main script's code: translated (through the hook's cache), or compiled natively."""
    code = hook.translated_code(source, path, mode=mode) if mode is not None else None
    if code is None:
        code = compile(source, path, "exec", dont_inherit=True)
    return code


def _set_path0(directory: str) -> None:
    """Put the program's directory where python does, in place of the runner's own."""
    if sys.path:
        sys.path[0] = directory
    else:
        sys.path.insert(0, directory)


def _guarded(run: Callable[[], object]) -> int:
    """Call ``run``; SystemExit passes through, any other exception is reported (status 1).

    The report is python's traceback, without the runner's and the import
    hook's frames; then, if the exception failed a task (`backtrace.track_tasks`)
    and the program did not print it already, the async backtrace. A
    KeyboardInterrupt returns `EXIT_INTERRUPTED` and marks the process to end
    by SIGINT, as python's does (see `die_by_sigint_if_interrupted`).
    """
    global _interrupted
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
        _without_import_hook(error)
        _print_exception(error)
        stack = error.__dict__.get("__desugar_async_stack__") if hasattr(error, "__dict__") else None
        if stack and sys.version_info < (3, 11):  # (3.11+: the traceback prints it, as a note)
            from desugar.runtime._callback import format_async_stack

            _err(format_async_stack(stack))
        if isinstance(error, KeyboardInterrupt):
            _interrupted = True
            return EXIT_INTERRUPTED
        if backtrace.failed_in_task(error) and not backtrace.was_printed(error):
            backtrace.print_backtrace(error)
        return 1
    return 0


#: What `_guarded` returns for a KeyboardInterrupt (a shell's status for a death by SIGINT).
EXIT_INTERRUPTED = 128 + signal.SIGINT
_interrupted = False


def die_by_sigint_if_interrupted() -> None:
    """(An atexit handler) End the process by SIGINT if a KeyboardInterrupt stopped the program.

    python does so, after its atexit handlers, so that a shell sees the
    signal: registered before the program runs, this runs after the program's
    own handlers.
    """
    if not _interrupted or os.name != "posix":
        return
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            pass
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGINT)


def _program_frames(tb: TracebackType | None) -> TracebackType | None:
    """``tb`` without the runner's own frames (desugar's and runpy's) at its start."""
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if not (backtrace.is_runtime_frame(tb.tb_frame) or _is_runpy(filename)):
            break
        tb = tb.tb_next
    return tb


_IMPORTLIB = ("<frozen importlib._bootstrap>", "<frozen importlib._bootstrap_external>")
_HOOK_FILES = tuple(
    os.path.join(os.path.dirname(os.path.abspath(hook.__file__)), name)
    for name in ("hook.py", "cache.py", "compiler" + os.sep)
)


def _without_import_hook(error: BaseException) -> None:
    """Drop the import hook's frames, and importlib's around them, from ``error``'s tracebacks.

    python leaves importlib's frames out of a failed import's traceback (its
    loader calls through ``_call_with_frames_removed``); the hook's loader
    stands between them, so they are left out here, with the hook's own.
    """
    seen = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        entries = []
        tb = current.__traceback__
        while tb is not None:
            entries.append(tb)
            tb = tb.tb_next
        hooked = [_is_hook_frame(entry) for entry in entries]
        if any(hooked):
            drop = set()
            for index, is_hook in enumerate(hooked):
                if not is_hook:
                    continue
                drop.add(index)
                for step in (-1, 1):
                    other = index + step
                    while 0 <= other < len(entries) and (
                        entries[other].tb_frame.f_code.co_filename in _IMPORTLIB
                    ):
                        drop.add(other)
                        other += step
            rebuilt = None
            for index in reversed(range(len(entries))):
                if index not in drop:
                    entry = entries[index]
                    rebuilt = TracebackType(rebuilt, entry.tb_frame, entry.tb_lasti, entry.tb_lineno)
            current.__traceback__ = rebuilt
        pending.extend((current.__cause__, current.__context__))


def _is_hook_frame(entry: TracebackType) -> bool:
    return os.path.abspath(entry.tb_frame.f_code.co_filename).startswith(_HOOK_FILES)


def _is_runpy(filename: str) -> bool:
    return filename in (runpy.__file__, "<frozen runpy>")


def _print_exception(error: BaseException) -> None:
    if sys.stdout is not None:
        sys.stdout.flush()
    sys.excepthook(type(error), error, error.__traceback__)


def _err(message: str) -> None:
    print(message, file=sys.stderr)


#: The signals ``--dump-on`` cannot serve, and why.
_REFUSED = {
    "SIGKILL": "cannot be caught",
    "SIGSTOP": "cannot be caught",
    "SIGALRM": "is what --dump-on-hang uses",
    "SIGINT": "stops the program (Ctrl-C): taken for dumps, Ctrl-C would no longer stop it",
    "SIGTERM": "stops the program (kill): taken for dumps, kill would no longer stop it",
    **{
        name: "is a fault of the program itself: a dump cannot resume it"
        for name in ("SIGSEGV", "SIGBUS", "SIGFPE", "SIGILL", "SIGABRT")
    },
}


def _signal_number(
    _ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]
) -> list[signal.Signals]:
    """``SIGUSR1``, ``USR1`` or ``10`` as a signal that a handler can catch."""
    numbers = []
    for value in values:
        name = value.upper()
        try:
            number = signal.Signals(int(value)) if value.isdigit() else signal.Signals[
                name if name.startswith("SIG") else "SIG" + name
            ]
        except (KeyError, ValueError):
            raise click.BadParameter(f"{value!r} is not a signal (try SIGUSR1)") from None
        why = _REFUSED.get(number.name)
        if why is not None:
            raise click.BadParameter(f"{number.name} {why}; use SIGUSR1, SIGUSR2 or SIGQUIT")
        numbers.append(number)
    return numbers


def dump_on_signals(signals: Sequence[signal.Signals]) -> None:
    """Print the tasks (to stderr) each time one of ``signals`` arrives."""
    for number in signals:
        signal.signal(number, _dump_on_signal)


def dump_on_hang(seconds: float) -> None:
    """Print the tasks and exit with `EXIT_HUNG` if the process still runs ``seconds`` from now."""
    signal.signal(signal.SIGALRM, _dump_on_hang(seconds))
    signal.setitimer(signal.ITIMER_REAL, seconds)
    faulthandler.dump_traceback_later(seconds + HANG_GRACE, exit=True)


def _dump_on_signal(number: int, _frame: object) -> None:
    _err(f"desugar run: {signal.Signals(number).name}: the program's tasks:")
    _dump()


def _dump() -> None:
    """Print the tasks; a failure of the dump is reported, never raised into the program."""
    try:
        backtrace.dump_tasks()
    except Exception as error:  # a bug of ours, or an object that cannot be read
        _err(f"desugar run: the task dump failed: {type(error).__name__}: {error}")


def _dump_on_hang(seconds: float) -> Callable[[int, object], None]:
    def dump(_number: int, _frame: object) -> None:
        faulthandler.cancel_dump_traceback_later()
        _err(f"desugar run: still running after {seconds:g} s (--dump-on-hang), its tasks:")
        _dump()
        _err(f"desugar run: exiting with status {EXIT_HUNG}")
        for stream in (sys.stdout, sys.stderr):
            try:
                if stream is not None:
                    stream.flush()
            except (OSError, ValueError):  # closed or broken: nothing more to save
                pass
        os._exit(EXIT_HUNG)

    return dump


def _check_address(address: str) -> None:
    """A usage error for a ``--console-address`` that is not HOST:PORT."""
    from desugar.console.server import parse_address

    try:
        parse_address(address)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="'--console-address'") from None


def _start_console(program: str, address: str | None) -> None:
    """Serve the recorder's snapshots to ``desugar console`` (``--console``)."""
    from desugar.console import server

    try:
        server.serve(program, address)
    except server.ConsoleError as error:
        _err(f"desugar run: --console: {error}")
        sys.exit(1)


PROGRAM_COMMAND = {
    "ignore_unknown_options": True,
    "allow_interspersed_args": False,
    "help_option_names": ["-h", "--help"],
}
"""The context settings of a command that runs a program: what follows TARGET is the program's."""


def check_target(target: str) -> None:
    """A usage error for an option of the command's own it does not know, taken for TARGET.

    (Options go before TARGET; what follows it is the program's.)
    """
    if not target.startswith("-") or target == "-":
        return
    import difflib

    ctx = click.get_current_context()
    name = target.partition("=")[0]
    known = [
        opt
        for param in ctx.command.get_params(ctx)
        if isinstance(param, click.Option)
        for opt in (*param.opts, *param.secondary_opts)
    ]
    raise click.NoSuchOption(name, possibilities=difflib.get_close_matches(name, known), ctx=ctx)


def program_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The options a command that runs a program takes: ``-m`` and ``--include``."""
    command = click.option(
        "--include",
        multiple=True,
        metavar="PKG",
        help="Translate the modules of package PKG too (repeatable).",
    )(command)
    return click.option(
        "-m",
        "as_module",
        is_flag=True,
        help="Run TARGET as a module, like python -m (its top-level package is translated).",
    )(command)


@click.command("run", context_settings=PROGRAM_COMMAND)
@program_options
@mode_options(native=True)
@click.option(
    "--dump-on",
    "dump_on",
    multiple=True,
    metavar="SIGNAL",
    callback=_signal_number,
    help="On SIGNAL (e.g. SIGUSR1) print every suspended task's await chain to stderr, "
    "then go on (repeatable).",
)
@click.option(
    "--dump-on-hang",
    "dump_on_hang_seconds",
    type=click.FloatRange(min=0, min_open=True),
    metavar="SECONDS",
    help="If the program is still running SECONDS after it started, print its tasks to stderr and "
    f"exit at once with status {EXIT_HUNG} (no cleanup runs; uses SIGALRM).",
)
@click.option(
    "--console",
    "console",
    is_flag=True,
    help="Record the tasks and serve them to desugar console PID, on a Unix socket only this "
    "user can open.",
)
@click.option(
    "--console-address",
    metavar="HOST:PORT",
    help="Also serve the console on HOST:PORT (implies --console); each request must carry "
    "the token printed on stderr.",
)
@click.option(
    "--trace",
    "trace_file",
    metavar="FILE",
    help="Record every task's polls, wakes and spans, and write them to FILE at exit as a "
    "Chrome trace (open it in Perfetto, chrome://tracing or speedscope).",
)
@click.option(
    "--trace-events",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="With --trace, keep the last N events only (default 1000000).",
)
@click.option(
    "--lint",
    is_flag=True,
    help="Watch the tasks for lost wakeups, busy self-wakes, slow polls, exceptions never "
    "retrieved and wakes after completion: each on stderr when it first fires, a report at exit.",
)
@click.option(
    "--slow-poll",
    "slow_poll_ms",
    type=click.FloatRange(min=0, min_open=True),
    default=100.0,
    show_default=True,
    metavar="MS",
    help="With --lint, the time a single poll may block the loop.",
)
@click.option(
    "--otel",
    is_flag=True,
    help="Export a span per task and per desugar.trace span to OpenTelemetry, through the "
    "TracerProvider the program (or opentelemetry-instrument) sets (pip install 'desugar[otel]').",
)
@click.argument("target")
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def run_command(
    as_module: bool,
    include: tuple[str, ...],
    mode: Mode | None,
    dump_on: list[signal.Signals],
    dump_on_hang_seconds: float | None,
    console: bool,
    console_address: str | None,
    trace_file: str | None,
    trace_events: int | None,
    lint: bool,
    slow_poll_ms: float,
    otel: bool,
    target: str,
    args: tuple[str, ...],
) -> None:
    """Run the script TARGET (or, with -m, the module) with async code translated on import.

    The script and the modules of its directory are translated as they are
    imported (cached in __pycache__). ARGS go to the program as sys.argv[1:];
    the exit status is the program's. An uncaught exception prints what python
    prints; if it failed a task (of asyncio, trio, anyio or desugar's executor),
    the async backtrace follows: for each exception of a group, the chain that
    raised it, its task and where that task was spawned.

    With --console, desugar console PID shows the program's tasks live.
    --trace FILE writes every task's polls, wakes and spans as a Chrome trace;
    --lint reports lost wakeups, busy self-wakes, slow polls, exceptions never
    retrieved and wakes after completion; --otel exports the tasks and spans to
    OpenTelemetry (see docs/trace.md).

    A task dump (--dump-on, --dump-on-hang) shows each task of the executor,
    asyncio loop or trio run of the main thread: what it awaits and its await
    chain, innermost frame first, tasks nested under the tasks awaiting them.
    """
    check_target(target)
    if console_address is not None:
        _check_address(console_address)
    if trace_events is not None and trace_file is None:
        raise click.UsageError("--trace-events needs --trace FILE")
    if otel:
        from desugar.trace import otel as otel_module

        if not otel_module.available():
            raise click.UsageError(
                "--otel needs OpenTelemetry's API, which is not installed: "
                "pip install 'desugar[otel]' (or opentelemetry-api and opentelemetry-sdk)"
            )
    dump_on_signals(dump_on)
    atexit.register(die_by_sigint_if_interrupted)  # (first: it runs after the program's handlers)
    hang = dump_on_hang_seconds

    recorder = None
    exporter = None

    def starting() -> None:
        nonlocal recorder, exporter
        if hang is not None:  # the time the program takes, not its translation
            dump_on_hang(hang)
        if trace_file is not None or lint or console or console_address is not None or otel:
            from desugar import trace

            recorder = trace.start(
                " ".join([target, *args]),
                events=trace_events or trace.DEFAULT_EVENTS,
                lint=lint,
                slow_poll=slow_poll_ms / 1000,
            )
        if otel:
            from desugar.trace import otel as otel_module

            exporter = otel_module.start(recorder)
        if console or console_address is not None:  # (it serves the recorder started here)
            _start_console(" ".join([target, *args]), console_address)

    try:
        if as_module:
            status = run_module(target, args, include, mode=mode, starting=starting)
        else:
            status = run_script(target, args, include, mode=mode, starting=starting)
    finally:
        if recorder is not None:
            _finish_recording(recorder, trace_file, lint, exporter)
    sys.exit(status)  # (after a KeyboardInterrupt, die_by_sigint_if_interrupted ends it)


def _finish_recording(recorder: Any, trace_file: str | None, lint: bool, exporter: Any = None) -> None:
    """Stop ``recorder``; write its trace to ``trace_file``; print the lint report; end and
    flush the OpenTelemetry spans (``exporter``)."""
    import gc

    gc.collect()  # (tasks dropped with an exception nobody retrieved say so now)
    recorder.stop()
    if exporter is not None:
        exporter.stop()
        if not exporter.configured():
            _err(
                "desugar run: --otel: no OpenTelemetry TracerProvider was set (by the program, "
                "or by running it under opentelemetry-instrument): no span was exported"
            )
    if trace_file is not None:
        try:
            recorder.write_trace(trace_file)
        except OSError as error:
            _err(f"desugar run: cannot write the trace to {trace_file}: {error.strerror}")
        else:
            _err(f"desugar run: trace written to {trace_file} ({len(recorder.events)} events)")
    if lint:
        if sys.stdout is not None:
            sys.stdout.flush()
        sys.stderr.write(recorder.lint_report())

"""``desugar compare SCRIPT [-- ARGS]``: one program natively and under each lowering, side by side.

The article's argument, measured. Each column runs SCRIPT in fresh
subprocesses: ``native`` (plain python), ``poll`` (the default lowering: Rust's
model), ``callback`` (JavaScript's promise trampoline) and
``callback-async-stacks`` (callback, with SpiderMonkey-style async stacks).
The workers import this very desugar (its directory first on ``sys.path``,
never the current directory's ``desugar/``), and report which runtime (C or
pure Python) they ran; the header says so.

* Frames: one run under a ``sys.settrace`` hook records, for the exception
  that fails the program (the one that escapes it), the async functions that
  were live on the stack *when it was raised* (the first ``exception`` event
  of that exception object): under native and poll, every async caller below
  its callee; under callback, the youngest alone (its awaiters are suspended,
  resumed later by callbacks). For an exception group (a task group, a
  nursery), each exception in it is shown so, as it was raised in its task.
  For ``callback-async-stacks`` the async part (marked ``async``) comes from
  the stack the runtime captured at the awaits. An async function's frame is
  a coroutine's (native or poll-lowered) or a callback-lowered generator's;
  the runtime's own frames are left out.
* Cost: ``--runs`` runs of each column without the hook, the columns taking
  turns (native, poll, callback, callback-async-stacks, native, ...) so that a
  slow moment of the machine falls on all of them: the wall time and the CPU
  time of executing the program (the translation is cached before, and
  interpreter start-up is not counted), in separate runs the peak of memory
  traced by ``tracemalloc``, and what ``callback-async-stacks`` captured, in
  bytes per await of a callback-lowered function. Each figure is the median,
  with the spread (min-max) of the runs, and the ratio of medians to native.
* A program that ends by ``sys.exit(N)`` ends with status N, not a failure;
  one still running after ``--timeout`` seconds is ended, and compare says so.

``--bench`` compares the await-heavy benchmark of ``bench/run.py`` (a chain of
awaits 12 deep, run 20000 times, nothing suspending) instead of a script.

The article: Nick Fitzgerald, "Async Stack Traces in Rust" (2019),
https://fitzgeraldnick.com/2019/08/27/async-stacks-in-rust.html
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from typing import Sequence

import click

from desugar.mode import LOWERINGS, NATIVE, Mode

COLUMNS = (NATIVE, *LOWERINGS)

AWAIT_HEAVY = '''\
"""The await-heavy benchmark of bench/run.py: awaits 12 deep, 20000 rounds, nothing suspends."""

from desugar.runtime import block_on


async def leaf(x):
    return x + 1


async def level(n, x):
    if n == 0:
        return await leaf(x)
    y = await level(n - 1, x)
    return y


async def main(rounds, depth):
    total = 0
    for i in range(rounds):
        total += await level(depth, i)
    return total


if __name__ == "__main__":
    print(block_on(main(20000, 12)))
'''


# ---------------------------------------------------------------------------
# The worker: one run of the program, in a process of its own

#: How a worker starts: this desugar's directory in place of the current
#: directory at the head of ``sys.path`` (``python -m`` would put the current
#: directory there, and a ``desugar/`` in it would win), then `_worker`.
_BOOT = (
    "import sys; sys.path[0] = sys.argv.pop(1); "
    "from desugar.compare import _worker; _worker(*sys.argv[1:5], sys.argv[5:])"
)
PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _is_async_frame(frame, is_runtime_code, is_callback_code) -> bool:
    code = frame.f_code
    if is_runtime_code(code):
        return False
    return bool(code.co_flags & 0x80) or is_callback_code(code)


def _exit_status(code: object) -> int:
    """The status python exits with for ``SystemExit(code)``."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF if code >= 0 else code % 256
    return 1


def _leaves(error: BaseException, depth: int = 0) -> list[tuple[int, BaseException]]:
    """``error``, or each exception of the group ``error`` (nested groups nested: depth)."""
    from desugar.backtrace import _sub_exceptions

    subs = _sub_exceptions(error)
    if subs is None:
        return [(depth, error)]
    found = [(depth, error)]
    for sub in subs:
        found.extend(_leaves(sub, depth + 1))
    return found


def _worker(mode: str, lowering: str, script: str, out: str, args: list[str] | None = None) -> None:
    """Run ``script`` once (``mode``: frames, time or memory) and write what was seen to ``out``."""
    import builtins
    import time
    import types

    import desugar

    path = os.path.abspath(script)
    directory = os.path.dirname(os.path.realpath(path))
    sys.path[0] = directory
    sys.argv = [script, *(args or [])]
    with open(path, "rb") as file:
        source = file.read()
    if lowering == NATIVE:
        code = compile(source, path, "exec", dont_inherit=True)
    else:
        from desugar import hook

        translated_in = Mode(lowering)
        hook.install([], [directory], mode=translated_in)
        code = hook.translated_code(source, path, mode=translated_in)
        if code is None:
            code = compile(source, path, "exec", dont_inherit=True)
    from desugar.runtime import _awaitee, _callback, is_runtime_code

    main = types.ModuleType("__main__")
    main.__dict__.update(__file__=path, __cached__=None, __builtins__=builtins)
    sys.modules["__main__"] = main
    first: dict = {}  # id(exception) -> (exception, async frames live when it was raised)

    def tracer(frame, event, arg):
        if event == "exception":
            error = arg[1]
            if id(error) not in first:
                frames = []
                f = frame
                while f is not None:
                    if _is_async_frame(f, is_runtime_code, _callback.is_callback_code):
                        name = getattr(f.f_code, "co_qualname", f.f_code.co_name)
                        frames.append(f"{name}:{f.f_lineno}")
                    f = f.f_back
                first[id(error)] = (error, frames)
        return tracer

    failure = None
    status = 0
    if mode == "memory":
        import tracemalloc

        tracemalloc.start()
    started, started_cpu = time.perf_counter(), time.process_time()
    if mode == "frames":
        sys.settrace(tracer)
    try:
        exec(code, main.__dict__)
    except SystemExit as exiting:  # the program's exit status, as python gives it
        status = _exit_status(exiting.code)
    except BaseException as error:  # the program's failure
        failure = error
        status = 1
    finally:
        sys.settrace(None)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - started_cpu
    result = {"time": elapsed, "cpu": cpu, "status": status, "awaits": _callback.stats.awaits,
              "captured": _callback.stats.bytes, "captures": _callback.stats.captures,
              "runtime": _awaitee.IMPLEMENTATION, "desugar": os.path.dirname(desugar.__file__)}
    if mode == "memory":  # (now: what follows is the comparison's, not the program's)
        import tracemalloc

        result["peak"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    if failure is not None:
        result["error"] = _describe_error(failure)
        result["frames"] = first.get(id(failure), (None, []))[1]
        result["async"] = _async_stack(failure)
        leaves = _leaves(failure)
        if len(leaves) > 1:  # a group: each exception, as it was raised
            result["leaves"] = [
                {"depth": depth, "error": _describe_error(leaf),
                 "frames": first.get(id(leaf), (None, []))[1], "async": _async_stack(leaf)}
                for depth, leaf in leaves[1:]
            ]
    sys.stdout.flush()
    with open(out, "w", encoding="utf-8") as file:
        json.dump(result, file)


def _describe_error(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}".splitlines()[0]


def _async_stack(error: BaseException) -> list[str]:
    stack = getattr(error, "__dict__", {}).get("__desugar_async_stack__") or ()
    return [f"{name}:{line}" for name, _file, line in stack]


# ---------------------------------------------------------------------------
# The comparison

#: Seconds a run may take before it is ended (``--timeout``'s default).
DEFAULT_TIMEOUT = 60.0


class Hung(click.ClickException):
    """A run of the program did not end within the timeout."""

    exit_code = 124  # (timeout(1)'s status)


def run_once(
    mode: str, lowering: str, script: str, args: Sequence[str] = (),
    timeout: float | None = DEFAULT_TIMEOUT,
) -> tuple[dict, str]:
    """One fresh run of ``script`` under ``lowering`` (or natively): what it saw, and its stdout."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "result.json")
        command = [sys.executable, "-c", _BOOT, PACKAGE_ROOT, mode, lowering, script, out, *args]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise Hung(
                f"{script} was still running under {lowering} after {timeout:g} s "
                f"(--timeout): ended it; no figures"
            ) from None
        if not os.path.exists(out):
            raise click.ClickException(
                f"{script} could not run under {lowering}:\n{done.stderr.strip()}"
            )
        with open(out, encoding="utf-8") as file:
            return json.load(file), done.stdout


def compare(
    script: str, runs: int, frames: bool = True, args: Sequence[str] = (),
    timeout: float | None = DEFAULT_TIMEOUT,
) -> dict:
    """Every figure of the comparison, by column (``frames``: record the frames at the failure).

    The timed runs take turns column by column, as do the memory runs.
    """
    table: dict = {}
    for column in COLUMNS:
        seen, stdout = run_once("frames" if frames else "plain", column, script, args, timeout)
        awaits = seen["awaits"]
        table[column] = {
            "error": seen.get("error"),
            "frames": seen.get("frames", []),
            "async": seen.get("async", []),
            "leaves": seen.get("leaves"),
            "status": seen["status"],
            "stdout": stdout,
            "runtime": seen["runtime"],
            "desugar": seen["desugar"],
            "per_await": seen["captured"] / awaits if awaits else 0.0,
            "awaits": awaits,
            "times": [],
            "cpus": [],
            "peaks": [],
        }
    for _ in range(runs):
        for column in COLUMNS:
            timed = run_once("time", column, script, args, timeout)[0]
            table[column]["times"].append(timed["time"])
            table[column]["cpus"].append(timed["cpu"])
    for _ in range(max(1, min(runs, 3))):
        for column in COLUMNS:
            table[column]["peaks"].append(run_once("memory", column, script, args, timeout)[0]["peak"])
    for figures in table.values():
        figures["time"] = statistics.median(figures["times"])
        figures["cpu"] = statistics.median(figures["cpus"])
        figures["peak"] = statistics.median(figures["peaks"])
    return table


def _grid(rows: list[list[str]], right: bool = False, label: bool = False) -> list[str]:
    """``rows`` as columns as wide as their widest cell, two spaces apart.

    ``right``: cells right-aligned (the first kept left with ``label``).
    """
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = []
        for i, cell in enumerate(row):
            left = not right or (label and i == 0)
            cells.append(cell.ljust(widths[i]) if left else cell.rjust(widths[i]))
        lines.append("  ".join(cells).rstrip())
    return lines


def _spread(values: list[float], scale: float, unit: str, digits: int) -> str:
    """``median unit (min-max)``."""
    def number(value: float) -> str:
        return f"{value * scale:.{digits}f}"

    median = number(statistics.median(values))
    return f"{median} {unit} ({number(min(values))}-{number(max(values))})"


def _status(figures: dict) -> str:
    status = figures["status"]
    if figures["error"]:
        return f"{status} ({figures['error'].split(':')[0]})"
    return str(status)


def format_table(script: str, runs: int, table: dict) -> str:
    """The side-by-side frames and the cost table, as ``desugar compare`` prints them."""
    runtimes = sorted({table[c]["runtime"] for c in COLUMNS})
    homes = sorted({table[c]["desugar"] for c in COLUMNS})
    lines = [
        f"desugar compare {script}  ({runs} run{'' if runs == 1 else 's'} of each column, "
        f"taking turns; Python {sys.version.split()[0]}; workers: desugar from "
        f"{', '.join(homes)}, {' and '.join(runtimes)} runtime)",
        "",
    ]
    errors = {c: table[c]["error"] for c in COLUMNS}
    groups = [table[c]["leaves"] or [] for c in COLUMNS]
    if any(groups):  # each exception of the group, as it was raised in its task
        lines.append(f"the program fails with {errors['native'] or 'an exception group'}; "
                     "its exceptions:")
        for index in range(max(len(leaves) for leaves in groups)):
            cells = {
                c: leaves[index] if index < len(leaves) else {"frames": [], "async": [], "error": None}
                for c, leaves in zip(COLUMNS, groups)
            }
            named = next(cell for cell in cells.values() if cell["error"])
            indent = "  " * named["depth"]
            if any(_is_group_entry(leaves, index) for leaves in groups):
                lines.append(f"{indent}{named['error']} (a group: its exceptions below)")
                continue
            lines.append("")
            _frames_section(lines, indent, cells, named["error"])
    elif any(errors.values()):
        _frames_section(lines, "", {c: table[c] for c in COLUMNS}, errors["native"])
    else:
        lines.append("the program does not fail: no frames to compare")
    lines.append("")
    native = table["native"]
    rows = [["", *COLUMNS]]

    def row(name: str, values: list[str]) -> None:
        rows.append([name, *values])

    row("wall time, median (min-max)", [_spread(table[c]["times"], 1000, "ms", 1) for c in COLUMNS])
    row("  vs native", [f"{table[c]['time'] / native['time']:.2f}x" for c in COLUMNS])
    row("CPU time, median (min-max)", [_spread(table[c]["cpus"], 1000, "ms", 1) for c in COLUMNS])
    row("  vs native", [f"{table[c]['cpu'] / native['cpu']:.2f}x" if native["cpu"] else "-"
                        for c in COLUMNS])
    row("peak memory (tracemalloc)", [_spread(table[c]["peaks"], 1 / 1024, "KiB", 0) for c in COLUMNS])
    row("  vs native", [f"{table[c]['peak'] / native['peak']:.2f}x" for c in COLUMNS])
    row("captured bytes per await", [f"{table[c]['per_await']:.0f}" for c in COLUMNS])
    row("exit status", [_status(table[c]) for c in COLUMNS])
    row("output same as native", ["yes" if table[c]["stdout"] == native["stdout"] else "NO"
                                  for c in COLUMNS])
    lines.extend(_grid(rows, right=True, label=True))
    return "\n".join(lines) + "\n"


def _is_group_entry(leaves: list[dict], index: int) -> bool:
    """Is entry ``index`` a group (the entries after it are deeper)?"""
    return index + 1 < len(leaves) and leaves[index + 1]["depth"] > leaves[index]["depth"]


def _frames_section(lines: list[str], indent: str, cells: dict, error: str | None) -> None:
    lines.append(f"{indent}async frames live when {error or 'the error'} was raised (youngest first):")
    columns = {c: cells[c]["frames"] + [f"async {f}" for f in cells[c]["async"]] for c in COLUMNS}
    depth = max(len(v) for v in columns.values())
    grid = [list(COLUMNS)] + [
        [columns[c][i] if i < len(columns[c]) else "" for c in COLUMNS] for i in range(depth)
    ]
    lines.extend(indent + line for line in _grid(grid))


@click.command("compare", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("script", required=False, type=click.Path(exists=True, dir_okay=False))
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
@click.option("--runs", default=5, show_default=True, type=click.IntRange(1), help="Timed runs per column.")
@click.option(
    "--timeout",
    default=DEFAULT_TIMEOUT,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    metavar="SECONDS",
    help="End a run still going after SECONDS, and say so (exit status 124).",
)
@click.option("--bench", is_flag=True, help="Compare the await-heavy benchmark instead of SCRIPT.")
def compare_command(
    script: str | None, args: tuple[str, ...], runs: int, timeout: float, bench: bool
) -> None:
    """Run SCRIPT natively and under each lowering; print the frames at its failure and the costs.

    Columns: native, poll, callback, callback-async-stacks. ARGS after `--` go
    to the program as sys.argv[1:]. See desugar.compare.
    """
    if bench == (script is not None):
        raise click.UsageError("give SCRIPT or --bench (one of them)")
    if bench:
        if args:
            raise click.UsageError("--bench takes no program arguments")
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "await_heavy.py")
            with open(path, "w", encoding="utf-8") as file:
                file.write(AWAIT_HEAVY)
            table = compare(path, runs, frames=False, timeout=timeout)  # (no failure: no trace)
            click.echo(format_table("--bench (await_heavy)", runs, table), nl=False)
        return
    assert script is not None
    click.echo(format_table(script, runs, compare(script, runs, args=args, timeout=timeout)), nl=False)

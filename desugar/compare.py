"""``desugar compare SCRIPT``: one program natively and under each lowering, side by side.

The seed article's argument, measured. Each column runs SCRIPT in fresh
subprocesses: ``native`` (plain python), ``poll`` (the default lowering: Rust's
model), ``callback`` (JavaScript's promise trampoline) and
``callback-async-stacks`` (callback, with SpiderMonkey-style async stacks).

* Frames: one run under a ``sys.settrace`` hook records, for the exception
  that fails the program (the one that escapes it), the async functions that
  were live on the stack *when it was raised* (the first ``exception`` event
  of that exception object): under native and poll, every async caller below
  its callee; under callback, the youngest alone (its awaiters are suspended,
  resumed later by callbacks). For ``callback-async-stacks`` the async part
  (marked ``async``) comes from the stack the runtime captured at the awaits.
  An async function's frame is a coroutine's (native or poll-lowered) or a
  callback-lowered generator's; the runtime's own frames are left out.
* Cost: ``--runs`` runs each without the hook: the wall time of executing the
  program (the translation is cached before, and interpreter start-up is not
  counted), in separate runs the peak of memory traced by ``tracemalloc``,
  and what ``callback-async-stacks`` captured, in bytes per await of a
  callback-lowered function. Medians, and each as a ratio to native.

``--bench`` compares the await-heavy benchmark of ``bench/run.py`` (a chain of
awaits 12 deep, run 20000 times, nothing suspending) instead of a script.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile

import click

COLUMNS = ("native", "poll", "callback", "callback-async-stacks")

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


def _is_async_frame(frame, runtime_dir: str, is_callback_code) -> bool:
    code = frame.f_code
    if code.co_filename.startswith(runtime_dir):
        return False
    return bool(code.co_flags & 0x80) or is_callback_code(code)


def _worker(mode: str, lowering: str, script: str, out: str) -> None:
    """Run ``script`` once (``mode``: frames, time or memory) and write what was seen to ``out``."""
    import builtins
    import time
    import types

    path = os.path.abspath(script)
    directory = os.path.dirname(os.path.realpath(path))
    sys.path[0] = directory
    sys.argv = [script]
    with open(path, "rb") as file:
        source = file.read()
    if lowering == "native":
        code = compile(source, path, "exec", dont_inherit=True)
    else:
        from desugar import hook

        hook.install([], [directory], lowering=lowering)
        code = hook.translated_code(source, path, hook.strategy(lowering, None))
        if code is None:
            code = compile(source, path, "exec", dont_inherit=True)
    from desugar.runtime import _callback

    runtime_dir = os.path.dirname(_callback.__file__) + os.sep
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
                    if _is_async_frame(f, runtime_dir, _callback.is_callback_code):
                        name = getattr(f.f_code, "co_qualname", f.f_code.co_name)
                        frames.append(f"{name}:{f.f_lineno}")
                    f = f.f_back
                first[id(error)] = (error, frames)
        return tracer

    failure = None
    if mode == "memory":
        import tracemalloc

        tracemalloc.start()
    started = time.perf_counter()
    if mode == "frames":
        sys.settrace(tracer)
    try:
        exec(code, main.__dict__)
    except BaseException as error:  # the program's failure
        failure = error
    finally:
        sys.settrace(None)
    elapsed = time.perf_counter() - started
    result = {"time": elapsed, "awaits": _callback.stats.awaits, "captured": _callback.stats.bytes,
              "captures": _callback.stats.captures}
    if mode == "memory":
        import tracemalloc

        result["peak"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    if failure is not None:
        result["error"] = f"{type(failure).__name__}: {failure}".splitlines()[0]
        result["frames"] = first.get(id(failure), (None, []))[1]
        stack = getattr(failure, "__dict__", {}).get("__desugar_async_stack__") or ()
        result["async"] = [f"{name}:{line}" for name, _file, line in stack]
    sys.stdout.flush()
    with open(out, "w", encoding="utf-8") as file:
        json.dump(result, file)


# ---------------------------------------------------------------------------
# The comparison


def run_once(mode: str, lowering: str, script: str) -> tuple[dict, str]:
    """One fresh run of ``script`` under ``lowering`` (or natively): what it saw, and its stdout."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "result.json")
        env = dict(os.environ)
        package_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        env["PYTHONPATH"] = os.pathsep.join([package_root, *filter(None, [env.get("PYTHONPATH")])])
        command = [sys.executable, "-m", "desugar.compare", "--worker", mode, lowering, script, out]
        done = subprocess.run(command, env=env, capture_output=True, text=True)
        if not os.path.exists(out):
            raise click.ClickException(
                f"{script} could not run under {lowering}:\n{done.stderr.strip()}"
            )
        with open(out, encoding="utf-8") as file:
            return json.load(file), done.stdout


def compare(script: str, runs: int, frames: bool = True) -> dict:
    """Every figure of the comparison, by column (``frames``: record the frames at the failure)."""
    table: dict = {}
    for column in COLUMNS:
        seen, stdout = run_once("frames" if frames else "plain", column, script)
        times = [run_once("time", column, script)[0]["time"] for _ in range(runs)]
        memory = [run_once("memory", column, script)[0] for _ in range(max(1, min(runs, 3)))]
        awaits = seen["awaits"]
        table[column] = {
            "error": seen.get("error"),
            "frames": seen.get("frames", []),
            "async": seen.get("async", []),
            "stdout": stdout,
            "time": statistics.median(times),
            "peak": statistics.median(m["peak"] for m in memory),
            "per_await": seen["captured"] / awaits if awaits else 0.0,
            "awaits": awaits,
        }
    return table


def format_table(script: str, runs: int, table: dict) -> str:
    """The side-by-side frames and the cost table, as ``desugar compare`` prints them."""
    from desugar.runtime import _awaitee

    width = max(len(c) for c in COLUMNS) + 2
    lines = [
        f"desugar compare {script}  ({runs} runs; Python {sys.version.split()[0]}, "
        f"{_awaitee.IMPLEMENTATION} runtime)",
        "",
    ]
    errors = {c: table[c]["error"] for c in COLUMNS}
    if any(errors.values()):
        lines.append(f"async frames live when {errors['native'] or 'the error'} was raised (youngest first):")
        lines.append("".join(c.ljust(width) for c in COLUMNS).rstrip())
        cells = {c: table[c]["frames"] + [f"async {f}" for f in table[c]["async"]] for c in COLUMNS}
        for row in range(max(len(v) for v in cells.values())):
            lines.append("".join((cells[c][row] if row < len(cells[c]) else "").ljust(width)
                                 for c in COLUMNS).rstrip())
    else:
        lines.append("the program does not fail: no frames to compare")
    lines.append("")
    native = table["native"]
    label = 30
    lines.append("".ljust(label) + "".join(c.rjust(width) for c in COLUMNS))

    def row(name: str, values) -> None:
        lines.append(name.ljust(label) + "".join(v.rjust(width) for v in values))

    row("wall time (median)", [f"{table[c]['time'] * 1000:.1f} ms" for c in COLUMNS])
    row("  vs native", [f"{table[c]['time'] / native['time']:.2f}x" for c in COLUMNS])
    row("peak memory (tracemalloc)", [f"{table[c]['peak'] / 1024:.0f} KiB" for c in COLUMNS])
    row("  vs native", [f"{table[c]['peak'] / native['peak']:.2f}x" for c in COLUMNS])
    row("captured bytes per await", [f"{table[c]['per_await']:.0f}" for c in COLUMNS])
    row("output same as native", ["yes" if table[c]["stdout"] == native["stdout"] else "NO"
                                  for c in COLUMNS])
    return "\n".join(lines) + "\n"


@click.command("compare", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("script", required=False, type=click.Path(exists=True, dir_okay=False))
@click.option("--runs", default=5, show_default=True, type=click.IntRange(1), help="Timed runs per column.")
@click.option("--bench", is_flag=True, help="Compare the await-heavy benchmark instead of SCRIPT.")
def compare_command(script: str | None, runs: int, bench: bool) -> None:
    """Run SCRIPT natively and under each lowering; print the frames at its failure and the costs.

    Columns: native, poll, callback, callback-async-stacks. See desugar.compare.
    """
    if bench == (script is not None):
        raise click.UsageError("give SCRIPT or --bench (one of them)")
    if bench:
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "await_heavy.py")
            with open(path, "w", encoding="utf-8") as file:
                file.write(AWAIT_HEAVY)
            table = compare(path, runs, frames=False)  # (it does not fail: no trace needed)
            click.echo(format_table("--bench (await_heavy)", runs, table), nl=False)
        return
    assert script is not None
    click.echo(format_table(script, runs, compare(script, runs)), nl=False)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--worker"]:
        _worker(*sys.argv[2:6])
    else:
        compare_command()

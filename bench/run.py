"""Benchmarks: the same programs run natively and translated, on both runtimes.

Run ``python bench/run.py`` (``--quick`` for a short run, ``--json OUT`` to
keep the figures). Each runtime (the C one, and the pure-Python fallback
selected by ``DESUGAR_PURE_PYTHON=1``) is measured in a child process of its
own, which times native and translated runs of every workload alternately;
ratios are translated / native within that child, best of nine repeats
(three with ``--quick``) of process CPU time. Compile throughput is measured
once (it does not depend on the runtime), libcst's parse + codegen and the
translation alternately too, best of five of each.
"""

from __future__ import annotations

import argparse
import asyncio
import glob
import json
import os
import subprocess
import sys
import tempfile
import time
import types

import libcst

import desugar
import desugar.runtime as rt
from desugar.compare import AWAIT_HEAVY  # (the program `desugar compare --bench` runs too)

SUSPEND_HEAVY = '''
async def level(n, resumes):
    if n == 0:
        for _ in range(resumes):
            await checkpoint()
        return resumes
    return await level(n - 1, resumes)

async def main(rounds, depth):
    return await level(depth, rounds)
'''


TASK_HEAVY = '''
import asyncio

async def worker(n, yields):
    for _ in range(yields):
        await asyncio.sleep(0)
    return n

async def main(tasks, yields):
    results = await asyncio.gather(*(worker(i, yields) for i in range(tasks)))
    return sum(results)
'''

TIMER_HEAVY = '''
import asyncio

async def sleeper(i, rounds):
    for r in range(rounds):
        await asyncio.sleep(0.001 * ((i + r) % 5))
    return i

async def main(tasks, rounds):
    results = await asyncio.gather(*(sleeper(i, rounds) for i in range(tasks)))
    return sum(results)
'''


ASYNC_ITER = '''
async def numbers(n):
    for i in range(n):
        yield i

async def main(rounds, size):
    total = 0
    for _ in range(rounds):
        async for x in numbers(size):
            total += x
        total += sum([y async for y in numbers(size)])
    return total
'''


def asyncio_ratio(name: str, source: str, tasks: int, rounds: int, repeats: int) -> dict:
    """Both runs under asyncio.run: the unchanged program, and its translation."""
    native = load(source, False, None)
    ours = load(source, True, None)
    expected = asyncio.run(native.main(tasks, rounds))
    assert asyncio.run(ours.main(tasks, rounds)) == expected
    t_native, t_ours = best_pair(
        repeats,
        lambda: asyncio.run(native.main(tasks, rounds)),
        lambda: asyncio.run(ours.main(tasks, rounds)),
    )
    return {"name": name, "native_s": t_native, "translated_s": t_ours, "ratio": t_ours / t_native}


EXPLICIT_POLL = "if _ds_awaitee.poll_with_tls_context() is not _ds_rt.Ready:"
"""The poll loop's other form (same runtime, same semantics), measured against the default."""


def load(source: str, translated: bool, checkpoint: object, explicit: bool = False,
         style: str | None = None) -> types.ModuleType:
    module = types.ModuleType("bench_program")
    module.checkpoint = checkpoint  # type: ignore[attr-defined]
    code = desugar.translate(source, format=False, style=style) if translated else source
    if explicit:
        code = code.replace("for _ds_poll in _ds_awaitee:", EXPLICIT_POLL)
    exec(compile(code, f"<{'translated' if translated else 'native'}>", "exec"), module.__dict__)
    return module


def best_of(repeats: int, fn) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        fn()
        best = min(best, time.process_time() - start)
    return best


def best_pair(repeats: int, native, ours) -> tuple[float, float]:
    """Best times of ``native`` and ``ours``, run alternately (so load changes hit both)."""
    t_native = t_ours = float("inf")
    for _ in range(repeats):
        t_native = min(t_native, best_of(1, native))
        t_ours = min(t_ours, best_of(1, ours))
    return t_native, t_ours


def runtime_ratio(name: str, source: str, rounds: int, depth: int, repeats: int,
                  explicit: bool = False, style: str | None = None) -> dict:
    native = load(source, False, lambda: asyncio.sleep(0))
    ours = load(source, True, rt.yield_now, explicit, style)
    expected = asyncio.run(native.main(rounds, depth))
    got = rt.block_on(ours.main(rounds, depth))
    assert got == expected, (got, expected)
    t_native, t_ours = best_pair(
        repeats,
        lambda: asyncio.run(native.main(rounds, depth)),
        lambda: rt.block_on(ours.main(rounds, depth)),
    )
    return {"name": name, "native_s": t_native, "translated_s": t_ours, "ratio": t_ours / t_native}


def compile_throughput(paths: list[str], repeats: int) -> dict:
    sources, files, skipped = [], [], []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            source = f.read()
        try:
            desugar.translate(source, path, format=False)
        except desugar.TranslateError:
            skipped.append(os.path.basename(path))  # uses a construct not lowered yet
            continue
        sources.append(source)
        files.append(path)
    lines = sum(s.count("\n") + 1 for s in sources)

    def libcst_roundtrip() -> None:
        for s in sources:
            libcst.parse_module(s).code

    def ours(fmt: bool) -> None:
        for s, path in zip(sources, files):
            desugar.translate(s, path, format=fmt)

    libcst_roundtrip()  # (warm both: the first pass pays for imports and caches)
    t_cst, t_ours = best_pair(repeats, libcst_roundtrip, lambda: ours(False))
    t_black = best_of(1, lambda: ours(True))
    return {
        "files": len(files),
        "skipped": skipped,
        "lines": lines,
        "libcst_lines_per_s": lines / t_cst,
        "desugar_lines_per_s": lines / t_ours,
        "desugar_black_lines_per_s": lines / t_black,
        "ratio_vs_libcst": t_cst / t_ours,
    }


WORKLOADS = [  # (key, description, target ratio)
    ("await_heavy", "await-heavy: 12-deep chain of awaits that complete at once, 20k times", 1.5),
    ("suspend_heavy", "suspend-heavy: 20-deep chain resumed 100k times", 1.5),
    ("async_iter", "async iteration: async generator, async for, async comprehension", 1.0),
    ("task_heavy", "task-heavy (asyncio.run): 10k tasks yielding 10 times each", 1.2),
    ("timer_heavy", "timer-heavy (asyncio.run): 2000 tasks sleeping 5 times each", 1.2),
]


def worker(quick: bool) -> dict:
    """Every runtime workload, native and translated, in this process (one runtime)."""
    from desugar.runtime import _awaitee

    scale = 10 if quick else 1
    repeats = 3 if quick else 9
    rows = {
        "await_heavy": runtime_ratio("await_heavy", AWAIT_HEAVY, 20000 // scale, 12, repeats),
        "await_heavy_if": runtime_ratio("await_heavy_if", AWAIT_HEAVY, 20000 // scale, 12, repeats,
                                        explicit=True),
        "await_heavy_hir": runtime_ratio("await_heavy_hir", AWAIT_HEAVY, 20000 // scale, 12, repeats,
                                         style="hir"),
        "suspend_heavy": runtime_ratio("suspend_heavy", SUSPEND_HEAVY, 100000 // scale, 20, repeats),
        "async_iter": asyncio_ratio("async_iter", ASYNC_ITER, 2000 // scale, 50, repeats),
        "task_heavy": asyncio_ratio("task_heavy", TASK_HEAVY, 10000 // scale, 10, repeats),
        "timer_heavy": asyncio_ratio("timer_heavy", TIMER_HEAVY, 2000 // scale, 5, repeats),
    }
    return {"runtime": _awaitee.IMPLEMENTATION, "python": sys.version.split()[0], "rows": rows}


def run_worker(pure: bool, quick: bool) -> dict:
    env = dict(os.environ)
    env.pop("DESUGAR_PURE_PYTHON", None)
    if pure:
        env["DESUGAR_PURE_PYTHON"] = "1"
    command = [sys.executable, os.path.abspath(__file__), "--worker"] + (["--quick"] if quick else [])
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds and repeats")
    parser.add_argument("--json", metavar="OUT", help="also write every figure to OUT as JSON")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.quick)))
        return
    print(f"Python {sys.version.split()[0]}: each runtime in a child process of its own", flush=True)
    results = {}
    for pure in (False, True):
        print(f"  measuring the {'pure-Python' if pure else 'C'} runtime ...", flush=True)
        results["python" if pure else "c"] = run_worker(pure, args.quick)
    c, py = results["c"], results["python"]
    if c["runtime"] != "c":
        print("  (the C runtime is not built here: both columns are the pure-Python runtime)")
    print(f"{'workload':<72} {'native':>9} {'C':>16} {'fallback':>16} {'target':>7}")
    for key, name, target in WORKLOADS:
        rc, rp = c["rows"][key], py["rows"][key]
        print(f"{name:<72} {rc['native_s']*1000:7.1f}ms "
              f"{rc['translated_s']*1000:7.1f}ms {rc['ratio']:5.2f}x "
              f"{rp['translated_s']*1000:7.1f}ms {rp['ratio']:5.2f}x {target:6.1f}x")
    rc, rp = c["rows"]["await_heavy_if"], py["rows"]["await_heavy_if"]
    print(f"{'  the same, poll loop written `' + EXPLICIT_POLL[:34] + '...`':<72} {rc['native_s']*1000:7.1f}ms "
          f"{rc['translated_s']*1000:7.1f}ms {rc['ratio']:5.2f}x "
          f"{rp['translated_s']*1000:7.1f}ms {rp['ratio']:5.2f}x")
    rc, rp = c["rows"]["await_heavy_hir"], py["rows"]["await_heavy_hir"]
    print(f"{'  the same, --style hir (match on each poll, Pin.new_unchecked)':<72} {rc['native_s']*1000:7.1f}ms "
          f"{rc['translated_s']*1000:7.1f}ms {rc['ratio']:5.2f}x "
          f"{rp['translated_s']*1000:7.1f}ms {rp['ratio']:5.2f}x")
    files = sorted(glob.glob(os.path.join(os.path.dirname(asyncio.__file__), "*.py")))
    comp = compile_throughput(files, 2 if args.quick else 5)
    print(f"compile: stdlib asyncio, {comp['files']} files, {comp['lines']} lines"
          f" ({len(comp['skipped'])} files skipped: constructs not lowered yet)")
    print(f"  libcst parse + codegen      {comp['libcst_lines_per_s']:10.0f} lines/s")
    print(f"  desugar (--no-format)       {comp['desugar_lines_per_s']:10.0f} lines/s  "
          f"({comp['ratio_vs_libcst']:.2f} of libcst; target 0.70)")
    print(f"  desugar (black formatting)  {comp['desugar_black_lines_per_s']:10.0f} lines/s")
    with tempfile.TemporaryDirectory() as scratch:
        imports_json = os.path.join(scratch, "imports.json")
        imports = subprocess.run(
            [sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "imports.py"),
             "--json", imports_json] + (["--quick"] if args.quick else []),
            capture_output=True, text=True, check=True,
        ).stdout
        with open(imports_json, encoding="utf-8") as f:
            import_figures = json.load(f)
    print("imports (bench/imports.py): 50 translated modules vs their plain twin, warm cache;"
          " target 1.1x (modules only)")
    for line in imports.splitlines():
        if line.startswith(("plain import", "translated, warm", "translated ahead", f"{'':44} ")):
            print(f"  {line}")
    print("pyperformance's async workloads (bench/pyperformance_async.py):", flush=True)
    subprocess.run(
        [sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "pyperformance_async.py")]
        + (["--quick"] if args.quick else []),
        check=True,
    )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"runtimes": results, "compile": comp, "imports": import_figures}, f, indent=2)


if __name__ == "__main__":
    main()

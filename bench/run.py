"""Benchmarks: the same programs run natively (asyncio) and translated, in one process.

Run ``python bench/run.py`` (``--quick`` for a short run). Ratios are
translated time / native time, best of several repeats.
"""

from __future__ import annotations

import argparse
import asyncio
import glob
import os
import sys
import time
import types

import libcst

import desugar
import desugar.runtime as rt

AWAIT_HEAVY = '''
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
'''

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


def asyncio_ratio(name: str, source: str, tasks: int, rounds: int, repeats: int) -> dict:
    """Both runs under asyncio.run: the unchanged program, and its translation."""
    native = load(source, False, None)
    ours = load(source, True, None)
    expected = asyncio.run(native.main(tasks, rounds))
    assert asyncio.run(ours.main(tasks, rounds)) == expected
    t_native = best_of(repeats, lambda: asyncio.run(native.main(tasks, rounds)))
    t_ours = best_of(repeats, lambda: asyncio.run(ours.main(tasks, rounds)))
    return {"name": name, "native_s": t_native, "translated_s": t_ours, "ratio": t_ours / t_native}


def load(source: str, translated: bool, checkpoint: object) -> types.ModuleType:
    module = types.ModuleType("bench_program")
    module.checkpoint = checkpoint  # type: ignore[attr-defined]
    code = desugar.translate(source, format=False) if translated else source
    exec(compile(code, f"<{'translated' if translated else 'native'}>", "exec"), module.__dict__)
    return module


def best_of(repeats: int, fn) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def runtime_ratio(name: str, source: str, rounds: int, depth: int, repeats: int) -> dict:
    native = load(source, False, lambda: asyncio.sleep(0))
    ours = load(source, True, rt.yield_now)
    expected = asyncio.run(native.main(rounds, depth))
    got = rt.block_on(ours.main(rounds, depth))
    assert got == expected, (got, expected)
    t_native = best_of(repeats, lambda: asyncio.run(native.main(rounds, depth)))
    t_ours = best_of(repeats, lambda: rt.block_on(ours.main(rounds, depth)))
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

    t_cst = best_of(repeats, libcst_roundtrip)
    t_ours = best_of(repeats, lambda: ours(False))
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer rounds and repeats")
    args = parser.parse_args()
    scale = 10 if args.quick else 1
    repeats = 3 if args.quick else 5
    print(f"Python {sys.version.split()[0]}")
    rows = [
        runtime_ratio("await-heavy: 12-deep chain of awaits that complete at once",
                      AWAIT_HEAVY, 20000 // scale, 12, repeats),
        runtime_ratio("suspend-heavy: 20-deep chain resumed 100k times",
                      SUSPEND_HEAVY, 100000 // scale, 20, repeats),
    ]
    rows += [
        asyncio_ratio("task-heavy (asyncio.run): 10k tasks yielding 10 times each",
                      TASK_HEAVY, 10000 // scale, 10, repeats),
        asyncio_ratio("timer-heavy (asyncio.run): 2000 tasks sleeping 5 times each",
                      TIMER_HEAVY, 2000 // scale, 5, repeats),
    ]
    for row in rows:
        print(f"{row['name']:<60} native {row['native_s']*1000:8.1f} ms  "
              f"translated {row['translated_s']*1000:8.1f} ms  ratio {row['ratio']:.2f}x")
    files = sorted(glob.glob(os.path.join(os.path.dirname(asyncio.__file__), "*.py")))
    c = compile_throughput(files, 1 if args.quick else 3)
    print(f"compile: stdlib asyncio, {c['files']} files, {c['lines']} lines"
          f" ({len(c['skipped'])} files skipped: constructs not lowered yet)")
    print(f"  libcst parse + codegen      {c['libcst_lines_per_s']:10.0f} lines/s")
    print(f"  desugar (--no-format)       {c['desugar_lines_per_s']:10.0f} lines/s  "
          f"({c['ratio_vs_libcst']:.2f} of libcst)")
    print(f"  desugar (black formatting)  {c['desugar_black_lines_per_s']:10.0f} lines/s")


if __name__ == "__main__":
    main()

"""What recording costs (`desugar.trace`): the benchmarks of bench/run.py with no recorder, with a
recorder started then stopped (its hooks removed), recording (as ``--trace``), and linting too.

Run ``python bench/trace.py`` (``--quick`` for a short run). Best of five (three with
``--quick``) of process CPU time per row, the rows of a workload run alternately; ratios are
against the same workload with no recorder. ``DESUGAR_PURE_PYTHON=1`` measures the
pure-Python runtime.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import io
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import desugar.runtime as rt  # noqa: E402
from desugar import trace  # noqa: E402
from desugar.compare import AWAIT_HEAVY  # noqa: E402
from run import SUSPEND_HEAVY, TASK_HEAVY, load  # noqa: E402  (bench/run.py's programs)


def workloads(scale: int) -> list[tuple[str, object]]:
    tasks_native = load(TASK_HEAVY, False, None)
    tasks_ours = load(TASK_HEAVY, True, None)
    awaits = load(AWAIT_HEAVY, True, rt.yield_now)
    suspends = load(SUSPEND_HEAVY, True, rt.yield_now)
    n = 10000 // scale
    return [
        (f"task-heavy, native (asyncio.run: {n} tasks yielding 10 times)",
         lambda: asyncio.run(tasks_native.main(n, 10))),
        ("task-heavy, translated (the same)", lambda: asyncio.run(tasks_ours.main(n, 10))),
        (f"await-heavy, translated (block_on: 12 deep, {20000 // scale} rounds, no suspension)",
         lambda: rt.block_on(awaits.main(20000 // scale, 12))),
        (f"suspend-heavy, translated (block_on: 20 deep, resumed {100000 // scale} times)",
         lambda: rt.block_on(suspends.main(100000 // scale, 20))),
    ]


MODES = ["off", "started and stopped", "--trace", "--trace --lint"]


def measure(fn: object, mode: str) -> float:
    recorder = None
    gc.collect()  # (what the row before left is not this row's to collect)
    if mode == "started and stopped":
        trace.start("bench").stop()
    elif mode != "off":
        recorder = trace.start("bench", lint=mode.endswith("--lint"), stream=io.StringIO())
    start = time.process_time()
    fn()  # type: ignore[operator]
    spent = time.process_time() - start
    if recorder is not None:
        recorder.stop()
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds and repeats")
    args = parser.parse_args()
    scale, repeats = (10, 3) if args.quick else (1, 5)
    runtime = rt._awaitee.IMPLEMENTATION
    print(f"Python {sys.version.split()[0]}, the {runtime} runtime; CPU time, best of {repeats}")
    print(f"{'workload':<78} " + " ".join(f"{m:>22}" for m in MODES))
    for name, fn in workloads(scale):
        fn()  # (warm)
        best = dict.fromkeys(MODES, float("inf"))
        for _ in range(repeats):
            for mode in MODES:
                best[mode] = min(best[mode], measure(fn, mode))
        base = best["off"]
        cells = [f"{best['off'] * 1000:8.1f}ms" + " " * 13]
        cells += [f"{best[m] * 1000:8.1f}ms {best[m] / base:5.2f}x" + " " * 6 for m in MODES[1:]]
        print(f"{name:<78} " + " ".join(f"{c:>22}" for c in cells))


if __name__ == "__main__":
    main()

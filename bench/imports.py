"""Import benchmark: a package of 50 generated modules, translated by the import hook vs plain.

Run ``python bench/imports.py`` (``--quick`` for fewer rounds, ``--rounds N``,
``--json OUT``). Every figure comes from fresh interpreters, timed inside the
child around the import (``time.perf_counter``), with bytecode writes on:

- plain: ``import bpkg`` with no hook, from CPython's own (warm) pycs;
- translated, warm: ``desugar.install(["bpkg"])`` then ``import bpkg``, from
  desugar's cache; *end to end* counts importing the hook and
  ``desugar.runtime`` (which the translated modules import), *modules only*
  has them imported before the clock starts, in both children;
- translated ahead of time: the package written translated (``desugar
  --no-format``) and imported with no hook, from CPython's pycs: what the
  translated code itself costs to load, so that the hook's own share is the
  difference from *modules only*;
- translated, cold: desugar's cache entries deleted first, so every module is
  translated (libcst and the compiler are imported on the way).

The warm cases are run in rounds, one child each per round, in an order that
turns from round to round, so that the load of the (shared) machine falls on
all of them alike. A ratio is translated / plain *within a round*; the figure
is the median of the rounds' ratios, with the quartiles of those ratios as its
spread, by wall time and by CPU time (``time.process_time``); *bests* is the
ratio of the best times. Times are the medians of the rounds. The sources are
left unchanged for longer than `desugar.cache.RACY_NS` before the caches are
written, as a source that is not being edited is (the cache is then used
without reading the source: see `desugar.hook`).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import desugar
import desugar.cache
import desugar.hook

MODULES = 50
PACKAGE = "bpkg"
TAG = f"desugar-{desugar.__version__}"

MODULE = '''\
"""Module {i} of the import benchmark: a class, plain and async functions."""

import math

from . import base

CONSTANT = {i}


class Record{i}(base.Base):
    def __init__(self, value):
        self.value = value

    def scaled(self, k):
        return self.value * k + CONSTANT

    async def fetch(self, source):
        data = await source.read(self.value)
        return self.scaled(len(data))


def distance(x, y):
    return math.hypot(x, y) + CONSTANT


async def load(source, keys):
    results = []
    for key in keys:
        value = await source.get(key)
        if value is None:
            continue
        results.append(value)
    return results


async def combine(source):
    first = await load(source, [1, 2, 3])
    second = await source.get("x")
    async with source.lock():
        total = sum(first) + (second or 0)
    return total


async def stream(source):
    async for item in source.items():
        yield item * 2
'''

BASE = '''\
"""The benchmark package's base class."""


class Base:
    def describe(self):
        return f"{type(self).__name__}({self.value!r})"
'''


def generate(root: Path, *, translated: bool = False) -> int:
    """Write the package below ``root``; the number of source lines."""
    package = root / PACKAGE
    package.mkdir(parents=True)
    names = [f"mod_{i:02d}" for i in range(MODULES)]
    files = {
        "__init__.py": "".join(f"from . import {name}\n" for name in names),
        "base.py": BASE,
        **{f"{name}.py": MODULE.format(i=i) for i, name in enumerate(names)},
    }
    for name, text in files.items():
        (package / name).write_text(
            desugar.translate(text, name, format=False) if translated else text
        )
    return sum(text.count("\n") for text in files.values())


def child_env() -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")
    }
    return env


def timed_both(root: Path, before: str, measured: str) -> tuple[float, float]:
    """Seconds ``measured`` takes in a fresh interpreter, after ``before`` ran: wall and CPU."""
    code = (
        "import time\n"
        f"{before}\n"
        "start, cpu = time.perf_counter(), time.process_time()\n"
        f"{measured}\n"
        "print(time.perf_counter() - start, time.process_time() - cpu)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=root,
        env=child_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    wall, cpu = result.stdout.split()[-2:]
    return float(wall), float(cpu)


def timed(root: Path, before: str, measured: str) -> float:
    """Seconds (wall) ``measured`` takes in a fresh interpreter, after ``before`` ran."""
    return timed_both(root, before, measured)[0]


HOOKED = f"import desugar\ndesugar.install([{PACKAGE!r}])\nimport {PACKAGE}"
PLAIN = f"import {PACKAGE}"
PRELOAD = "import desugar.runtime, desugar.hook"


def clear_desugar_cache(root: Path) -> None:
    for entry in root.rglob(f"*.{TAG}.pyc"):
        entry.unlink()


def check(root: Path) -> None:
    """The hooked import does translate (and the plain one does not)."""
    probe = f"{HOOKED}\nimport desugar.runtime\nprint(desugar.runtime.is_translated({PACKAGE}.mod_00.load))"
    kinds = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=root,
        env=child_env(),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert kinds == ["True"], kinds
    probe = f"{PLAIN}\nimport desugar.runtime\nprint(desugar.runtime.is_translated({PACKAGE}.mod_00.load))"
    kinds = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=root,
        env=child_env(),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert kinds == ["False"], kinds


def best(samples: list[float]) -> float:
    return min(samples)


def quartiles(samples: list[float]) -> tuple[float, float, float]:
    """The lower quartile, the median and the upper quartile of ``samples``."""
    if len(samples) < 2:
        return samples[0], samples[0], samples[0]
    low, median, high = statistics.quantiles(samples, n=4, method="inclusive")
    return low, median, high


#: The warm cases: (name, directory below the root, run first, timed).
WARM = [
    ("plain", ".", "", PLAIN),
    ("hooked", ".", "", HOOKED),
    ("plain_pre", ".", PRELOAD, PLAIN),
    ("hooked_pre", ".", PRELOAD, HOOKED),
    ("ahead_pre", "ahead", PRELOAD, PLAIN),
]

#: The ratios reported: (name, translated case, plain case).
RATIOS = [
    ("end_to_end", "hooked", "plain"),
    ("modules_only", "hooked_pre", "plain_pre"),
    ("ahead_of_time", "ahead_pre", "plain_pre"),
]


def warm_rounds(root: Path, rounds: int) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Wall and CPU seconds of each warm case: one child per case and round, the order turning."""
    wall: dict[str, list[float]] = {name: [] for name, *_ in WARM}
    cpu: dict[str, list[float]] = {name: [] for name, *_ in WARM}
    for index in range(rounds):
        turn = index % len(WARM)
        for name, directory, before, measured in WARM[turn:] + WARM[:turn]:
            w, c = timed_both(root / directory, before, measured)
            wall[name].append(w)
            cpu[name].append(c)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    parser.add_argument("--rounds", type=int, help="warm rounds (default 40, --quick 10)")
    parser.add_argument("--json", metavar="OUT", help="also write the figures as JSON")
    args = parser.parse_args()
    warm_repeats = args.rounds or (10 if args.quick else 40)
    cold_repeats = 2 if args.quick else 5

    root = Path(tempfile.mkdtemp(prefix="desugar-bench-imports-"))
    try:
        lines = generate(root)
        ahead = root / "ahead"
        generate(ahead, translated=True)
        time.sleep(desugar.cache.RACY_NS / 1e9)  # the sources settle before any cache is written
        check(root)  # also warms both caches (and the pycs of desugar itself)
        for _ in range(2):
            for _name, directory, before, measured in WARM:
                timed(root / directory, before, measured)

        times, cpu_times = warm_rounds(root, warm_repeats)

        cold = []
        for _ in range(cold_repeats):
            clear_desugar_cache(root)
            cold.append(timed(root, "", HOOKED))
        machinery = [
            timed(
                root,
                PRELOAD,
                "import libcst, desugar.compiler, desugar.compiler.async_fn, "
                "desugar.compiler.walk, desugar.compiler.lines",
            )
            for _ in range(cold_repeats)
        ]
    finally:
        shutil.rmtree(root, ignore_errors=True)

    median = {name: statistics.median(samples) for name, samples in times.items()}
    ratios, cpu_ratios = (
        {
            name: quartiles([t / p for t, p in zip(samples[translated], samples[plain])])
            for name, translated, plain in RATIOS
        }
        for samples in (times, cpu_times)
    )
    p, h, pp, hp, ap = (
        median[n] for n in ("plain", "hooked", "plain_pre", "hooked_pre", "ahead_pre")
    )
    c, m = best(cold), best(machinery)
    kloc = lines / 1000
    ms = 1000

    def spread(name: str) -> str:
        low, mid, high = ratios[name]
        cpu_low, cpu_mid, cpu_high = cpu_ratios[name]
        wall = f"{mid:6.2f}x {f'({low:.2f}-{high:.2f})':>11}"
        translated, plain = next((t, p) for n, t, p in RATIOS if n == name)
        bests = best(times[translated]) / best(times[plain])
        return f"{wall}  {cpu_mid:5.2f}x ({cpu_low:.2f}-{cpu_high:.2f})  {bests:5.2f}x"

    print(
        f"package: {MODULES} modules + __init__ + base, {lines} lines; Python {sys.version.split()[0]}"
    )
    print(
        f"{warm_repeats} rounds of fresh interpreters (warm: medians, the ratios' quartiles), "
        f"best of {cold_repeats} (cold); import timed inside the child"
    )
    print()
    print(f"{'':44} {'time':>9} {'ratio':>7} {'quartiles':>11}  {'CPU time ratio':>5}  {'bests':>6}")
    print(f"{'plain import (CPython pycs)':44} {p * ms:7.2f}ms {'1.00x':>7}")
    print(f"{'translated, warm cache, end to end':44} {h * ms:7.2f}ms {spread('end_to_end')}")
    print(f"{'plain import, desugar preloaded':44} {pp * ms:7.2f}ms {'1.00x':>7}")
    print(f"{'translated, warm cache, modules only':44} {hp * ms:7.2f}ms {spread('modules_only')}")
    print(f"{'translated ahead of time, no hook':44} {ap * ms:7.2f}ms {spread('ahead_of_time')}")
    print(
        f"{'translated, cold (every module translated)':44} {c * ms:7.2f}ms {c / p:6.2f}x"
    )
    print()
    print(
        f"runtime + hook import (end to end minus modules only): {(h - hp) * ms:.2f}ms"
    )
    print(
        f"the hook's own share (modules only minus ahead of time): {(hp - ap) * ms:.2f}ms, "
        f"{(hp - ap) / MODULES * 1e6:.0f}us per module"
    )
    print(
        f"cold import: {(c - h) / kloc * ms:.1f}ms per 1000 lines over the warm import"
    )
    print(f"  of which importing libcst and the compiler, once: {m * ms:.1f}ms")
    print(
        f"  translation alone: {max(c - h - m, 0) / kloc * ms:.1f}ms per 1000 lines "
        f"({lines / max(c - h - m, 1e-9):,.0f} lines/s)"
    )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(
                {
                    "python": sys.version.split()[0],
                    "rounds": warm_repeats,
                    "median_s": median,
                    "ratio_quartiles": ratios,
                    "cpu_ratio_quartiles": cpu_ratios,
                    "best_s": {name: best(samples) for name, samples in times.items()},
                    "cold_s": c,
                    "machinery_s": m,
                    "lines": lines,
                },
                f,
                indent=2,
            )


if __name__ == "__main__":
    main()

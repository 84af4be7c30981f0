"""Import benchmark: a package of 50 generated modules, translated by the import hook vs plain.

Run ``python bench/imports.py`` (``--quick`` for fewer repeats). Every figure
is the best of several fresh interpreters, timed inside the child around the
import (``time.perf_counter``), with bytecode writes on in the child:

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

Ratios are translated / plain. The package is the same source both ways: the
plain import runs the ``async def`` natively.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import desugar

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


def timed(root: Path, before: str, measured: str) -> float:
    """Seconds ``measured`` takes in a fresh interpreter, after ``before`` ran."""
    code = (
        "import time\n"
        f"{before}\n"
        "start = time.perf_counter()\n"
        f"{measured}\n"
        "print(time.perf_counter() - start)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=root,
        env=child_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    return float(result.stdout.split()[-1])


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args()
    warm_repeats = 5 if args.quick else 15
    cold_repeats = 2 if args.quick else 5

    root = Path(tempfile.mkdtemp(prefix="desugar-bench-imports-"))
    try:
        lines = generate(root)
        ahead = root / "ahead"
        generate(ahead, translated=True)
        check(root)  # also warms both caches (and the pycs of desugar itself)
        for _ in range(2):
            timed(root, "", PLAIN)
            timed(root, "", HOOKED)
            timed(ahead, PRELOAD, PLAIN)

        plain, hooked, plain_pre, hooked_pre, ahead_pre = [], [], [], [], []
        for _ in range(warm_repeats):  # interleaved, so load changes hit every case
            plain.append(timed(root, "", PLAIN))
            hooked.append(timed(root, "", HOOKED))
            plain_pre.append(timed(root, PRELOAD, PLAIN))
            hooked_pre.append(timed(root, PRELOAD, HOOKED))
            ahead_pre.append(timed(ahead, PRELOAD, PLAIN))

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

    p, h, pp, hp, ap, c, m = map(
        best, (plain, hooked, plain_pre, hooked_pre, ahead_pre, cold, machinery)
    )
    kloc = lines / 1000
    ms = 1000
    print(
        f"package: {MODULES} modules + __init__ + base, {lines} lines; Python {sys.version.split()[0]}"
    )
    print(
        f"best of {warm_repeats} (warm) / {cold_repeats} (cold) fresh interpreters, import timed inside the child"
    )
    print()
    print(f"{'':44} {'time':>9} {'ratio':>7}")
    print(f"{'plain import (CPython pycs)':44} {p * ms:7.2f}ms {'1.00x':>7}")
    print(f"{'translated, warm cache, end to end':44} {h * ms:7.2f}ms {h / p:6.2f}x")
    print(f"{'plain import, desugar preloaded':44} {pp * ms:7.2f}ms {'1.00x':>7}")
    print(
        f"{'translated, warm cache, modules only':44} {hp * ms:7.2f}ms {hp / pp:6.2f}x"
    )
    print(f"{'translated ahead of time, no hook':44} {ap * ms:7.2f}ms {ap / pp:6.2f}x")
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


if __name__ == "__main__":
    main()

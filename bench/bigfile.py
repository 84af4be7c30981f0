"""Big-file benchmark: time and peak memory of translating one module of N lines.

Run ``python bench/bigfile.py`` (``--sizes 1000,5000`` to choose N, ``--quick``
for 1k, 5k and 10k only, ``--no-black`` to skip the formatted runs, ``--keep
DIR`` to keep the generated modules). For each N the module is generated (async
defs with awaits inside expressions, ``async with``/``async for``,
``try``/``finally``, nested calls, comments, classes with async methods, plain
code in between), then each measurement runs in a fresh interpreter so that its
peak memory is its own (``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss``, read
after the child exits; the interpreter with nothing imported is the baseline
row):

- ``desugar --no-format FILE -o OUT`` and ``desugar FILE -o OUT`` (the CLI);
- ``black.format_str`` alone on the unformatted translation (black's own cost
  on the same text as one module, for comparison);
- ``libcst.parse_module(source).code`` alone on the input (the floor of any
  libcst-based rewrite).

Times are CPU seconds of the child process (``--wall`` for wall-clock
seconds), imports included; the
per-1k-lines rates are taken between the smallest and largest N (so the cost
of starting the interpreter and importing cancels out): a linear cost gives the
same rate at every size.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZES = (1000, 5000, 10000, 25000, 50000)
SOURCE = ROOT  # --source: the desugar package measured is the one below this directory
CWD: Path | None = None  # where the children run (the scratch directory)
WALL = False  # --wall: report wall-clock seconds instead of CPU seconds

HEADER = '''\
"""A generated module for the big-file benchmark."""

from __future__ import annotations

import asyncio
import contextlib
import logging

log = logging.getLogger(__name__)
'''

# Blocks of realistic async code; {i} makes every name unique. Each block is
# a few dozen lines; the module is as many blocks, in turn, as fit in N lines.
BLOCKS = [
    '''\
class Client{i}:
    """A client with async methods: awaits in calls, conditions and returns."""

    retries = {i} % 5 + 1

    def __init__(self, session, base="http://localhost/{i}"):
        self.session = session
        self.base = base
        self.cache = {{}}

    async def get(self, path, *, timeout=1.0):
        # Cached answers skip the round trip.
        if path in self.cache:
            return self.cache[path]
        for attempt in range(self.retries):
            try:
                response = await asyncio.wait_for(
                    self.session.get(self.base + path), timeout
                )
                body = await response.read()
            except asyncio.TimeoutError:
                log.warning("timeout %s (attempt %d)", path, attempt)
                await asyncio.sleep(0.01 * attempt)
                continue
            finally:
                self.session.release()
            self.cache[path] = body
            return body
        raise RuntimeError(f"gave up on {{path}} after {{self.retries}} attempts")

    async def get_many(self, paths):
        return [await self.get(p) for p in paths if p]

''',
    '''\
async def pipeline{i}(source, sink, limit={i}):
    """Copy items from source to sink, transforming each one."""
    count = 0
    async with source.open() as reader, sink.open() as writer:
        async for item in reader:
            if count >= limit and not await sink.wants_more():
                break
            value = transform{i}(item, scale=await source.scale(), offset=count)
            await writer.write(value + await source.extra(item) * 2)
            count += 1
    return {{"count": count, "limit": limit, "ratio": count / (limit or 1)}}


def transform{i}(item, scale=1, offset=0):
    # Plain code between the async defs: nothing to translate here.
    if isinstance(item, (int, float)):
        return item * scale + offset
    return [transform{i}(x, scale, offset) for x in item]

''',
    '''\
async def gather{i}(tasks, *, fail_fast=True):
    results = []
    errors = []
    while tasks:
        task = tasks.pop()
        try:
            result = await task
        except Exception as error:  # collect, or stop at the first
            if fail_fast:
                raise
            errors.append(error)
        else:
            results.append(result if result is not None else await fallback{i}(task))
        finally:
            log.debug("done %r", task)
    if errors and not results:
        raise ExceptionGroup("gather{i}", errors)
    return sorted(results, key=lambda r: (r is None, str(r)))


async def fallback{i}(task):
    await asyncio.sleep(0)
    return max(len(str(task)), await asyncio.to_thread(len, "x" * {i}))

''',
    '''\
class Worker{i}(contextlib.AbstractAsyncContextManager):
    """An async context manager and iterator."""

    def __init__(self, queue):
        self.queue = queue
        self.closed = False

    async def __aenter__(self):
        await self.queue.put(("start", {i}))
        return self

    async def __aexit__(self, *exc_info):
        self.closed = True
        await self.queue.put(("stop", {i}))
        return False

    def __aiter__(self):
        return self

    async def __anext__(self):
        if self.closed or self.queue.empty():
            raise StopAsyncIteration
        kind, payload = await self.queue.get()
        return {{"kind": kind, "payload": payload, "size": len(str(payload))}}

    async def drain(self):
        items = [item async for item in self if item["kind"] != "stop"]
        return sum(item["size"] for item in items) + (await self.queue.join() or 0)

''',
    '''\
@contextlib.asynccontextmanager
async def session{i}(factory, name="s{i}"):
    conn = await factory.connect(name, options={{"timeout": 5, "id": {i}}})
    try:
        yield conn
    finally:
        await conn.close()


async def stream{i}(conn, n):
    """An async generator with an await in its loop condition."""
    i = 0
    while i < n and await conn.alive():
        chunk = await conn.recv(min(n - i, 1024))
        if not chunk:
            return
        yield chunk
        i += len(chunk)


async def run{i}(factory):
    async with session{i}(factory) as conn:
        total = 0
        async for chunk in stream{i}(conn, {i} + 10):
            total += len(chunk) if chunk else await conn.penalty()
        return total

''',
]


def generate(lines: int) -> str:
    """A module of about ``lines`` lines (never fewer)."""
    parts = [HEADER]
    count = HEADER.count("\n")
    i = 0
    while count < lines:
        block = "\n\n" + BLOCKS[i % len(BLOCKS)].format(i=i).rstrip("\n") + "\n"
        parts.append(block)
        count += block.count("\n")
        i += 1
    return "".join(parts)


# What each child runs: argv[1] is the input, argv[2] the output.
CHILDREN = {
    "baseline": "pass",
    "desugar --no-format": textwrap.dedent(
        """
        import sys
        from desugar.cli import main
        main(["--no-format", "-q", sys.argv[1], "-o", sys.argv[2]], standalone_mode=False)
        """
    ),
    "desugar (black)": textwrap.dedent(
        """
        import sys
        from desugar.cli import main
        main(["-q", sys.argv[1], "-o", sys.argv[2]], standalone_mode=False)
        """
    ),
    "black.format_str alone": textwrap.dedent(
        """
        import sys, black
        black.format_str(open(sys.argv[1]).read(), mode=black.Mode())
        """
    ),
    "libcst parse + codegen": textwrap.dedent(
        """
        import sys, libcst
        libcst.parse_module(open(sys.argv[1]).read()).code
        """
    ),
}


def measure(code: str, *args: str) -> tuple[float, float]:
    """(seconds, peak MB) of a fresh interpreter running ``code``.

    The seconds are CPU seconds (user + system) unless ``WALL`` is set: on a
    shared machine the wall clock measures the neighbours too.
    """
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(SOURCE), os.environ.get("PYTHONPATH", "")]))
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    # Each measurement runs in its own grandchild so that RUSAGE_CHILDREN's
    # maximum is that process's alone, not the largest of all runs so far.
    probe = textwrap.dedent(
        """
        import resource, subprocess, sys, time
        start = time.perf_counter()
        subprocess.run(sys.argv[1:], check=True)
        elapsed = time.perf_counter() - start
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        print(elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", probe, sys.executable, "-c", code, *args],
        env=env,
        cwd=CWD,  # ``-c`` puts the working directory first on sys.path: not a desugar checkout
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    wall, cpu, kb = float(out[0]), float(out[1]), int(out[2])
    return (wall if WALL else cpu), kb / 1024  # ru_maxrss is in KiB on Linux


def measure_source() -> str:
    """Where the children import desugar from."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(SOURCE), os.environ.get("PYTHONPATH", "")]))
    code = "import desugar, os; print(os.path.dirname(os.path.dirname(desugar.__file__)))"
    return subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=CWD, check=True, capture_output=True, text=True
    ).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", help="comma-separated line counts")
    parser.add_argument("--quick", action="store_true", help="1k, 5k and 10k lines only")
    parser.add_argument("--no-black", action="store_true", help="skip the formatted runs")
    parser.add_argument("--keep", help="write the generated modules to this directory")
    parser.add_argument("--wall", action="store_true", help="wall-clock seconds, not CPU seconds")
    parser.add_argument("--source", help="directory holding the desugar package to measure")
    parser.add_argument("--skip", default="", help="comma-separated runs to skip, e.g. 'black.format_str alone'")
    options = parser.parse_args()
    global WALL, SOURCE, CWD
    WALL = options.wall
    SOURCE = Path(options.source).resolve() if options.source else ROOT
    sizes = SIZES[:3] if options.quick else SIZES
    if options.sizes:
        sizes = tuple(int(s) for s in options.sizes.split(","))
    kinds = [k for k in CHILDREN if k != "baseline"]
    if options.no_black:
        kinds = [k for k in kinds if "black" not in k]
    kinds = [k for k in kinds if k not in options.skip.split(",")]

    with tempfile.TemporaryDirectory() as scratch:
        work = Path(options.keep or scratch)
        work.mkdir(parents=True, exist_ok=True)
        CWD = Path(scratch)
        base_s, base_mb = measure(CHILDREN["baseline"])
        where = measure_source()
        print(f"python {sys.version.split()[0]}; desugar from {where}; empty interpreter: {base_s:.2f} s, {base_mb:.0f} MB")
        print(f"{'lines':>7}  {'run':<24} {'time':>9} {'peak':>9}")
        results: dict[str, list[tuple[int, float, float]]] = {k: [] for k in kinds}
        for n in sizes:
            source = generate(n)
            lines = source.count("\n")
            src = work / f"big{n}.py"
            src.write_text(source)
            out = work / f"big{n}_out.py"
            unformatted = work / f"big{n}_unformatted.py"
            for kind in kinds:
                if kind == "black.format_str alone":
                    if not unformatted.exists():
                        measure(CHILDREN["desugar --no-format"], str(src), str(unformatted))
                    args = (str(unformatted),)
                else:
                    args = (str(src), str(out))
                seconds, mb = measure(CHILDREN[kind], *args)
                results[kind].append((lines, seconds, mb))
                print(f"{lines:>7}  {kind:<24} {seconds:>7.2f} s {mb:>6.0f} MB", flush=True)
        if len(sizes) > 1:
            print()
            print(f"per 1k lines (between {results[kinds[0]][0][0]} and {results[kinds[0]][-1][0]} lines):")
            for kind in kinds:
                (n0, s0, m0), (n1, s1, m1) = results[kind][0], results[kind][-1]
                k = (n1 - n0) / 1000
                print(f"  {kind:<24} {(s1 - s0) / k:6.3f} s {(m1 - m0) / k:6.1f} MB")
            print()
            print("rate per 1k lines at each size, over the empty interpreter (linear: all equal):")
            for kind in kinds:
                row = "  ".join(
                    f"{(s - base_s) / (n / 1000):.3f} s {(m - base_mb) / (n / 1000):5.1f} MB"
                    for n, s, m in results[kind]
                )
                print(f"  {kind:<24} {row}")


if __name__ == "__main__":
    main()

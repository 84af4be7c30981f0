"""The workloads of pyperformance's async benchmarks, native and translated.

``python bench/pyperformance_async.py`` (``--quick``: one repeat) prints, for
the C runtime and the pure-Python one (``DESUGAR_PURE_PYTHON=1``), each in a
child process of its own, the process CPU time of each workload run natively
and translated (``desugar.translate``, unformatted), alternated within the
child, best of the repeats, and their ratio.

The workloads follow the shapes and parameters of pyperformance's
``async_tree`` (a tree of ``asyncio.gather``, 6 levels of 6 branches; leaves
that do nothing, sleep 50 ms, sleep unless memoized (90% of keys), or half of
them compute ``factorial(500)`` instead; and the TaskGroup flavour),
``coroutines`` (a recursive chain of awaits that complete at once),
``async_generators`` (a tree walked by ``async for`` over nested async
generators), ``asyncio_tcp`` (a server on asyncio streams writes 100 chunks
of 10 MiB, each followed by ``drain()``, to a client on the same loop that
reads to the end) and ``asyncio_websockets`` (a client sends 100 messages of
1 MiB at once over a connection of the ``websockets`` package, whose server
handler receives them; that row is skipped, saying so, where ``websockets``
is not installed: it is a dependency of this benchmark only). Server and
client run in the measured process, on loopback, on a free port. The
workloads are written here, not copied.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import types

WORKLOADS = r'''
import asyncio, math, random

LEVELS, BRANCHES, SLEEP, MEMO, CPU_P, FACT_N = 6, 6, 0.05, 90, 0.5, 500

class Tree:
    def __init__(self, leaf, task_groups=False):
        self.cache = {}
        self.leaf = leaf
        self.task_groups = task_groups
        random.seed(0)

    async def io(self):
        await asyncio.sleep(SLEEP)

    async def leaf_none(self):
        return None

    async def leaf_io(self):
        await self.io()

    async def leaf_memoization(self):
        key = random.randint(1, 100)
        if key <= MEMO:
            if self.cache.get(key):
                return key
            self.cache[key] = True
        await self.io()
        return key

    async def leaf_cpu_io_mixed(self):
        if random.random() < CPU_P:
            return math.factorial(FACT_N)
        return await self.leaf_memoization()

    async def gather(self, level):
        if level == 0:
            await getattr(self, "leaf_" + self.leaf)()
            return
        await asyncio.gather(*[self.gather(level - 1) for _ in range(BRANCHES)])

    async def group(self, level):
        if level == 0:
            await getattr(self, "leaf_" + self.leaf)()
            return
        async with asyncio.TaskGroup() as tg:
            for _ in range(BRANCHES):
                tg.create_task(self.group(level - 1))

    async def run(self):
        await (self.group(LEVELS) if self.task_groups else self.gather(LEVELS))

async def fibonacci(n):
    if n <= 1:
        return n
    return await fibonacci(n - 1) + await fibonacci(n - 2)

async def walk(node):
    if node is None:
        return
    left, value, right = node
    async for v in walk(left):
        yield v
    yield value
    async for v in walk(right):
        yield v

def build(lo, hi):
    if lo >= hi:
        return None
    mid = (lo + hi) // 2
    return (build(lo, mid), mid, build(mid + 1, hi))

def async_tree(leaf, task_groups=False):
    asyncio.run(Tree(leaf, task_groups).run())

def coroutines():
    coro = fibonacci(25)
    try:
        coro.send(None)
    except StopIteration as stop:
        assert stop.value == 75025

async def _walk_all(tree):
    total = 0
    async for v in walk(tree):
        total += v
    return total

def async_generators():
    assert asyncio.run(_walk_all(build(0, 20_000))) == sum(range(20_000))

TCP_CHUNK, TCP_CHUNKS = 10 * 1024 ** 2, 100

async def _write_chunks(reader, writer):
    payload = b"x" * TCP_CHUNK
    for _ in range(TCP_CHUNKS):
        writer.write(payload)
        await writer.drain()
    writer.close()
    await writer.wait_closed()

async def _tcp():
    server = await asyncio.start_server(_write_chunks, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    received = 0
    async with server:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while True:
            data = await reader.read(1 << 20)
            if not data:
                break
            received += len(data)
        writer.close()
        await writer.wait_closed()
    assert received == TCP_CHUNK * TCP_CHUNKS

def asyncio_tcp():
    asyncio.run(_tcp())

try:
    from websockets.asyncio.client import connect as ws_connect
    from websockets.asyncio.server import serve as ws_serve
except ImportError:  # (websockets before 13, or none)
    ws_connect = ws_serve = None

WS_MESSAGE, WS_MESSAGES = b"x" * 1024 ** 2, 100

async def _websockets():
    done = asyncio.Event()

    async def receive_all(websocket):
        for _ in range(WS_MESSAGES):
            await websocket.recv()
        done.set()

    async with ws_serve(receive_all, "127.0.0.1", 0, max_size=None) as server:
        port = server.sockets[0].getsockname()[1]
        async with ws_connect(f"ws://127.0.0.1:{port}", max_size=None) as websocket:
            await asyncio.gather(*[websocket.send(WS_MESSAGE) for _ in range(WS_MESSAGES)])
        await done.wait()

def asyncio_websockets():
    asyncio.run(_websockets())
'''

CASES = [
    ("async_tree none", "async_tree('none')"),
    ("async_tree io", "async_tree('io')"),
    ("async_tree memoization", "async_tree('memoization')"),
    ("async_tree cpu_io_mixed", "async_tree('cpu_io_mixed')"),
    ("async_tree io TaskGroup", "async_tree('io', True)"),
    ("async_tree cpu_io_mixed TaskGroup", "async_tree('cpu_io_mixed', True)"),
    ("coroutines", "coroutines()"),
    ("async_generators", "async_generators()"),
    ("asyncio_tcp", "asyncio_tcp()"),
    ("asyncio_websockets", "asyncio_websockets()"),
]


def _module(translated: bool) -> types.ModuleType:
    import desugar

    style = os.environ.get("DESUGAR_BENCH_STYLE") or None
    code = desugar.translate(WORKLOADS, "workloads.py", format=False, style=style) if translated else WORKLOADS
    module = types.ModuleType("workloads_translated" if translated else "workloads_native")
    exec(compile(code, f"<{'translated' if translated else 'native'}>", "exec"), module.__dict__)
    return module


def _cpu(module: types.ModuleType, call: str) -> float:
    start = time.process_time()
    eval(call, module.__dict__)
    return time.process_time() - start


def child(repeats: int) -> None:
    native, translated = _module(False), _module(True)
    only = os.environ.get("DESUGAR_BENCH_ONLY", "")
    for name, call in CASES:
        if only not in name:
            continue
        if name == "asyncio_websockets" and native.ws_serve is None:
            print(f"{name:36} skipped: the websockets package (13 or later) is not installed", flush=True)
            continue
        best_n = best_t = float("inf")
        for _ in range(repeats):
            best_n = min(best_n, _cpu(native, call))
            best_t = min(best_t, _cpu(translated, call))
        print(f"{name:36} {best_n * 1000:9.1f} {best_t * 1000:9.1f} {best_t / best_n:7.2f}x", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one repeat instead of three")
    parser.add_argument("--style", help="the poll lowering's output style (default: the default style)")
    parser.add_argument("--only", help="run only the workloads whose name contains this")
    parser.add_argument(
        "--runtime", choices=("both", "c", "pure"), default="both", help="which runtimes (default: both)"
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    repeats = 1 if args.quick else 3
    if args.only:
        os.environ["DESUGAR_BENCH_ONLY"] = args.only
    if args.style:
        os.environ["DESUGAR_BENCH_STYLE"] = args.style
    if args.child:
        child(repeats)
        return
    style = f"; style {args.style}" if args.style else ""
    print(f"Python {sys.version.split()[0]}{style}; load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    for runtime, pure in (("C runtime", "0"), ("pure runtime", "1")):
        if args.runtime != "both" and args.runtime != ("pure" if pure == "1" else "c"):
            continue
        print(f"\n{runtime}: process CPU ms, best of {repeats}, native / translated / ratio")
        env = {**os.environ, "DESUGAR_PURE_PYTHON": pure}
        if pure == "0":
            env.pop("DESUGAR_PURE_PYTHON")
        command = [sys.executable, os.path.abspath(__file__), "--child"] + (["--quick"] if args.quick else [])
        subprocess.run(command, env=env, check=True)


if __name__ == "__main__":
    main()

"""Draw the README's timeline of a real run: ``python docs/timeline.py``.

It runs `PROGRAM` (a crawler: 16 workers fetching pages through a pool of 4
connections, each fetch three awaits deep) under ``desugar run --trace``, and
draws the trace file with ``python -m desugar.trace.svg`` as
``docs/img/timeline.svg``: a row per task, a bar per poll with a bar above it per
level of the await chain it polled, lines from each waker to the poll it caused.
``tests/test_trace.py`` draws it again and checks the committed picture shows
the same tasks.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PICTURE = ROOT / "docs" / "img" / "timeline.svg"
WINDOW_MS = (8.5, 22.0)  # (ms after the first poll: the workers' first fetches)

PROGRAM = textwrap.dedent(
    """\
    import asyncio
    import random

    from desugar import trace


    async def read_body(url):
        await asyncio.sleep(random.uniform(0.002, 0.01))
        return len(url)


    async def fetch(pool, url):
        async with pool:
            with trace.span("fetch", url=url):
                await asyncio.sleep(0.001)  # connect
                return await read_body(url)


    async def worker(pool, queue):
        while True:
            url = await queue.get()
            await fetch(pool, url)
            queue.task_done()


    async def main():
        random.seed(1)
        pool = asyncio.Semaphore(4)
        queue = asyncio.Queue()
        workers = [
            asyncio.create_task(worker(pool, queue), name=f"worker-{i}") for i in range(16)
        ]
        for page in range(120):
            queue.put_nowait(f"https://example.org/{page}")
        await queue.join()
        for task in workers:
            task.cancel()


    asyncio.run(main())
    """
)


def draw(directory: Path, picture: Path) -> str:
    """Run the crawler in ``directory`` with ``--trace`` and draw ``picture``; the SVG."""
    (directory / "crawler.py").write_text(PROGRAM, encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    subprocess.run(
        [sys.executable, "-m", "desugar", "run", "--trace", "crawler.json", "crawler.py"],
        cwd=directory, env=env, check=True, capture_output=True, timeout=120,
    )
    start, end = WINDOW_MS
    subprocess.run(
        [sys.executable, "-m", "desugar.trace.svg", "crawler.json", "-o", str(picture),
         "--start", str(start), "--end", str(end)],
        cwd=directory, env=env, check=True, timeout=120,
    )
    return picture.read_text(encoding="utf-8")


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as temporary:
        draw(Path(temporary), PICTURE)
    print(f"wrote {PICTURE.relative_to(ROOT)}")

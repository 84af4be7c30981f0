"""Take the README's picture of ``desugar console`` on a real run: ``python docs/screenshots.py``.

It runs `PROGRAM` under ``desugar run --console``, attaches the console to it
headless (Textual's pilot), and saves the screen as ``docs/img/console.svg``.
``tests/test_console.py`` takes it again and checks the committed picture
shows the same screen (the same layout and tasks; the times differ run to run).
"""

from __future__ import annotations

import asyncio
import html
import os
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PICTURE = ROOT / "docs" / "img" / "console.svg"
SIZE = (120, 32)

#: A crawler: a hundred and twenty workers fetch pages through a pool of connections.
PROGRAM = textwrap.dedent(
    """\
    import asyncio
    import random


    async def fetch(pool, url):
        async with pool:
            await asyncio.sleep(random.uniform(0.01, 0.05))
        return len(url)


    async def worker(name, pool, queue):
        while True:
            url = await queue.get()
            await fetch(pool, url)
            queue.task_done()


    async def main():
        random.seed(1)
        pool = asyncio.Semaphore(8)
        queue = asyncio.Queue()
        workers = [
            asyncio.create_task(worker(f"worker-{i}", pool, queue), name=f"worker-{i}")
            for i in range(120)
        ]
        for round in range(1000):
            for page in range(50):
                queue.put_nowait(f"https://example.org/{round}/{page}")
            await queue.join()


    asyncio.run(main())
    """
)


def svg_lines(svg: str) -> list[str]:
    """The text of a Textual screenshot, a line per row of the screen (its characters at their columns)."""
    rows: dict[int, list[tuple[float, float, str]]] = {}
    pattern = (
        r'<text class="[^"]*" x="([\d.]+)" y="[\d.]+" textLength="([\d.]+)" '
        r'clip-path="url\(#[^)]*-line-(\d+)\)">([^<]*)</text>'
    )
    width = None
    for match in re.finditer(pattern, svg):
        text = html.unescape(match[4]).replace("\xa0", " ")
        if width is None and text:
            width = float(match[2]) / len(text)
        rows.setdefault(int(match[3]), []).append((float(match[1]), float(match[2]), text))
    lines = []
    for row in range(max(rows) + 1 if rows else 0):
        chars: list[str] = []
        for x, _length, text in rows.get(row, []):
            column = round(x / (width or 1)) - 1
            chars.extend(" " * (column - len(chars)))
            chars[column : column + len(text)] = text
        lines.append("".join(chars).rstrip())
    return lines


_ROW = re.compile(r"\d+ +\S+ +(running|scheduled|idle|done) +\d+ +\S+ +\S+ +\S+ +crawler\.py:\d+")


def structure(lines: list[str]) -> dict[str, object]:
    """What a picture of the crawler's table shows, its numbers left out (they differ run to run)."""

    def shape(line: str) -> str:
        return " ".join(re.sub(r"\d+(\.\d+)?", "N", line).split())

    rows = lines[3:-1]
    return {
        "title": shape(lines[0]),
        "status": shape(lines[1]),
        "columns": lines[2].split(),
        "rows": len(rows),
        "rows that read as tasks": sum(bool(_ROW.fullmatch(" ".join(row.split()))) for row in rows),
        "footer": lines[-1].split(),
    }


def start_program(directory: Path, program: str = PROGRAM, env: dict[str, str] | None = None) -> tuple[subprocess.Popen[str], str]:
    """``program`` started under ``desugar run --console`` in ``directory``; the process and its pid's socket."""
    script = directory / "crawler.py"
    script.write_text(program)
    process = subprocess.Popen(
        [sys.executable, "-m", "desugar", "run", "--console", script.name],
        cwd=directory,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    line = process.stderr.readline()  # desugar run: console on PATH (desugar console PID)
    match = re.match(r"desugar run: console on (\S+) ", line)
    if match is None:
        process.kill()
        raise RuntimeError(f"the program did not start its console: {line}{process.stderr.read()}")
    return process, match[1]


async def take(socket: str, picture: Path, settle: float = 2.0) -> list[str]:
    """Attach the console to ``socket``, let it run ``settle`` seconds, save ``picture``; its lines."""
    from desugar.console.app import ConsoleApp
    from desugar.console.client import Connection

    with Connection(socket) as connection:
        app = ConsoleApp(connection, refresh=0.25, where=socket)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause(settle)
            await pilot.press("s")  # sorted by busy time
            await pilot.pause(0.5)
            svg = app.export_screenshot(title="desugar console")
    picture.parent.mkdir(parents=True, exist_ok=True)
    picture.write_text(svg)
    return svg_lines(svg)


def main(picture: Path = PICTURE, directory: Path | None = None) -> list[str]:
    """Run the crawler, take its picture at ``picture``; the screen's lines."""
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        process, socket = start_program(directory or Path(scratch))
        try:
            return asyncio.run(take(socket, picture))
        finally:
            process.kill()
            process.wait()


if __name__ == "__main__":
    started = time.monotonic()
    lines = main()
    print("\n".join(lines))
    print(f"wrote {PICTURE.relative_to(ROOT)} in {time.monotonic() - started:.1f} s")

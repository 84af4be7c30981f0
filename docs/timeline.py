"""Draw the README's timeline of a real run: ``python docs/timeline.py``.

It runs `PROGRAM` (a crawler: 16 workers fetching pages through a pool of 4
connections, each fetch three awaits deep) under ``desugar run --trace``, and
draws the trace file with ``python -m desugar.trace.svg`` as
``docs/img/timeline.svg``: a row per task, a bar per poll with a bar above it per
level of the await chain it polled, lines from each waker to the poll it caused.
``tests/test_trace.py`` draws it again and checks the committed picture shows
the same tasks.

``python docs/timeline.py --viewer`` opens the same trace file in a trace
viewer that ships with Chromium (its DevTools Performance panel, served offline
by the browser itself; this Chromium no longer has ``chrome://tracing``), zooms
to a burst of polls, opens a few tasks' tracks to show their await chains, and
saves ``docs/img/timeline-chrome-tracing.png``. It needs ``chromium``,
``chromedriver`` and Selenium.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PICTURE = ROOT / "docs" / "img" / "timeline.svg"
SCREENSHOT = ROOT / "docs" / "img" / "timeline-chrome-tracing.png"
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


def run_traced(directory: Path) -> Path:
    """Run the crawler in ``directory`` under ``desugar run --trace``; the trace file."""
    (directory / "crawler.py").write_text(PROGRAM, encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    subprocess.run(
        [sys.executable, "-m", "desugar", "run", "--trace", "crawler.json", "crawler.py"],
        cwd=directory, env=env, check=True, capture_output=True, timeout=120,
    )
    return directory / "crawler.json"


_FILE_INPUTS = """
function walk(root, found) {
    for (const e of root.querySelectorAll('input[type=file]')) found.push(e);
    for (const e of root.querySelectorAll('*')) if (e.shadowRoot) walk(e.shadowRoot, found);
    return found;
}
return walk(document, []);
"""

_LANDING_PAGES = """
function walk(root, found) {
    for (const e of root.querySelectorAll('.timeline-landing-page')) found.push(e);
    for (const e of root.querySelectorAll('*')) if (e.shadowRoot) walk(e.shadowRoot, found);
    return found;
}
return walk(document, []).filter(e => e.offsetParent !== null).length;
"""

_TEXT = """
function walk(root, found) {
    if (root.body) found.push(root.body.innerText);
    else for (const child of root.children) found.push(child.innerText || '');
    for (const e of root.querySelectorAll('*')) if (e.shadowRoot) walk(e.shadowRoot, found);
    return found;
}
return walk(document, []).join('\\n');
"""


def screenshot(trace_file: Path, picture: Path, *, chromium: str = "chromium",
               chromedriver: str = "chromedriver") -> dict:
    """Open ``trace_file`` in Chromium's trace viewer and save ``picture`` (a PNG).

    Returns what the viewer showed: ``{"loaded": bool, "size": (w, h), "text": str,
    "expanded": [track, ...]}`` (``text``: the page's text, with the summary of the
    range it shows; ``expanded``: the tracks it announced opening, ``"name (tid)"``).
    The clicks are at fixed places of a 1600x1200 window at scale 1.
    """
    import shutil
    import time

    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.actions.action_builder import ActionBuilder

    options = Options()
    options.binary_location = shutil.which(chromium) or chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1600,1200",
                     "--disable-dev-shm-usage", "--force-device-scale-factor=1"):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(shutil.which(chromedriver) or chromedriver))

    def click(x: int, y: int) -> None:
        action = ActionBuilder(driver)
        action.pointer_action.move_to_location(x, y).click()
        action.perform()
        time.sleep(0.5)

    try:
        # The DevTools front end is served by the browser's own debugging port: offline.
        address = driver.capabilities["goog:chromeOptions"]["debuggerAddress"]
        driver.get(f"http://{address}/devtools/devtools_app.html?panel=timeline")
        deadline = time.monotonic() + 20
        inputs = []
        while not inputs and time.monotonic() < deadline:
            time.sleep(0.5)
            inputs = driver.execute_script(_FILE_INPUTS)
        inputs[0].send_keys(str(Path(trace_file).resolve()))  # the "Load profile" button's input
        deadline = time.monotonic() + 20
        while driver.execute_script(_LANDING_PAGES) and time.monotonic() < deadline:
            time.sleep(0.5)
        loaded = not driver.execute_script(_LANDING_PAGES)
        time.sleep(1.5)
        click(1570, 77)  # close the keyboard shortcuts card shown on first load
        click(15, 39)  # hide the sidebar
        click(9, 128)  # open the process: a track per task
        # Zoom: drag over 8.5 to 22 ms in the overview (5.42 px a ms), then onto a burst of polls.
        action = ActionBuilder(driver)
        action.pointer_action.move_to_location(46, 80).pointer_down().move_to_location(80, 80)
        action.pointer_action.move_to_location(119, 80).pointer_up()
        action.perform()
        time.sleep(1)
        expanded = []  # the tracks the viewer says it opened, as it names them
        for y in (335, 292, 271, 209):  # open four tasks' tracks: their await chains
            click(20, y)
            said = re.findall(r"^(.+) \((\d+)\) expanded$", driver.execute_script(_TEXT), re.M)
            expanded.extend(f"{name} ({tid})" for name, tid in said[-1:])
        deadline = time.monotonic() + 10
        while "Range:" not in driver.execute_script(_TEXT) and time.monotonic() < deadline:
            time.sleep(0.5)
        time.sleep(0.5)
        driver.save_screenshot(str(picture))
        size = driver.execute_script("return [window.innerWidth, window.innerHeight]")
        text = driver.execute_script(_TEXT).replace("\N{NO-BREAK SPACE}", " ")
        return {"loaded": loaded, "size": tuple(size), "text": text, "expanded": expanded}
    finally:
        driver.quit()


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as temporary:
        if "--viewer" in sys.argv[1:]:
            screenshot(run_traced(Path(temporary)), SCREENSHOT)
            print(f"wrote {SCREENSHOT.relative_to(ROOT)}")
        else:
            draw(Path(temporary), PICTURE)
            print(f"wrote {PICTURE.relative_to(ROOT)}")

"""Translation throughput: the import hook's against the CLI's ``--no-format``, on the same files.

Run ``python bench/hook_translation.py`` (``--package NAME`` for another
installed package than anyio; stdlib asyncio if it is not installed;
``--repeats N``). In this process, alternately, best of the repeats of process
CPU time, over the package's files that hold ``async`` or ``await``:

- CLI: ``desugar.translate(source, format=False)``, what ``desugar FILE
  --no-format`` does per file (the text of the translation, checked to compile);
- hook: what the import hook does for a module it has not cached
  (``desugar.cache._compile``: the translation with the original line numbers
  and columns, compiled, its coroutines flagged), without reading or writing
  the cache.

``bench/run.py`` prints the same two rows for the stdlib's asyncio package.
"""

from __future__ import annotations

import argparse
import glob
import importlib
import os
import sys
import time
from typing import Callable

import desugar
from desugar import cache
from desugar.mode import DEFAULT


def package_files(name: str) -> list[str]:
    """The ``.py`` files of installed package ``name`` that hold ``async`` or ``await``."""
    module = importlib.import_module(name)
    root = os.path.dirname(os.path.abspath(module.__file__ or ""))
    found = []
    for path in sorted(glob.glob(os.path.join(root, "**", "*.py"), recursive=True)):
        with open(path, "rb") as f:
            data = f.read()
        if b"async" in data or b"await" in data:
            found.append(path)
    return found


def measure(paths: list[str], repeats: int) -> dict:
    """Lines per second of CPU of the CLI's and the hook's translation of ``paths``, alternated."""
    sources = []
    for path in paths:
        with open(path, "rb") as f:
            data = f.read()
        try:
            desugar.translate(data.decode("utf-8"), path, format=False)
        except desugar.TranslateError:
            continue  # uses a construct not lowered yet: in neither row
        sources.append((path, data))
    lines = sum(data.count(b"\n") + 1 for _, data in sources)

    def cli() -> None:
        for path, data in sources:
            desugar.translate(data.decode("utf-8"), path, format=False)

    def hook() -> None:
        for path, data in sources:
            cache._compile(data, path, DEFAULT)

    cli()
    hook()  # (warm both: the first pass pays for imports and caches)
    samples: dict[str, list[float]] = {"cli": [], "hook": []}
    runs: list[tuple[str, Callable[[], None]]] = [("cli", cli), ("hook", hook)]
    for round in range(repeats):
        for name, run in runs if round % 2 == 0 else runs[::-1]:
            start = time.process_time()
            run()
            samples[name].append(time.process_time() - start)
    cli_s, hook_s = min(samples["cli"]), min(samples["hook"])
    return {
        "files": len(sources),
        "lines": lines,
        "cli_lines_per_s": lines / cli_s,
        "hook_lines_per_s": lines / hook_s,
        "hook_vs_cli": cli_s / hook_s,
        "samples_s": samples,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--package", default="anyio", help="an installed package (default: anyio)")
    parser.add_argument("--repeats", type=int, default=5, help="rounds of each, alternated (default 5)")
    args = parser.parse_args()
    name = args.package
    try:
        paths = package_files(name)
    except ImportError:
        print(f"{name} is not installed: measuring the stdlib's asyncio instead")
        name = "asyncio"
        paths = package_files(name)
    figures = measure(paths, args.repeats)
    print(
        f"{name}: {figures['files']} files with async, {figures['lines']} lines; Python "
        f"{sys.version.split()[0]}; best of {args.repeats} of process CPU time, alternated; "
        f"load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}"
    )
    print(f"  CLI --no-format (desugar.translate)   {figures['cli_lines_per_s']:8,.0f} lines/s")
    print(
        f"  import hook (translate with lines,    {figures['hook_lines_per_s']:8,.0f} lines/s  "
        f"({figures['hook_vs_cli']:.2f}x the CLI's)"
    )
    print("    compile, flag coroutines)")


if __name__ == "__main__":
    main()

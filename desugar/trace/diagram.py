"""The article's stack-over-time figure for one task of a trace that ``desugar run --trace`` wrote.

``python -m desugar.trace.diagram out.json --task NAME [--svg FILE] [--quantum MS]``

`desugar diagram` draws a small program's resumptions as it runs; this draws
them from a trace file, for one task of a run of any size: a column per poll
of the task, the await chain it polled (outermost lowest) with what it then
waited on above, and the time between polls under each gap. It uses
`desugar.diagram`'s drawing.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from typing import Any

from desugar.diagram import Column, render_svg, render_text, select


def _short(function: str) -> str:
    """``app::Class::method`` as the figure names frames: ``Class.method``."""
    return ".".join(function.split("::")[1:]) or function


def _leaf(waits_on: str) -> str:
    return waits_on[:-2] if waits_on.endswith("()") else waits_on


def tracks(events: list[dict[str, Any]]) -> dict[int, str]:
    """The tasks' tracks: tid -> the task's name (without the ``(task N)`` it is shown with)."""
    return {
        e["tid"]: re.sub(r" \(task \d+\)$", "", e["args"]["name"]) for e in events
        if e["ph"] == "M" and e["name"] == "thread_name" and 0 < e["tid"] < 1_000_000
    }


def columns(events: list[dict[str, Any]]) -> list[Column]:
    """A column per poll (of every task), in time order."""
    names = tracks(events)
    slices = sorted(
        (e for e in events if e["ph"] == "X" and e.get("cat") in ("poll", "await")),
        key=lambda e: (e["ts"], e["cat"] != "poll"),
    )
    found: list[tuple[float, list[str], str, str]] = []
    for event in slices:
        if event["tid"] not in names:
            continue
        if event["cat"] == "poll":
            found.append((event["ts"], [], event["args"].get("waits_on", ""), names[event["tid"]]))
        elif found:
            found[-1][1].append(_short(event["name"]))
    if not found:
        return []
    first = found[0][0]
    return [
        Column((ts - first) / 1e6, tuple(frames + ([_leaf(waits)] if waits else [])), task)
        for ts, frames, waits, task in found
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m desugar.trace.diagram",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("trace", help="the file desugar run --trace wrote")
    parser.add_argument("--task", action="append", default=[], metavar="NAME",
                        help="the task to draw (its name in the trace; repeatable; default: all)")
    parser.add_argument("--svg", metavar="FILE", help="also draw the figure as an SVG picture")
    parser.add_argument("--quantum", type=int, default=10, metavar="MS")
    parser.add_argument("--max-columns", type=int, default=60, metavar="N")
    parser.add_argument("--width", type=int, default=100, metavar="CHARS")
    args = parser.parse_args(argv)
    with open(args.trace, encoding="utf-8") as file:
        data = json.load(file)
    events = data["traceEvents"] if isinstance(data, dict) else data
    every = columns(events)
    names = sorted(set(tracks(events).values()))
    wanted = [c for c in every if not args.task or c.task in args.task]
    if not wanted:
        print(f"python -m desugar.trace.diagram: no task named {', '.join(map(repr, args.task))} "
              f"polled in {args.trace}; the tasks are: {', '.join(names)}", file=sys.stderr)
        return 1
    drawn, note = select(wanted, {}, (), args.max_columns)
    sys.stdout.write(render_text(drawn, args.quantum, args.width, note))
    if args.svg:
        with open(args.svg, "w", encoding="utf-8") as file:
            file.write(render_svg(drawn, args.quantum, note=note))
    return 0


if __name__ == "__main__":
    sys.exit(main())

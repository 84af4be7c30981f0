"""The article's stack-over-time figure for one task of a trace that ``desugar run --trace`` wrote.

``desugar diagram --trace out.json --task NAME_OR_ID [-o FILE] [--svg FILE]``
(also ``python -m desugar.trace.diagram out.json --task NAME_OR_ID [--svg FILE]``)

`desugar diagram SCRIPT` draws a small program's resumptions as it runs; this
draws them from a trace file, for one task of a run of any size: a column per
poll of the task, the await chain it polled (outermost lowest) with what it
then waited on above, and the time between polls under each gap. A task is
chosen by its track's name in the trace (``worker (task 3)``), by the name
its driver gave it (``worker``: every task of that name) or by its id (``3``).
It uses `desugar.diagram`'s drawing.
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
    return [column for column, _ in _polls(events)]


def _polls(events: list[dict[str, Any]]) -> list[tuple[Column, int]]:
    """A column per poll of every task, in time order, each with its task's id."""
    names = tracks(events)
    chains: dict[tuple[int, float], list[str]] = {}
    polls = []
    for event in events:  # (a poll's chain: the await slices of its track at its start)
        if event["ph"] != "X" or event["tid"] not in names:
            continue
        if event.get("cat") == "poll":
            polls.append(event)
        elif event.get("cat") == "await":
            chains.setdefault((event["tid"], event["ts"]), []).append(_short(event["name"]))
    polls.sort(key=lambda e: e["ts"])
    if not polls:
        return []
    first = polls[0]["ts"]
    found = []
    for poll in polls:
        waits = poll["args"].get("waits_on", "")
        frames = chains.get((poll["tid"], poll["ts"]), []) + ([_leaf(waits)] if waits else [])
        found.append((Column((poll["ts"] - first) / 1e6, tuple(frames), names[poll["tid"]]), poll["tid"]))
    return found


class TraceError(Exception):
    """A trace file that cannot be drawn, or a task it does not hold (the message says which)."""


def read(path: str) -> list[dict[str, Any]]:
    """The events of the trace file ``path`` (raises `TraceError`)."""
    try:
        with open(path, encoding="utf-8") as file:
            data = json.load(file)
    except OSError as error:
        raise TraceError(f"cannot read {path}: {error.strerror or error}") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise TraceError(
            f"{path} is not a trace file ({error}); give the file desugar run --trace wrote"
        ) from None
    events = data.get("traceEvents") if isinstance(data, dict) else data
    if not isinstance(events, list) or not all(isinstance(e, dict) for e in events):
        raise TraceError(f"{path} holds no trace events; give the file desugar run --trace wrote")
    return events


def _ids(ids: list[int]) -> str:
    """``2-5, 9``: ids, runs of consecutive ones as a range."""
    runs: list[list[int]] = []
    for one in sorted(ids):
        if runs and one == runs[-1][1] + 1:
            runs[-1][1] = one
        else:
            runs.append([one, one])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


def listing(events: list[dict[str, Any]]) -> str:
    """The tasks of a trace, for an error: ``main (task 1), worker (tasks 2-41)``."""
    by_name: dict[str, list[int]] = {}
    for tid, name in sorted(tracks(events).items()):
        by_name.setdefault(name, []).append(tid)
    return ", ".join(
        f"{name} (task {ids[0]})" if len(ids) == 1 else f"{name} (tasks {_ids(ids)})"
        for name, ids in by_name.items()
    )


def chosen(events: list[dict[str, Any]], wanted: list[str] | tuple[str, ...], path: str) -> list[Column]:
    """The columns of the tasks ``wanted`` names (all tasks if none), each labelled with its
    task's name (its track's whole name where two drawn tasks share a name)."""
    names = tracks(events)
    full = {tid: f"{name} (task {tid})" for tid, name in names.items()}
    tids: set[int] = set()
    for value in wanted:
        number = value[len("task "):] if value.startswith("task ") else value
        found = {
            tid for tid, name in names.items()
            if value in (name, full[tid]) or (number.isdigit() and tid == int(number))
        }
        if not found:
            raise TraceError(f"no task {value!r} in {path}; the tasks are: {listing(events)}")
        tids |= found
    if not wanted:
        tids = set(names)
    drawn = [n for tid, n in names.items() if tid in tids]
    label = {tid: full[tid] if drawn.count(names[tid]) > 1 else names[tid] for tid in tids}
    return [column._replace(task=label[tid]) for column, tid in _polls(events) if tid in tids]


def draw(path: str, wanted: list[str] | tuple[str, ...], quantum: int = 10, width: int = 100,
         max_columns: int = 60) -> tuple[str, str]:
    """The figure of the tasks ``wanted`` of the trace file ``path``: (its text, its SVG).

    Raises `TraceError` (a file that is no trace, a task it does not hold, no poll)."""
    events = read(path)
    found = chosen(events, wanted, path)
    if not found:
        raise TraceError(f"{path} holds no poll of any task; nothing to draw")
    drawn, note = select(found, {}, (), max_columns)
    return render_text(drawn, quantum, width, note), render_svg(drawn, quantum, note=note)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m desugar.trace.diagram",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("trace", help="the file desugar run --trace wrote")
    parser.add_argument("--task", action="append", default=[], metavar="NAME_OR_ID",
                        help="the task to draw: its track's name, its name or its id "
                        "(repeatable; default: all)")
    parser.add_argument("--svg", metavar="FILE", help="also draw the figure as an SVG picture")
    parser.add_argument("--quantum", type=int, default=10, metavar="MS")
    parser.add_argument("--max-columns", type=int, default=60, metavar="N")
    parser.add_argument("--width", type=int, default=100, metavar="CHARS")
    args = parser.parse_args(argv)
    try:
        text, svg = draw(args.trace, args.task, args.quantum, args.width, args.max_columns)
    except TraceError as error:
        print(f"python -m desugar.trace.diagram: {error}", file=sys.stderr)
        return 1
    sys.stdout.write(text)
    if args.svg:
        with open(args.svg, "w", encoding="utf-8") as file:
            file.write(svg)
    return 0


if __name__ == "__main__":
    sys.exit(main())

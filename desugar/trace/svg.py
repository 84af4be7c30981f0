"""Draw a trace that ``desugar run --trace`` wrote as an SVG timeline, as a trace viewer lays it out.

``python -m desugar.trace.svg out.json -o timeline.svg [--start MS] [--end MS] [--tasks N]``

A row per task (its track), time from left to right; each poll a bar, with a bar
above it per level of the await chain it polled (outermost lowest, as the
article's figure stacks them), coloured by function; a line from each waker to
the poll its wake caused. It reads only the trace file: what Perfetto or
``chrome://tracing`` would show of it, drawn without a browser.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import sys
from typing import Any

LABEL = 190  # the names' column, px
LEVEL = 11  # one level of the chain, px
GAP = 6


def _colour(name: str) -> str:
    digest = hashlib.md5(name.encode()).digest()
    hue = digest[0] * 360 // 256
    return f"hsl({hue},55%,62%)"


def render(
    events: list[dict[str, Any]], *, width: int = 1200, start_ms: float | None = None,
    end_ms: float | None = None, tasks: int | None = None, title: str = "",
) -> str:
    """The SVG of ``events`` (a trace's ``traceEvents``) between ``start_ms`` and ``end_ms``."""
    names = {
        e["tid"]: e["args"]["name"] for e in events
        if e["ph"] == "M" and e["name"] == "thread_name" and e["tid"] and e["tid"] < 1_000_000
    }
    slices = [e for e in events if e["ph"] == "X" and e.get("cat") in ("poll", "await")]
    if not slices:
        raise ValueError("the trace holds no polls")
    first = min(e["ts"] for e in slices)
    t0 = first if start_ms is None else first + start_ms * 1000
    t1 = max(e["ts"] + e["dur"] for e in slices) if end_ms is None else first + end_ms * 1000
    t1 = max(t1, t0 + 1)
    shown = [e for e in slices if e["ts"] + e["dur"] >= t0 and e["ts"] <= t1]
    tids = sorted(names)
    if tasks is not None:
        tids = tids[:tasks]
    depth: dict[int, int] = {}
    level: dict[int, int] = {}  # (by id(): the level of each slice in its poll)
    current: dict[int, int] = {}
    for event in sorted(shown, key=lambda e: (e["ts"], e["cat"] != "poll")):
        tid = event["tid"]
        if event["cat"] == "poll":
            current[tid] = 0
        else:
            current[tid] = current.get(tid, 0) + 1
        level[id(event)] = current[tid]
        depth[tid] = max(depth.get(tid, 0), current[tid])
    rows: dict[int, int] = {}
    y = 30
    for tid in tids:
        rows[tid] = y
        y += (depth.get(tid, 0) + 1) * LEVEL + GAP
    height = y + 44
    scale = (width - LABEL - 10) / (t1 - t0)

    def x(ts: float) -> float:
        return LABEL + (min(max(ts, t0), t1) - t0) * scale

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="monospace" font-size="10">',
        f'<rect width="{width}" height="{height}" fill="#fcfcfc"/>',
        f'<text x="8" y="16" font-size="12">{html.escape(title)}</text>',
    ]
    for tid in tids:
        base = rows[tid] + depth.get(tid, 0) * LEVEL
        out.append(f'<text x="8" y="{base + 9}">{html.escape(names[tid][:30])}</text>')
        out.append(f'<line x1="{LABEL}" y1="{base + LEVEL}" x2="{width - 10}" y2="{base + LEVEL}" '
                   'stroke="#e4e4e4"/>')
    functions: dict[str, str] = {}
    for event in shown:
        tid = event["tid"]
        if tid not in rows:
            continue
        left, right = x(event["ts"]), x(event["ts"] + event["dur"])
        top = rows[tid] + (depth.get(tid, 0) - level[id(event)]) * LEVEL
        fill = "#9a9a9a" if event["cat"] == "poll" else _colour(event["name"])
        where = event["args"].get("location", event["args"].get("outcome", ""))
        out.append(
            f'<rect x="{left:.1f}" y="{top}" width="{max(right - left, 1.5):.1f}" '
            f'height="{LEVEL - 1}" fill="{fill}"><title>{html.escape(event["name"])} '
            f'{html.escape(str(where))}</title></rect>'
        )
        if event["cat"] == "await":
            functions.setdefault(event["name"], fill)
            label = event["name"].rpartition("::")[2]
            if right - left > 6 * len(label) + 4:
                out.append(f'<text x="{left + 2:.1f}" y="{top + LEVEL - 3}" font-size="8">'
                           f'{html.escape(label)}</text>')
    starts = {e["id"]: e for e in events if e["ph"] == "s"}
    for end in (e for e in events if e["ph"] == "f"):
        begin = starts.get(end["id"])
        if begin is None or begin["tid"] not in rows or end["tid"] not in rows:
            continue
        if not (t0 <= begin["ts"] <= t1 and t0 <= end["ts"] <= t1):
            continue
        y0 = rows[begin["tid"]] + depth.get(begin["tid"], 0) * LEVEL + LEVEL // 2
        y1 = rows[end["tid"]] + depth.get(end["tid"], 0) * LEVEL + LEVEL // 2
        out.append(f'<line x1="{x(begin["ts"]):.1f}" y1="{y0}" x2="{x(end["ts"]):.1f}" y2="{y1}" '
                   'stroke="#3060c0" stroke-opacity="0.35" stroke-width="0.7"/>')
    span = (t1 - t0) / 1000
    at = LABEL
    for name, fill in sorted(functions.items()):
        out.append(f'<rect x="{at}" y="{height - 16}" width="9" height="9" fill="{fill}"/>')
        out.append(f'<text x="{at + 12}" y="{height - 8}">{html.escape(name)}</text>')
        at += 12 + 6.2 * len(name) + 14
    out.append(f'<rect x="{at}" y="{height - 16}" width="9" height="9" fill="#9a9a9a"/>')
    out.append(f'<text x="{at + 12}" y="{height - 8}">poll</text>')
    for k in range(6):
        at = LABEL + k * (width - LABEL - 10) / 5
        out.append(f'<text x="{at:.0f}" y="{height - 28}" text-anchor="middle">'
                   f'{((t0 - first) / 1000 + k * span / 5):.1f} ms</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m desugar.trace.svg", description=__doc__.splitlines()[0])
    parser.add_argument("trace", help="the file desugar run --trace wrote")
    parser.add_argument("-o", "--output", required=True, help="the SVG to write")
    parser.add_argument("--start", type=float, help="from this time (ms after the first poll)")
    parser.add_argument("--end", type=float, help="to this time (ms after the first poll)")
    parser.add_argument("--tasks", type=int, help="the first N tasks only")
    parser.add_argument("--width", type=int, default=1200)
    args = parser.parse_args(argv)
    with open(args.trace, encoding="utf-8") as file:
        data = json.load(file)
    events = data["traceEvents"] if isinstance(data, dict) else data
    program = next((e["args"]["name"] for e in events if e.get("name") == "process_name"), "")
    try:
        svg = render(events, width=args.width, start_ms=args.start, end_ms=args.end,
                     tasks=args.tasks, title=f"desugar run --trace {program}")
    except ValueError as error:
        print(f"python -m desugar.trace.svg: {args.trace}: {error}", file=sys.stderr)
        return 1
    with open(args.output, "w", encoding="utf-8") as file:
        file.write(svg)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""What the console shows, as text: durations, histograms, the task tree, sort orders.

Plain functions of a snapshot (`desugar.console.server`'s), so the terminal UI
(`desugar.console.app`) only lays them out, and they are tested without it.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Sequence

Task = dict[str, Any]

STATES = ("running", "scheduled", "idle", "done")
#: The order states sort in: what needs attention first.
_STATE_ORDER = {state: index for index, state in enumerate(STATES)}


def duration(seconds: float) -> str:
    """``seconds`` in the unit that reads best: ``0``, ``850ns``, ``12.3µs``, ``4.56ms``, ``1.23s``, ``2m03s``."""
    if seconds <= 0:
        return "0"
    if seconds < 1e-6:
        return f"{seconds * 1e9:.0f}ns"
    for unit, scale in (("µs", 1e-6), ("ms", 1e-3), ("s", 1.0)):
        value = seconds / scale
        if value < 999.5 or unit == "s":
            if unit == "s" and value >= 60:
                minutes, rest = divmod(int(value), 60)
                return f"{minutes}m{rest:02d}s"
            return f"{value:.0f}{unit}" if value >= 99.95 else f"{value:.3g}{unit}"
    raise AssertionError("unreachable")


def location(task: Task) -> str:
    return task.get("location") or ""


def warning_count(task: Task) -> int:
    return len(task.get("warnings") or ())


#: The sort orders ``s`` cycles through: (name, key, descending).
SORTS: list[tuple[str, Callable[[Task], Any], bool]] = [
    ("id", lambda task: task["id"], False),
    ("busy", lambda task: task.get("busy", 0.0), True),
    ("polls", lambda task: task.get("polls", 0), True),
    ("scheduled", lambda task: task.get("scheduled", 0.0), True),
    ("idle", lambda task: task.get("idle", 0.0), True),
    ("warnings", warning_count, True),
    ("state", lambda task: _STATE_ORDER.get(task.get("state", ""), len(STATES)), False),
    ("name", lambda task: task.get("name", ""), False),
]


def sorted_tasks(tasks: Sequence[Task], sort: int) -> list[Task]:
    """``tasks`` in sort order ``sort`` (an index into `SORTS`), ties by id."""
    _name, key, descending = SORTS[sort % len(SORTS)]
    ordered = sorted(tasks, key=lambda task: task["id"])
    return sorted(ordered, key=key, reverse=descending)


def row(task: Task) -> tuple[str, ...]:
    """A task's cells in the table: id, name, state, polls, busy, scheduled, idle, location, warnings."""
    warnings = warning_count(task)
    return (
        str(task["id"]),
        task.get("name", ""),
        task.get("state", ""),
        str(task.get("polls", 0)),
        duration(task.get("busy", 0.0)),
        duration(task.get("scheduled", 0.0)),
        duration(task.get("idle", 0.0)),
        location(task),
        f"⚠ {warnings}" if warnings else "",
    )


COLUMNS = ("ID", "Name", "State", "Polls", "Busy", "Sched", "Idle", "Location", "Warn")

# --------------------------------------------------------------------------
# Histograms

#: Histogram buckets, upper bounds in nanoseconds: a decade each, from 1µs to 1s, then above.
BUCKETS = (1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000)
_BAR = 30
_SPARKS = "▁▂▃▄▅▆▇█"


def percentile(ordered: Sequence[int], fraction: float) -> int:
    """The value at ``fraction`` (0 to 1) of ``ordered`` (sorted, not empty), nearest rank."""
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def histogram(times_ns: Sequence[int]) -> list[str]:
    """The lines of a histogram of ``times_ns``: a summary line, then a bar per decade bucket.

    ::

        p50 12.1µs  p90 40µs  p99 1.2ms  max 2.01ms  (last 120)
          ≤ 1µs    │
          ≤ 10µs   │██████████████████████████████ 80
    """
    if not times_ns:
        return ["(none yet)"]
    ordered = sorted(times_ns)
    summary = "  ".join(
        f"{label} {duration(percentile(ordered, fraction) / 1e9)}"
        for label, fraction in (("p50", 0.5), ("p90", 0.9), ("p99", 0.99), ("max", 1.0))
    )
    counts = [0] * (len(BUCKETS) + 1)
    for value in ordered:
        index = next((i for i, bound in enumerate(BUCKETS) if value <= bound), len(BUCKETS))
        counts[index] += 1
    first = next(i for i, count in enumerate(counts) if count)
    last = max(i for i, count in enumerate(counts) if count)
    most = max(counts)
    lines = [f"{summary}  (last {len(ordered)})"]
    for index in range(first, last + 1):
        label = f"≤ {duration(BUCKETS[index] / 1e9)}" if index < len(BUCKETS) else f"> {duration(BUCKETS[-1] / 1e9)}"
        width = round(_BAR * counts[index] / most)
        bar = "█" * width if width or not counts[index] else "▏"
        lines.append(f"  {label:<8} │{bar} {counts[index] if counts[index] else ''}".rstrip())
    return lines


def sparkline(times_ns: Sequence[int], width: int = 60) -> str:
    """The last ``width`` of ``times_ns`` as a sparkline (log scale, so short and long polls both show)."""
    recent = list(times_ns)[-width:]
    if not recent:
        return ""
    logs = [math.log10(max(value, 1)) for value in recent]
    low, high = min(logs), max(logs)
    if high - low < 1e-9:
        return _SPARKS[0] * len(recent)
    top = len(_SPARKS) - 1
    return "".join(_SPARKS[round((value - low) / (high - low) * top)] for value in logs)


def woken_by(task: Task) -> str:
    """``self 3 · task 10 · timer 5 · io 0 · other 0``, and the share that are self-wakes."""
    counts = task.get("woken_by") or {}
    parts = [f"{who} {counts.get(who, 0)}" for who in ("self", "task", "timer", "io", "other")]
    total = sum(counts.values()) if counts else 0
    line = " · ".join(parts)
    if total:
        line += f"  ({100 * counts.get('self', 0) / total:.0f}% self-wakes of {total})"
    return line


def chain_lines(task: Task) -> list[str]:
    """The task's await chain, a frame a line: ``function  file:line``."""
    frames = task.get("chain") or []
    if not frames:
        return ["(not suspended in a coroutine)"]
    width = max(len(frame.get("function", "")) for frame in frames)
    return [
        f"{frame.get('function', ''):<{width}}  {frame.get('file', '')}:{frame.get('line', '')}"
        for frame in frames
    ]


def span_lines(task: Task) -> list[str]:
    spans = task.get("spans") or []
    if not spans:
        return ["(none)"]
    lines = []
    for depth, span in enumerate(spans):
        fields = " ".join(f"{key}={value!r}" for key, value in (span.get("fields") or {}).items())
        lines.append(f"{'  ' * depth}{span.get('name', '')}{'  ' + fields if fields else ''}")
    return lines


def task_label(task: Task) -> str:
    where = location(task)
    return f"#{task['id']} {task.get('name', '')} [{task.get('state', '')}]" + (f" {where}" if where else "")


# --------------------------------------------------------------------------
# The task tree


def task_tree(tasks: Sequence[Task]) -> list[str]:
    """The tasks as a tree: under each task, the tasks it awaits, then those it spawned.

    A task awaited by another is drawn under its awaiter (``awaits``), as the
    task dump draws it; one nobody awaits, under the task that spawned it
    (``spawned``); the rest are roots. A task is drawn once.
    """
    by_id = {task["id"]: task for task in tasks}
    awaited_by: dict[int, int] = {}
    for task in sorted(tasks, key=lambda task: task["id"]):
        for other in task.get("awaits") or ():
            if other in by_id and other != task["id"]:
                awaited_by.setdefault(other, task["id"])
    children: dict[int, list[tuple[str, int]]] = {task_id: [] for task_id in by_id}
    roots = []
    for task_id in sorted(by_id):
        if task_id in awaited_by:
            children[awaited_by[task_id]].append(("awaits", task_id))
            continue
        parent = by_id[task_id].get("parent")
        if parent in by_id and parent != task_id:
            children[parent].append(("spawned", task_id))
        else:
            roots.append(task_id)
    lines: list[str] = []
    drawn: set[int] = set()

    def draw(task_id: int, prefix: str, last: bool, how: str | None) -> None:
        drawn.add(task_id)
        if how is None:
            lines.append(task_label(by_id[task_id]))
            below = ""
        else:
            lines.append(f"{prefix}{'└─' if last else '├─'} {how} {task_label(by_id[task_id])}")
            below = prefix + ("   " if last else "│  ")
        kids = [(kind, kid) for kind, kid in children[task_id] if kid not in drawn]
        kids.sort(key=lambda item: (item[0] != "awaits", item[1]))
        for index, (kind, kid) in enumerate(kids):
            if kid not in drawn:
                draw(kid, below, index == len(kids) - 1, kind)

    for root in roots:
        draw(root, "", True, None)
    for task_id in sorted(by_id):  # in a cycle of awaits (a deadlock): drawn from its lowest id
        if task_id not in drawn:
            draw(task_id, "", True, None)
    return lines

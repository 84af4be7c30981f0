"""The recorder's events in the Chrome trace-event format (Perfetto, chrome://tracing, speedscope).

- ``M`` metadata: the process named after the program, a thread (track) per
  task named as its driver names it (``tid`` = the task's id), a track
  ``timers, I/O`` (``tid`` 0) for wakes that came from no task, and per task
  with spans a track ``<task> spans`` (``tid`` = `SPAN_TRACK` + the task's id);
- ``X`` complete events: each poll (``name`` ``poll``, ``args`` its outcome and
  what it waits on), a nested one per level of its await chain (outermost
  first: ``name`` the function, ``args.location`` its ``file:line``), spans;
- ``s``/``f`` flow events (``id`` shared, ``cat`` ``wake``) from the waker (a
  poll of the waking task, or a zero-length ``X`` on track 0 for a timer,
  I/O or another thread) to the poll the wake caused.

Timestamps are microseconds since the recorder started.
"""

from __future__ import annotations

from typing import Any

SPAN_TRACK = 1_000_000


def visible(raw: Any) -> Any:
    from desugar.trace._recorder import visible

    return visible(raw)


def hidden_leaf(raw: Any) -> str:
    from desugar.trace._recorder import hidden_leaf

    return hidden_leaf(raw)


def events(recorder: Any, ring: list[tuple], records: list[Any]) -> list[dict[str, Any]]:
    pid = recorder.pid
    t0 = recorder.t0
    out: list[dict[str, Any]] = [
        {"ph": "M", "name": "process_name", "pid": pid, "tid": 0,
         "args": {"name": recorder.program or "desugar run"}},
        {"ph": "M", "name": "thread_name", "pid": pid, "tid": 0, "args": {"name": "timers, I/O"}},
        {"ph": "M", "name": "thread_sort_index", "pid": pid, "tid": 0, "args": {"sort_index": -1}},
    ]
    names = {}
    for record in records:
        if record.system:
            continue
        names[record.id] = record.name
        out.append({"ph": "M", "name": "thread_name", "pid": pid, "tid": record.id,
                    "args": {"name": f"{record.name} (task {record.id})"}})
        out.append({"ph": "M", "name": "thread_sort_index", "pid": pid, "tid": record.id,
                    "args": {"sort_index": record.id}})
    span_tracks = set()
    flows = set()  # (the wakes still in the ring: a flow whose start the ring dropped is left out)

    def us(ns: int) -> float:
        return round((ns - t0) / 1000, 3)

    for event in ring:
        kind = event[0]
        if kind == "P":
            _, tid, start, end, raw, outcome, waits_on, flow = event
            chain = visible(raw)
            if waits_on is None:
                waits_on = hidden_leaf(raw)
            ts, dur = us(start), max(us(end) - us(start), 0.0)
            args: dict[str, Any] = {"outcome": outcome}
            if waits_on:
                args["waits_on"] = waits_on
            out.append({"ph": "X", "name": "poll", "cat": "poll", "pid": pid, "tid": tid,
                        "ts": ts, "dur": dur, "args": args})
            for function, file, line in chain:
                out.append({"ph": "X", "name": function, "cat": "await", "pid": pid, "tid": tid,
                            "ts": ts, "dur": dur, "args": {"location": f"{file}:{line}"}})
            if flow in flows:
                out.append({"ph": "f", "bp": "e", "name": "wake", "cat": "wake", "id": flow,
                            "pid": pid, "tid": tid, "ts": ts})
        elif kind == "W":
            _, tid, at, flow, who = event
            ts = us(at)
            flows.add(flow)
            if tid == 0:
                out.append({"ph": "X", "name": who, "cat": "wake", "pid": pid, "tid": 0,
                            "ts": ts, "dur": 0.0, "args": {}})
            out.append({"ph": "s", "name": "wake", "cat": "wake", "id": flow, "pid": pid,
                        "tid": tid, "ts": ts, "args": {"by": who}})
        elif kind == "S":
            _, tid, start, end, name, fields = event
            track = SPAN_TRACK + tid
            if track not in span_tracks:
                span_tracks.add(track)
                owner = names.get(tid, "no task")
                out.append({"ph": "M", "name": "thread_name", "pid": pid, "tid": track,
                            "args": {"name": f"{owner} spans" + (f" (task {tid})" if tid else "")}})
                out.append({"ph": "M", "name": "thread_sort_index", "pid": pid, "tid": track,
                            "args": {"sort_index": tid}})
            out.append({"ph": "X", "name": name, "cat": "span", "pid": pid, "tid": track,
                        "ts": us(start), "dur": max(us(end) - us(start), 0.0),
                        "args": {k: _jsonable(v) for k, v in fields.items()}})
    return out


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return repr(value)

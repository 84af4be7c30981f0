"""Watch a running program through its polls: per-task poll records, a timeline, spans, lints.

Nothing here runs unless asked (``desugar run --trace FILE``, ``--lint``, or
`start`): the drivers' hooks are installed when a `Recorder` starts, so a
program run without them runs exactly as before.

A started `Recorder` records, for every task of the runtime's executor, of
asyncio (the C and the pure-Python ``Task``) and of trio, translated and native
code alike:

- each poll (a task's step): its start and end (``time.perf_counter_ns``), the
  await chain it polled (the task's coroutine down to the leaf it waits on,
  as ``function``, ``file``, ``line``; the runtime's and the drivers' own frames
  left out, as backtraces leave them out), and its outcome: ``pending`` (with
  what it waits on), ``ready`` or ``raised``. The chain of a pending poll is
  where the task now waits; that of its last poll is the one it resumed;
- each wake: who woke the task (``self``, another ``task``, a ``timer``,
  ``io``, ``other``: another thread, or code outside any task) and how long it
  then waited to be polled (its scheduled time);
- spans (`span`, `instrument`), and the lints below.

`desugar.trace.otel` (``desugar run --otel``) exports the tasks and spans to
OpenTelemetry when its API is installed: a span per task and per span.

``Recorder.write_trace(path)`` writes the Chrome trace-event format (Perfetto,
``chrome://tracing`` and speedscope open it): a track per task named as its
driver names it, a slice per poll with a nested slice per level of its await
chain, flow arrows from each waker to the poll it caused, spans as slices on
a track of their own per task. Memory is bounded: the events are a ring of the
last ``events`` (default `DEFAULT_EVENTS`).

Lints (``lint=True``), printed to stderr when one first fires for a task and
in a report at exit (`Recorder.lint_report`):

- ``lost-wakeup``: a task pending on an asyncio future that nothing outside
  the task's own await chain references, an executor task whose waker
  nothing outside its chain holds, or a trio task that nothing outside its
  own wait can reach to reschedule (`desugar.trace._trio_lost`): nothing can
  wake it, it hangs (checked when the loop is about to wait, at most once a
  second, with ``gc.get_referrers``; all three drivers);
- ``self-wakes``: a task that woke itself for more than half of at least
  `SELF_WAKE_MIN` wakeups (a busy loop of ``sleep(0)``); under trio, where every
  operation ends at a checkpoint that reschedules the task itself, only a self-wake at a
  checkpoint the program asked for (``trio.sleep(0)``, ``trio.lowlevel.checkpoint()``)
  with no other task woken and no operation passed since the last one counts;
- ``slow-poll``: a single poll that blocked the loop longer than
  ``slow_poll`` seconds (default 0.1, asyncio's slow-callback figure),
  reported with the line that was running (a watchdog thread looks at the
  loop's thread while the poll runs) and the await chain;
- ``never-retrieved``: a task that raised and whose exception nobody
  retrieved (asyncio's and the executor's; trio loses none);
- ``wake-after-completion``: a task woken after it finished (the executor).

`Recorder.snapshot` (safe to call from any thread while the loop runs: it is
built under the recorder's lock) returns a JSON-able dict::

    {"time": float,            # seconds since the recorder started
     "pid": int, "program": str,
     "driver": "asyncio" | "trio" | "executor",
     "tasks": [{
         "id": int, "name": str,
         "state": "running" | "scheduled" | "idle" | "done",
         "polls": int,
         "busy": float, "scheduled": float, "idle": float,   # seconds
         "location": "file:line" or "",   # where it is suspended (innermost frame)
         "chain": [{"function": str, "file": str, "line": int}],   # outermost first
         "parent": int | None,            # the task that spawned it
         "awaits": [int],                 # ids of the tasks it awaits
         "woken_by": {"self": n, "task": n, "timer": n, "io": n, "other": n},
         "poll_times": [int],             # ns, the last 1000 polls
         "scheduled_times": [int],        # ns, the last 1000 wakes
         "spans": [{"name": str, "fields": dict}],   # open spans, outermost first
         "warnings": [str]}],
     "warnings": [{"task": int, "lint": str, "message": str, "location": "file:line"}]}

`current` returns the started recorder (or None).
"""

from __future__ import annotations

from desugar.trace._recorder import DEFAULT_EVENTS as DEFAULT_EVENTS
from desugar.trace._recorder import SELF_WAKE_MIN as SELF_WAKE_MIN
from desugar.trace._recorder import Recorder as Recorder
from desugar.trace._recorder import current as current
from desugar.trace._recorder import start as start
from desugar.trace._spans import instrument as instrument
from desugar.trace._spans import span as span

__all__ = ["Recorder", "current", "start", "span", "instrument", "DEFAULT_EVENTS", "SELF_WAKE_MIN"]

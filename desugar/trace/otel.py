"""Export a recorded run to OpenTelemetry: a span per task, and one per `span` and `instrument`.

``desugar run --otel app.py``, or from a program::

    from desugar import trace
    from desugar.trace import otel

    recorder = trace.start("app")
    exporter = otel.start(recorder)          # the TracerProvider set globally, or tracer_provider=
    ...
    recorder.stop(); exporter.stop()         # ends what is still open and flushes

Needs the ``opentelemetry-api`` package (``pip install 'desugar[otel]'`` brings it
and the SDK); the spans go to the ``TracerProvider`` given, or to the one set
globally (by the program's ``trace.set_tracer_provider``, or by
``opentelemetry-instrument``), even when it is set after `start`.

- A task's span (named as the task, ``SpanKind.INTERNAL``) runs from the
  task's creation to its end; its parent is the span of the task that spawned
  it (a top-level task's is the OpenTelemetry context current at `start`). Its
  attributes: ``desugar.task.id``, ``desugar.task.driver``,
  ``desugar.task.polls``, ``desugar.task.busy_ns`` and
  ``desugar.task.scheduled_ns`` (the time it ran, and waited to run once
  woken), ``desugar.task.wakes``, ``desugar.task.location`` (where it ended,
  ``file:line``) and, for a task still running when the export stops,
  ``desugar.task.state`` (``idle``, ``scheduled``). A task's span is ended
  (and so exported) within `SWEEP_EVERY` seconds of its end, or when a span of
  a task it spawned needs it as parent.
- A `span` (from entering to leaving) and an `instrument`-ed awaitable (from
  its first poll to its end or its drop) are spans too, with their fields as
  attributes; the parent is the innermost span open in the same task, else
  the task's span (outside any task: the current OpenTelemetry context). An
  exception that leaves one is recorded on it (status ``ERROR``); a dropped
  one says ``desugar.span.dropped``.
"""

from __future__ import annotations

import threading
import time
from typing import Any

#: Seconds between two looks for the tasks that ended (their spans are then ended).
SWEEP_EVERY = 0.5
#: The span contexts of ended tasks kept (the parents of their children's spans, made later).
ENDED_KEPT = 100_000

_current: Exporter | None = None


def available() -> bool:
    """Is OpenTelemetry's API installed?"""
    try:
        import opentelemetry.trace  # noqa: F401
    except ImportError:
        return False
    return True


def start(recorder: Any, tracer_provider: Any = None) -> Exporter:
    """Start (and return) an `Exporter` of ``recorder``'s tasks and spans."""
    exporter = Exporter(recorder, tracer_provider)
    exporter.start()
    return exporter


def _attribute(value: Any) -> Any:
    """``value`` as an OpenTelemetry attribute value (str, bool, int, float, or their repr)."""
    if isinstance(value, (bool, int, float, str)):
        return value
    return repr(value)


class Exporter:
    """Makes a recorder's tasks and spans OpenTelemetry spans (see `desugar.trace.otel`)."""

    def __init__(self, recorder: Any, tracer_provider: Any = None) -> None:
        from opentelemetry import context, trace

        from desugar import __version__

        self.recorder = recorder
        self.provider = tracer_provider
        self.tracer = trace.get_tracer("desugar.trace", __version__, tracer_provider=tracer_provider)
        self.root = context.get_current()
        # (perf_counter_ns, which the records use, to the epoch's nanoseconds)
        self.offset = time.time_ns() - time.perf_counter_ns()
        self.open: dict[int, Any] = {}  # record id -> the task's span, not ended yet
        self.ended: dict[int, Any] = {}  # record id -> its ended span's context
        self.lock = threading.RLock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    # -- life ------------------------------------------------------------------

    def start(self) -> None:
        global _current
        _current = self
        self.recorder.otel = self
        self._thread = threading.Thread(target=self._sweeper, name="desugar-otel", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """End every span still open (a task still running ends now) and flush the provider."""
        global _current
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
        self.sweep()
        now = time.perf_counter_ns()
        with self.recorder.lock:
            records = list(self.recorder.tasks.values())
        for record in records:
            for span in list(record.spans):
                self.close(span, end=now, open_at_end=True)
        with self.lock:
            for record in records:
                if record.id in self.open:
                    self._end(record, record.end if record.end is not None else now)
        if getattr(self.recorder, "otel", None) is self:
            self.recorder.otel = None
        if _current is self:
            _current = None
        self.flush()

    def flush(self) -> None:
        from opentelemetry import trace

        provider = self.provider or trace.get_tracer_provider()
        force_flush = getattr(provider, "force_flush", None)
        if force_flush is not None:
            force_flush()

    def configured(self) -> bool:
        """Is there a TracerProvider to export to (given, or set globally)?"""
        from opentelemetry import trace

        return self.provider is not None or not isinstance(
            trace.get_tracer_provider(), trace.ProxyTracerProvider
        )

    def _sweeper(self) -> None:
        while not self._stopping.wait(SWEEP_EVERY):
            self.sweep()

    def sweep(self) -> None:
        """End the spans of the tasks that ended."""
        done = list(self.recorder.done)
        with self.lock:
            for record in done:
                if record.end is not None and record.id not in self.ended and not record.system:
                    self._end(record, record.end)

    # -- tasks -------------------------------------------------------------------

    def _task_span(self, record: Any) -> Any:
        """The span of ``record``'s task (started, from the task's creation, if new)."""
        span = self.open.get(record.id)
        if span is None:
            span = self.tracer.start_span(
                record.name,
                context=self._context_of(record.parent),
                start_time=record.created + self.offset,
                attributes={"desugar.task.id": record.id, "desugar.task.driver": record.driver},
            )
            self.open[record.id] = span
        return span

    def _context_of(self, task_id: int | None) -> Any:
        """The context a span of a task's child is made in (the task's span's)."""
        from opentelemetry import trace

        if task_id is None:
            return self.root
        ended = self.ended.get(task_id)
        if ended is not None:
            return trace.set_span_in_context(trace.NonRecordingSpan(ended), self.root)
        parent = self.recorder.tasks.get(task_id)
        if parent is None or parent.system:
            return self.root
        return trace.set_span_in_context(self._task_span(parent), self.root)

    def _end(self, record: Any, end: int) -> None:
        span = self.open.pop(record.id, None)
        if span is None:  # (a task none of whose children needed its span: made now)
            self._task_span(record)
            span = self.open.pop(record.id)
        chain = record.chain
        attributes = {
            "desugar.task.polls": record.polls,
            "desugar.task.busy_ns": record.busy,
            "desugar.task.scheduled_ns": record.sched,
            "desugar.task.wakes": record.wakes,
        }
        if chain:
            attributes["desugar.task.location"] = f"{chain[-1][1]}:{chain[-1][2]}"
        if record.end is None:
            attributes["desugar.task.state"] = record.state
        span.set_attributes(attributes)
        span.end(end_time=end + self.offset)
        self.ended[record.id] = span.get_span_context()
        if len(self.ended) > ENDED_KEPT:
            for key in list(self.ended)[: len(self.ended) - ENDED_KEPT]:
                del self.ended[key]

    # -- spans (desugar.trace._spans calls these) ----------------------------------

    def open_span(self, span: Any, start: int) -> None:
        """``span`` (a `desugar.trace._spans._Span`) opened at ``start`` (perf_counter_ns)."""
        from opentelemetry import trace

        record = span.record
        with self.lock:
            if record is None:
                parent = None
            else:
                parent = next(
                    (s._otel for s in reversed(record.spans) if s is not span and s._otel is not None),
                    None,
                )
                if parent is None:
                    parent = self._task_span(record)
            context = trace.set_span_in_context(parent, self.root) if parent is not None else None
        span._otel = self.tracer.start_span(
            span.name, context=context, start_time=start + self.offset,
            attributes={k: _attribute(v) for k, v in span.fields.items()},
        )

    def close(self, span: Any, error: BaseException | None = None, dropped: bool = False,
              end: int | None = None, open_at_end: bool = False) -> None:
        """``span`` left (``error``: the exception that left it; ``dropped``: never finished)."""
        otel = span._otel
        if otel is None:
            return
        span._otel = None
        if error is not None:
            from opentelemetry.trace import Status, StatusCode

            otel.record_exception(error)
            otel.set_status(Status(StatusCode.ERROR, f"{type(error).__name__}: {error}"))
        if dropped:
            otel.set_attribute("desugar.span.dropped", True)
        if open_at_end:
            otel.set_attribute("desugar.span.open_at_end", True)
        otel.end(end_time=(end if end is not None else time.perf_counter_ns()) + self.offset)

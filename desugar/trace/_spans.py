"""Spans, as the ``tracing`` crate has them: `span` (a context manager) and `instrument`.

Without a started recorder both cost a check and record nothing.
"""

from __future__ import annotations

from typing import Any

from desugar.trace import _recorder


class _Span:
    """A span open on a task (its record's ``spans``) or outside any task."""

    __slots__ = ("name", "fields", "record", "start", "_instrumented", "_otel")

    def __init__(self, name: str, fields: dict[str, Any], instrumented: bool = False) -> None:
        self.name = name
        self.fields = fields
        self.record: Any = None
        self.start = 0
        self._instrumented = instrumented
        self._otel: Any = None  # (its OpenTelemetry span, under desugar.trace.otel)


class span:
    """``with span("load", user=3): ...``: a span over the block, in the task that runs it.

    Inside a coroutine it stays open across the block's awaits: the task's
    snapshot lists it while it is open, and the timeline shows it as one slice
    (on the task's span track) from entering to leaving.
    """

    __slots__ = ("_span",)

    def __init__(self, name: str, **fields: Any) -> None:
        self._span = _Span(name, fields)

    def __enter__(self) -> span:
        recorder = _recorder._current
        if recorder is not None:
            span = self._span
            span.record = getattr(recorder.local, "task", None)
            span.start = _recorder._now()
            if span.record is not None:
                with recorder.lock:
                    span.record.spans = [*span.record.spans, span]
            if recorder.otel is not None:
                recorder.otel.open_span(span, span.start)
        return self

    def __exit__(self, *exc: Any) -> None:
        recorder = _recorder._current
        span = self._span
        if recorder is not None and span.start:
            record = span.record
            if record is not None:
                with recorder.lock:
                    record.spans = [s for s in record.spans if s is not span]
            end = _recorder._now()
            recorder.span_event(record, span.start, end, span.name, span.fields)
            if span._otel is not None:
                dropped = isinstance(exc[1], GeneratorExit)  # (its coroutine was dropped)
                recorder.otel.close(span, None if dropped else exc[1], dropped=dropped, end=end)
        span.start = 0


def instrument(awaitable: Any, name: str, **fields: Any) -> Any:
    """``await instrument(fetch(url), "fetch", url=url)``: ``awaitable`` in a span entered on
    each of its polls and when it is dropped (``tracing``'s ``Instrumented``)."""
    return _Instrumented(awaitable, _Span(name, fields, instrumented=True))


class _Instrumented:
    __slots__ = ("_awaitable", "_span", "_iterator")

    def __init__(self, awaitable: Any, span: _Span) -> None:
        self._awaitable = awaitable
        self._span = span
        self._iterator: Any = None

    def __await__(self) -> Any:
        return self

    def __iter__(self) -> Any:
        return self

    def _step(self, method: str, *args: Any) -> Any:
        recorder = _recorder._current
        span = self._span
        if self._iterator is None:
            self._iterator = self._awaitable.__await__()
            if recorder is not None:
                record = getattr(recorder.local, "task", None)
                span.record = record
                if record is not None:
                    with recorder.lock:
                        record.spans = [*record.spans, span]
                if recorder.otel is not None:
                    recorder.otel.open_span(span, _recorder._now())
        start = _recorder._now()
        try:
            return getattr(self._iterator, method)(*args)
        except BaseException as error:
            self._iterator = False  # (done: nothing left to drop)
            self._leave(recorder, error)
            raise
        finally:
            if recorder is not None:
                recorder.span_event(span.record, start, _recorder._now(), span.name, span.fields)

    def _leave(self, recorder: Any, error: BaseException | None = None, dropped: bool = False) -> None:
        span = self._span
        record = span.record
        if recorder is not None and record is not None:
            with recorder.lock:
                record.spans = [s for s in record.spans if s is not span]
        if span._otel is not None and recorder is not None and recorder.otel is not None:
            dropped = dropped or isinstance(error, GeneratorExit)
            ended = dropped or isinstance(error, StopIteration)  # (returned, or dropped: no error)
            recorder.otel.close(span, None if ended else error, dropped=dropped)

    def __next__(self) -> Any:
        return self._step("__next__")

    def send(self, value: Any) -> Any:
        return self._step("send", value)

    def throw(self, *args: Any) -> Any:
        return self._step("throw", *args)

    def close(self) -> None:
        """Drop the awaitable, inside the span."""
        recorder = _recorder._current
        if self._iterator:
            start = _recorder._now()
            try:
                self._iterator.close()
            finally:
                if recorder is not None:
                    recorder.span_event(
                        self._span.record, start, _recorder._now(), self._span.name,
                        {**self._span.fields, "dropped": True},
                    )
                self._iterator = False
                self._leave(recorder, dropped=True)

    def __del__(self) -> None:
        if self._iterator:
            try:
                self.close()
            except Exception:
                pass

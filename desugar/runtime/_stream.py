"""Streams: async generators lowered as rustc lowers ``async gen``, and ``async for``/``async with`` helpers.

A `Stream` is polled with ``poll_next(cx)``, which returns `Ready(item)`, `Pending`,
or ``None`` once the stream has ended (Rust's ``Poll<Option<T>>``).

A translated async generator is a generator that yields `Pending` while it
waits and ``Ready(item)`` for each item; after an item it is resumed with the
pair ``(cx, sent)``, ``sent`` being what ``asend()`` passed (``None`` otherwise).
`GenStream` adapts it to ``poll_next`` and to Python's async-generator
protocol (``__aiter__``, ``__anext__``, ``asend``, ``athrow``, ``aclose``) with
PEP 525's rules.
"""

from __future__ import annotations

import abc
import builtins
import sys
TYPE_CHECKING = False
if TYPE_CHECKING:  # typing is not imported at run time (import cost)
    from typing import Any, Callable, Generator

from desugar.runtime._future import Future
from desugar.runtime._gen_future import CO_ASYNC_GENERATOR, AsyncFn, into_future
from desugar.runtime._poll import Pending, Poll, Ready
from desugar.runtime._waker import Context

_new = object.__new__


class Stream(abc.ABC):
    """Anything with ``poll_next(cx)`` -> `Ready(item)` | `Pending` | ``None`` (ended)."""

    __slots__ = ()

    @abc.abstractmethod
    def poll_next(self, cx: Context) -> Poll | None:
        """Try to produce the next item."""

    def __aiter__(self) -> Stream:
        return self


class GenStream(Stream):
    """A translated async generator: a stream that also speaks Python's async-generator protocol."""

    __slots__ = (
        "_gen", "_at_item", "_running", "_finished", "_item", "_skip", "_finalizer", "__weakref__",
    )

    def __init__(self, gen: Generator[Any, Any, None]) -> None:
        self._gen = gen
        self._at_item = False  # suspended after an item: resume with (cx, sent)
        self._running = False  # an operation is suspended on Pending
        self._finished = False
        self._item: Poll | None = None  # an item produced while an exception was thrown in
        self._skip = False  # waiting again after a throw: the next poll is not a wake
        self._finalizer: Any = False  # False until first iterated (see _first_iteration)
        gen.send(None)

    def _name(self) -> str:
        return getattr(self._gen, "__qualname__", "async generator")

    def _resume(self, cx: Context, sent: Any = None, error: BaseException | None = None) -> Poll | None:
        """Run the generator to its next item, wait or end; ``None`` when it ended."""
        if self._item is not None:
            item, self._item = self._item, None
            return item
        if self._skip and error is None:
            self._skip = False
            return Pending
        if self._finished:
            return None
        gen = self._gen
        try:
            if error is not None:
                yielded = gen.throw(error)
            elif self._at_item:
                yielded = gen.send((cx, sent))
            else:
                yielded = gen.send(cx)
        except StopIteration:
            self._finished = True
            self._running = False
            return None
        except StopAsyncIteration as exc:
            self._finish()
            raise RuntimeError("async generator raised StopAsyncIteration") from exc
        except RuntimeError as exc:
            self._finish()
            if isinstance(exc.__cause__, StopIteration) and exc.args == ("generator raised StopIteration",):
                exc.args = ("async generator raised StopIteration",)
            raise
        except BaseException:
            self._finish()
            raise
        if yielded is Pending:
            self._at_item = False
            self._running = True
            return Pending
        self._at_item = True
        self._running = False
        return yielded

    def _finish(self) -> None:
        self._finished = True
        self._running = False

    def poll_next(self, cx: Context) -> Poll | None:
        """Resume the generator: `Ready(item)`, `Pending`, or ``None`` at the end."""
        if self._finalizer is False:
            self._first_iteration()
        return self._resume(cx)

    def _first_iteration(self) -> None:
        """Call the ``sys.set_asyncgen_hooks`` hooks as a native async generator does.

        asyncio's ``firstiter`` hook remembers the generator so that
        ``asyncio.run`` closes it at the end; its ``finalizer`` schedules
        ``aclose()`` when the generator is lost before it finished.
        """
        firstiter, finalizer = sys.get_asyncgen_hooks()
        self._finalizer = finalizer
        if firstiter is not None:
            firstiter(self)

    def __del__(self) -> None:
        if self._finalizer and not self._finished:
            self._finalizer(self)

    def _throw(self, error: BaseException) -> None:
        """Raise ``error`` where the generator waits; keep an item it yields for the next poll."""
        poll = self._resume(None, error=error)  # type: ignore[arg-type]
        if poll is Pending:
            self._skip = True
        elif poll is not None:
            self._item = poll

    # --- Python's protocol -------------------------------------------------
    def __aiter__(self) -> GenStream:
        return self

    def __anext__(self) -> Future:
        """An awaitable that gives the next item or raises ``StopAsyncIteration``."""
        if self._finalizer is False:
            self._first_iteration()
        return _Send(self, None, "anext")

    def asend(self, value: Any) -> Future:
        """Resume with ``value`` as the result of the current ``yield``."""
        if self._finalizer is False:
            self._first_iteration()
        return _Send(self, value, "asend")

    def athrow(self, typ: Any, val: Any = None, tb: Any = None) -> Future:
        """Raise an exception at the current ``yield``; gives the next item."""
        if self._finalizer is False:
            self._first_iteration()
        if isinstance(typ, BaseException):
            error = typ
        else:
            error = typ() if val is None else (val if isinstance(val, BaseException) else typ(val))
        if tb is not None:
            error = error.with_traceback(tb)
        return _Throw(self, error)

    def aclose(self) -> Future:
        """Raise ``GeneratorExit`` at the current ``yield`` and let ``finally`` blocks run."""
        return _Close(self)

    def close(self) -> None:
        """Drop the stream synchronously (its ``finally`` blocks may not await)."""
        self._finished = True
        self._gen.close()

    @property
    def ag_running(self) -> bool:
        return self._running

    def __repr__(self) -> str:
        return f"<GenStream {self._name()}>"


class _Op(Future):
    """One ``__anext__``/``asend``/``athrow``/``aclose`` in progress."""

    __slots__ = ("_stream", "_started", "_done", "_what")

    def __init__(self, stream: GenStream, what: str) -> None:
        self._stream = stream
        self._started = False
        self._done = False
        self._what = what

    def _throw(self, error: BaseException) -> None:
        """A throw while this operation waits goes into the generator."""
        if not self._started or self._done:
            raise error
        try:
            self._stream._throw(error)
        except BaseException:
            self._done = True
            raise

    def _outcome(self, resume: Callable[[], Poll | None]) -> Poll:
        """Resume the generator: the item, `Pending`, or StopAsyncIteration at the end."""
        try:
            poll = resume()
        except BaseException:
            self._done = True
            raise
        if poll is Pending:
            return Pending
        self._done = True
        if poll is None:
            raise StopAsyncIteration
        return poll

    def _begin(self) -> bool:
        """True on the first poll; checks that no other operation is running."""
        if self._done:
            raise RuntimeError(f"cannot reuse already awaited {self._what}()")
        if self._started:
            return False
        if self._stream._running:
            raise RuntimeError(f"{self._what}(): asynchronous generator is already running")
        self._started = True
        return True


class _Send(_Op):
    __slots__ = ("_value",)

    def __init__(self, stream: GenStream, value: Any, what: str) -> None:
        super().__init__(stream, what)
        self._value = value

    def poll(self, cx: Context) -> Poll:
        stream = self._stream
        sent = None
        if self._begin():
            sent = self._value
            if sent is not None and not stream._at_item and not stream._finished:
                raise TypeError("can't send non-None value to a just-started async generator")
        return self._outcome(lambda: stream._resume(cx, sent))


class _Throw(_Op):
    __slots__ = ("_error",)

    def __init__(self, stream: GenStream, error: BaseException) -> None:
        super().__init__(stream, "athrow")
        self._error = error

    def poll(self, cx: Context) -> Poll:
        stream = self._stream
        error = self._error if self._begin() else None
        if error is not None and stream._finished:
            self._done = True
            raise error
        return self._outcome(lambda: stream._resume(cx, error=error))


class _Close(_Op):
    __slots__ = ()

    def __init__(self, stream: GenStream) -> None:
        super().__init__(stream, "aclose")

    def poll(self, cx: Context) -> Poll:
        stream = self._stream
        first = self._begin()
        if stream._finished:
            self._done = True
            return Ready(None)
        try:
            poll = stream._resume(cx, error=GeneratorExit() if first else None)
        except (GeneratorExit, StopIteration):
            self._done = True
            stream._finish()
            return Ready(None)
        except BaseException:
            self._done = True
            raise
        if poll is Pending:
            return Pending
        self._done = True
        if poll is None:
            return Ready(None)
        stream._finish()
        stream._gen.close()
        raise RuntimeError("async generator ignored GeneratorExit")


class AsyncGenFn(AsyncFn):
    """A translated async generator function: calling it returns a `GenStream`.

    ``inspect.isasyncgenfunction`` says True for it (see `AsyncFn`).
    """

    __slots__ = ()
    _flag = CO_ASYNC_GENERATOR

    def __call__(self, *args: Any, **kwargs: Any) -> GenStream:  # type: ignore[override]
        return GenStream(self._genfn(*args, **kwargs))


def async_gen(genfn: Callable[..., Generator[Any, Any, None]]) -> AsyncGenFn:
    """Decorator for a translated async generator function: calling it returns a `GenStream`."""
    return AsyncGenFn(genfn)


class _AnextStream(Stream):
    """Any async iterator (``__anext__``) seen as a stream."""

    __slots__ = ("_it", "_anext", "_awaiting")

    def __init__(self, it: Any, anext: Callable[[Any], Any]) -> None:
        self._it = it
        self._anext = anext
        self._awaiting: Future | None = None

    def poll_next(self, cx: Context) -> Poll | None:
        if self._awaiting is None:
            result = self._anext(self._it)
            self._awaiting = _awaitable(
                result, f"'async for' received an invalid object from __anext__: {type(result).__name__}"
            )
        try:
            poll = self._awaiting.poll(cx)
        except StopAsyncIteration:
            self._awaiting = None
            return None
        if poll is not Pending:
            self._awaiting = None
        return poll


def aiter(obj: Any) -> Stream:
    """``async for``'s first step: ``type(obj).__aiter__(obj)``, as a stream."""
    aiter_method = getattr(type(obj), "__aiter__", None)
    if aiter_method is None:
        raise TypeError(
            f"'async for' requires an object with __aiter__ method, got {type(obj).__name__}"
        )
    if isinstance(obj, Stream) and type(obj) is not GenStream:
        return obj  # already adapted (an async comprehension's first iterable)
    it = aiter_method(obj)
    if type(it) is GenStream:
        return it
    anext = getattr(type(it), "__anext__", None)
    if anext is None:
        raise TypeError(
            "'async for' received an object from __aiter__ that does not implement "
            f"__anext__: {type(it).__name__}"
        )
    return _AnextStream(it, anext)


def async_with(mgr: Any) -> tuple[Callable[..., Any], Any]:
    """``async with``'s first step: look up ``__aenter__``/``__aexit__`` on the type, call ``__aenter__``.

    Returns ``(type(mgr).__aexit__, type(mgr).__aenter__(mgr))``.
    """
    cls = type(mgr)
    aenter = getattr(cls, "__aenter__", None)
    if aenter is None:
        raise TypeError(
            f"'{cls.__name__}' object does not support the asynchronous context manager protocol"
        )
    aexit = getattr(cls, "__aexit__", None)
    if aexit is None:
        raise TypeError(
            f"'{cls.__name__}' object does not support the asynchronous context manager "
            "protocol (missed __aexit__ method)"
        )
    entered = aenter(mgr)
    future = _awaitable(
        entered,
        "'async with' received an object from __aenter__ that does not implement "
        f"__await__: {type(entered).__name__}",
    )

    def exit_(manager: Any, *exc_info: Any) -> Future:
        result = aexit(manager, *exc_info)
        return _awaitable(
            result,
            "'async with' received an object from __aexit__ that does not implement "
            f"__await__: {type(result).__name__}",
        )

    return exit_, future


def _awaitable(obj: Any, message: str) -> Future:
    """``into_future(obj)``, or TypeError(message) if ``obj`` cannot be awaited."""
    if isinstance(obj, Future) or hasattr(type(obj), "__await__"):
        return into_future(obj)
    raise TypeError(message)


exc_info = sys.exc_info
iter = builtins.iter
isinstance = builtins.isinstance
set = builtins.set

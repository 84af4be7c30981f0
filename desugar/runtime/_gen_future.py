"""`GenFuture`: a generator state machine seen as a `Future`, and `into_future`.

A translated ``async def`` is a generator function. Its generator receives the
task `Context` as the value of each ``yield`` (the resume argument, as rustc
passes ``_task_context``), yields `Pending` while it waits, and returns its
result. `GenFuture.poll` resumes it once and maps a return to `Ready`.
"""

from __future__ import annotations

import functools
import sys
from types import MethodType
TYPE_CHECKING = False
if TYPE_CHECKING:  # typing is not imported at run time (import cost)
    from typing import Any, Callable, Generator

from desugar.runtime import _bridge
from desugar.runtime._future import Future
from desugar.runtime._poll import Pending, Poll, Ready
from desugar.runtime._waker import Context

_new = object.__new__
# Code object flags (as in `inspect`, which is costly to import).
CO_GENERATOR = 0x20
CO_COROUTINE = 0x80
CO_ASYNC_GENERATOR = 0x200
# What an async fn shows of itself: functools' list plus its defaults.
_WRAPPER_ASSIGNMENTS = (*functools.WRAPPER_ASSIGNMENTS, "__defaults__", "__kwdefaults__")


# GenFuture states (compared with `is`).
_RUNNING = "running"
_COMPLETED = "completed"
_PANICKED = "panicked"
_DROPPED = "dropped"
_DELIVER = "deliver"  # completed while an exception was thrown in: Ready on the next poll


class GenFuture(Future):
    """A generator seen as a `Future` (Rust's ``std::future::from_generator``).

    The generator must start with ``cx = yield`` (it is primed to that point
    when wrapped), then yield `Pending` whenever it waits, receiving the next
    `Context` as the value of the ``yield``. Its return value is the future's
    output.
    """

    __slots__ = ("_gen", "_state", "_result", "__weakref__")  # + Future's _driver

    def __init__(self, gen: Generator[Any, Context, Any]) -> None:
        self._gen = gen
        self._state = _RUNNING
        gen.send(None)

    def poll(self, cx: Context) -> Poll:
        """Resume the generator with ``cx``; `Ready(result)` once it returns."""
        # The hot path is the `send` alone; the state is looked at only when
        # the generator stops, to tell a first return from a misuse.
        try:
            return self._gen.send(cx)
        except StopIteration as stop:
            if self._state is not _RUNNING:
                if self._state is _DELIVER:
                    self._state = _COMPLETED
                    return Ready(self._result)
                raise RuntimeError(self._misuse()) from None
            self._state = _COMPLETED
            return Ready(stop.value)
        except BaseException as error:
            if self._gen.gi_frame is None:  # the generator raised and is finished
                self._state = _PANICKED
                if (
                    type(error) is RuntimeError
                    and isinstance(error.__cause__, StopIteration)
                    and error.args == ("generator raised StopIteration",)
                ):
                    # PEP 479 says "generator"; the user wrote a coroutine.
                    error.args = ("coroutine raised StopIteration",)
            raise

    def _throw(self, error: BaseException) -> None:
        """Raise ``error`` where the generator is suspended (its poll loop passes it on inwards).

        Returns if the generator handled it: it is then waiting again, or it
        completed and its output is given by the next poll. Raises otherwise.
        """
        gen = self._gen
        try:
            gen.throw(error)
        except StopIteration as stop:
            self._state = _DELIVER
            self._result = stop.value
        except BaseException:
            if gen.gi_frame is None:
                self._state = _PANICKED
            raise
        else:
            # Waiting again: the poll that follows at once in the awaiting
            # loop must not resume it (nothing has woken it yet).
            self._gen = _SkipOnePoll(self, gen)

    def _misuse(self) -> str:
        name = self._name()
        if self._state is _COMPLETED:
            return (
                f"`async fn` resumed after completion: {name} was polled again "
                "after it returned Ready; await each future once"
            )
        if self._state is _PANICKED:
            return f"`async fn` resumed after panicking: {name} was polled again after it raised"
        return f"{name} was polled after it was dropped (closed)"

    def _name(self) -> str:
        return getattr(self._gen, "__qualname__", repr(self._gen))

    def close(self) -> None:
        """Drop the future: close its generator, running its cleanup."""
        if self._state is _RUNNING:
            self._state = _DROPPED
        self._gen.close()

    def __repr__(self) -> str:
        return f"<GenFuture {self._name()}>"




class _SkipOnePoll:
    """Stands in for a `GenFuture`'s generator for one poll, which gives `Pending`."""

    __slots__ = ("_future", "_gen")

    def __init__(self, future: GenFuture, gen: Any) -> None:
        self._future = future
        self._gen = gen

    def send(self, cx: Any) -> Any:
        self._future._gen = self._gen
        return Pending

    def throw(self, error: BaseException) -> Any:
        self._future._gen = self._gen
        return self._gen.throw(error)

    def close(self) -> None:
        self._future._gen = self._gen
        self._gen.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._gen, name)


def throw_into(future: Any, error: BaseException) -> None:
    """Pass an exception thrown into a suspended poll loop on to the future it awaits.

    ``GeneratorExit`` (the awaiting future is being dropped) drops the awaitee
    first, so cleanup runs innermost first. Any other exception is thrown into
    the awaitee if it can take it (our futures, coroutines); otherwise the
    awaitee is dropped and the exception raised at the await.
    """
    # The exception was raised once at the awaiting frame's `yield`, which
    # put that frame into its traceback; it will pass through that frame again
    # on its way out, as through a native await, so the first entry goes.
    tb = error.__traceback__
    if tb is not None and tb.tb_frame is sys._getframe(1):
        error.__traceback__ = tb.tb_next
    if isinstance(error, GeneratorExit):
        close = getattr(future, "close", None)
        if close is not None:
            close()
        raise error
    throw = getattr(future, "_throw", None)
    if throw is None:
        close = getattr(future, "close", None)
        if close is not None:
            close()
        raise error
    throw(error)


def from_generator(gen: Generator[Any, Context, Any]) -> GenFuture:
    """Wrap a generator as a `Future` (see `GenFuture` for the protocol)."""
    return GenFuture(gen)


class AsyncFn:
    """A translated ``async def``: calling it returns a `GenFuture`.

    It is not a Python function, but it looks like one to ``inspect``: it
    keeps the function's name, qualified name, docstring, module, defaults,
    annotations and signature (``__wrapped__``), binds as a method, and its
    ``__code__`` carries the coroutine flag, so ``inspect.iscoroutinefunction``
    and ``asyncio.iscoroutinefunction`` say True (on Python 3.11 too, where
    there is no other hook), and frameworks that dispatch on them
    (pytest-asyncio, unittest's ``IsolatedAsyncioTestCase``) treat it as the
    ``async def`` it was. The code object is only looked at, never run.
    """

    # The generator function and the flagged code live in slots, not in
    # __dict__: functools.wraps copies __dict__ into whatever wraps us.
    __slots__ = ("_genfn", "_code", "__dict__", "__weakref__")
    _flag = CO_COROUTINE

    def __init__(self, genfn: Callable[..., Generator[Any, Any, Any]]) -> None:
        functools.update_wrapper(self, genfn, assigned=_WRAPPER_ASSIGNMENTS)
        self._genfn = genfn
        code = genfn.__code__
        self._code = code.replace(co_flags=(code.co_flags & ~CO_GENERATOR) | self._flag)

    @property
    def __code__(self) -> Any:
        return self._code

    def __call__(self, *args: Any, **kwargs: Any) -> GenFuture:
        gen = self._genfn(*args, **kwargs)
        fut = _new(GenFuture)
        fut._gen = gen
        fut._state = _RUNNING
        gen.send(None)
        return fut

    def __get__(self, obj: Any, objtype: Any = None) -> Any:
        if obj is None:
            return self
        return MethodType(self, obj)

    def __repr__(self) -> str:
        return f"<function {self.__qualname__} at {id(self):#x}>"

    def __reduce__(self) -> str:
        return self.__qualname__  # pickled by reference, as functions are


def async_fn(genfn: Callable[..., Generator[Any, Context, Any]]) -> AsyncFn:
    """Decorator for a translated ``async def``: calling it returns a `GenFuture`."""
    return AsyncFn(genfn)


class _AwaitableFuture(Future):
    """A Python awaitable (``__await__``) seen as a future.

    Its iterator is driven with ``send``/``throw``. What it yields says what it
    waits for: `Pending` (one of our futures, polled with the Context set in
    `_bridge.DrivenBy`), ``None`` (asyncio's bare yield: run again soon), or an
    asyncio future (wake when it is done; only under an asyncio loop).
    """

    __slots__ = ("_it", "_what", "_blocked", "_ready", "_cx", "_skip")

    def __init__(self, awaitable: Any) -> None:
        self._what = awaitable
        self._it = awaitable.__await__()
        self._blocked: Any = None
        self._ready: Ready | None = None
        self._cx: Context | None = None
        self._skip = False  # waiting again after a throw: the next poll is not a wake

    def poll(self, cx: Context) -> Poll:
        if self._ready is not None:
            ready, self._ready = self._ready, None
            return ready
        if self._skip:
            self._skip = False
            return Pending
        blocked = self._blocked
        if blocked is not None:
            if not blocked.done():
                return Pending
            self._blocked = None
        self._cx = cx
        driving = _bridge._driving  # futures the coroutine awaits are polled with cx
        previous = getattr(driving, "cx", None)
        driving.cx = cx
        try:
            yielded = next(self._it)  # send(None), for plain iterators too
        except StopIteration as stop:
            return Ready(stop.value)
        finally:
            driving.cx = previous
        return self._suspended(yielded, cx)

    def _suspended(self, yielded: Any, cx: Context) -> Poll:
        if yielded is Pending:
            return Pending
        if yielded is None:  # asyncio's bare yield (sleep(0)): poll again soon
            reactor = cx.reactor
            if isinstance(reactor, _bridge.AsyncioDriver) and cx is reactor.cx:
                reactor.woken = True  # the task runs again at once, as natively
            else:
                cx.waker().wake_by_ref()
            return Pending
        if getattr(yielded, "_asyncio_future_blocking", None) is not None:
            reactor = cx.reactor
            if not isinstance(reactor, _bridge.AsyncioDriver):
                raise RuntimeError(
                    f"{self._what!r} is an asyncio awaitable: it waits on {yielded!r}, which "
                    "needs an asyncio event loop; run the program under asyncio.run(...) "
                    "instead of desugar.runtime.block_on(...)"
                )
            yielded._asyncio_future_blocking = False
            self._blocked = yielded
            if not reactor.wait_on(cx, yielded):
                waker = cx.waker().clone()
                yielded.add_done_callback(lambda _done: waker.wake())
            return Pending
        raise RuntimeError(f"{self._what!r} yielded {yielded!r}, which is not something to wait on")

    def _throw(self, error: BaseException) -> None:
        """Throw ``error`` into the awaitable where it waits."""
        self._blocked = None
        throw = getattr(self._it, "throw", None)
        if throw is None:
            raise error
        cx = self._cx
        try:
            if cx is None:
                yielded = throw(error)
            else:
                with _bridge.DrivenBy(cx):
                    yielded = throw(error)
        except StopIteration as stop:
            self._ready = Ready(stop.value)
            return
        if cx is not None:
            self._suspended(yielded, cx)
            self._skip = True

    def close(self) -> None:
        """Drop the awaitable: close the coroutine, running its cleanup."""
        close = getattr(self._it, "close", None)
        if close is not None:
            close()


def into_future(obj: Any) -> Future:
    """`IntoFuture::into_future`: our futures pass through; awaitables are adapted.

    Raises ``TypeError`` for an object that cannot be awaited, with Python's
    own message.
    """
    if type(obj) is GenFuture or isinstance(obj, Future):
        return obj
    if hasattr(type(obj), "__await__"):
        return _AwaitableFuture(obj)
    raise TypeError(f"object {type(obj).__name__} can't be used in 'await' expression")


__all__ = ["GenFuture", "from_generator", "async_fn", "into_future", "Pending"]

"""`into_future`: what an ``await`` polls (rustc's ``__awaitee``), and `async_fn`.

A translated ``async def`` is a generator function whose code `async_fn`
marks as a coroutine's, so calling it returns a real coroutine object. An
``await`` becomes::

    _ds_awaitee = _ds_rt.into_future(expr)   # IntoFuture::into_future(expr)
    for _ds_poll in _ds_awaitee:              # loop { match poll(...) {
        yield from _ds_awaitee                #   Pending => yield, resumed by the driver
    ... _ds_awaitee.value ...                 #   Ready(result) => break result } }

Each iteration of the ``for`` is one poll: the awaitee resumes what it awaits
(a coroutine, translated or native, or the iterator of any ``__await__``) once.
If that completes, the loop ends and ``value`` holds the result; if it waits,
the poll is `Pending`, and the ``yield from`` hands what the innermost awaited
object yielded to the driver, unchanged, and takes back what the driver sends
or throws, for the next poll to pass on. So every driver (asyncio, trio, a
loop calling ``send``) sees the chain as through native ``await``, and a
thrown exception or a close reaches the innermost awaited object first.

The states of an `Awaitee`::

    POLL ──__next__: resumed it, it waited──> SUSPEND ──__next__ (yield from's first step)──> WAIT
     ^                                                                                         │
     └────── send(reply) / __next__ (reply None) / throw(exc): StopIteration ends the yield from ┘
"""

from __future__ import annotations

import sys
import types

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing is not imported at run time (import cost)
    from typing import Any, Callable

from desugar.runtime._future import Future, poll_leaf
from desugar.runtime._poll import Pending, Poll, Ready
from desugar.runtime._waker import Context, task

# Code object flags (as in `inspect`, which is costly to import).
CO_GENERATOR = 0x20
CO_COROUTINE = 0x80
CO_ITERABLE_COROUTINE = 0x100
CO_ASYNC_GENERATOR = 0x200
TRANSLATED = CO_ITERABLE_COROUTINE
"""The marker bit on a translated coroutine's code (unused by CPython on a coroutine)."""

_CoroutineType = types.CoroutineType
_GeneratorType = types.GeneratorType
_STRIP_OWN_FRAME = sys.version_info >= (3, 11)  # a bare `raise` keeps the edited traceback

# Awaitee states (compared with `is`).
_POLL = "poll"
_SUSPEND = "suspend"
_WAIT = "wait"


class Awaitee:
    """The future an ``await`` polls: any awaitable's iterator, resumed one poll at a time.

    Iterating it polls (see the module docstring); ``value`` is the result once
    the iteration has ended. ``poll(cx)`` is the same resumption as a Rust
    future's poll, for the executor and the combinators (`join`, `select`).
    """

    __slots__ = ("_it", "_state", "_pending", "_reply", "_thrown", "value", "__weakref__")

    def __init__(self, it: Any) -> None:
        self._it = it
        self._state = _POLL
        self._pending: Any = None
        self._reply: Any = None
        self._thrown: BaseException | None = None

    def __iter__(self) -> Awaitee:
        return self

    __await__ = __iter__  # an async generator's poll loop suspends with `await`

    def __next__(self) -> Any:
        state = self._state
        if state is _POLL:
            it = self._it
            thrown = self._thrown
            try:
                if thrown is None:
                    reply = self._reply
                    if reply is not None:
                        self._reply = None
                        pending = it.send(reply)
                    elif type(it) is _CoroutineType:
                        pending = it.send(None)
                    else:
                        pending = next(it)  # as `yield from` resumes an iterator with None
                else:
                    self._thrown = None
                    throw = getattr(it, "throw", None)
                    if throw is None:  # as `yield from`: raised at the await
                        raise thrown
                    pending = throw(thrown)
                    thrown = None
            except StopIteration as stop:
                self.value = stop.value
                self._it = None
                raise StopIteration from None
            except BaseException as error:
                self._it = None
                if _STRIP_OWN_FRAME:
                    tb = error.__traceback__
                    if tb is not None and tb.tb_frame is sys._getframe():
                        error.__traceback__ = tb.tb_next
                del error, thrown
                raise
            self._pending = pending
            self._state = _SUSPEND
            return Pending
        if state is _SUSPEND:  # the `yield from`'s first step: hand over what it waits on
            self._state = _WAIT
            pending = self._pending
            self._pending = None
            return pending
        if state is _WAIT:  # the driver resumed us with None (asyncio does)
            self._state = _POLL
            raise StopIteration
        raise RuntimeError("an awaitee was iterated after its await ended")  # pragma: no cover

    def send(self, reply: Any) -> Any:
        """The driver's reply: the next poll passes it to what is awaited."""
        if self._state is not _WAIT:
            return self.__next__() if reply is None else _misuse("send")
        self._reply = reply
        self._state = _POLL
        raise StopIteration

    def throw(self, typ: Any, val: Any = None, tb: Any = None) -> Any:
        """A thrown exception: the next poll raises it where the awaited object waits."""
        if self._state is not _WAIT:
            return _misuse("throw")
        self._thrown = _exception(typ, val, tb)
        self._state = _POLL
        raise StopIteration

    def close(self) -> None:
        """Drop the awaitee: close what it awaits (``yield from`` calls this on close)."""
        it = self._it
        self._it = None
        self._state = _POLL
        if it is not None:
            close = getattr(it, "close", None)
            if close is not None:
                close()

    # --- the Rust-level interface --------------------------------------
    def poll(self, cx: Context) -> Poll:
        """Resume once with ``cx`` as the task's Context: `Ready(value)` or `Pending`.

        What the awaited object waits on must be something the runtime can wait
        on: `Pending` (a leaf future of ours has the waker), ``None`` (a bare
        ``yield``: poll again soon), or an asyncio future when an asyncio loop
        polls us. Anything else is thrown back where it was yielded, as an
        error that names the driver to use.
        """
        it = self._it
        if it is None:
            raise RuntimeError(
                "`async fn` resumed after completion: a future was polled again after it "
                "returned Ready or raised; await each coroutine once"
            )
        previous = task.cx
        task.cx = cx
        try:
            thrown = self._thrown
            if thrown is None:
                pending = _resume(it)
            else:
                self._thrown = None
                pending = _throw(it, thrown)
                del thrown
            while True:
                if pending is Pending:
                    return Pending
                if pending is None:
                    cx.waker().wake_by_ref()
                    return Pending
                error = _cannot_wait(pending, cx)
                if error is None:
                    return Pending
                pending = _throw(it, error)
                del error
        except StopIteration as stop:
            self._it = None
            return Ready(stop.value)
        except BaseException:
            self._it = None
            raise
        finally:
            task.cx = previous

    def __repr__(self) -> str:
        return f"<awaitee of {self._it!r}>"


def _resume(it: Any) -> Any:
    """``yield from``'s resumption with None: ``send(None)``, or ``next()`` for an iterator."""
    if type(it) is _CoroutineType:
        return it.send(None)
    return next(it)


def _throw(it: Any, error: BaseException) -> Any:
    """``yield from``'s throw: into ``it`` if it can take it, else raised here."""
    throw = getattr(it, "throw", None)
    if throw is None:
        raise error
    return throw(error)


def _exception(typ: Any, val: Any = None, tb: Any = None) -> BaseException:
    """The exception that ``throw(typ, val, tb)`` raises, as generators build it."""
    if isinstance(typ, BaseException):
        error = typ
    elif val is None:
        error = typ()
    elif isinstance(val, BaseException):
        error = val
    else:
        error = typ(*val) if isinstance(val, tuple) else typ(val)
    if tb is not None:
        error = error.with_traceback(tb)
    return error


def _misuse(what: str) -> Any:
    raise RuntimeError(f"{what}() on an awaitee that is not suspended: drive the coroutine, not its awaitee")


def _cannot_wait(pending: Any, cx: Context) -> RuntimeError | None:
    """Wait on an asyncio future under an asyncio reactor (None), or the error to throw."""
    from desugar.runtime._bridge import AsyncioReactor

    if getattr(pending, "_asyncio_future_blocking", None) is not None:
        reactor = cx.reactor
        if isinstance(reactor, AsyncioReactor):
            pending._asyncio_future_blocking = False
            waker = cx.waker().clone()
            pending.add_done_callback(lambda _done: waker.wake())
            return None
        return RuntimeError(
            f"an asyncio awaitable waits on {pending!r}, which needs an asyncio event loop; "
            "run the program under asyncio.run(...) instead of desugar.runtime.block_on(...)"
        )
    return RuntimeError(
        f"an awaited object yielded {pending!r}, which desugar.runtime's executor cannot wait "
        "on: it belongs to another driver; run the program under the driver it was written "
        "for (asyncio.run, trio.run, ...)"
    )


def into_future(obj: Any) -> Awaitee:
    """``IntoFuture::into_future``: the awaitee that an ``await obj`` polls.

    Accepts what CPython's ``await`` accepts (coroutines, ``types.coroutine``
    generators, objects whose ``__await__`` returns an iterator, and the
    runtime's `Future`\\ s) and refuses the rest with CPython's errors.
    """
    t = type(obj)
    if t is _CoroutineType:
        if obj.cr_await is not None:
            raise RuntimeError("coroutine is being awaited already")
        return Awaitee(obj)
    if t is Awaitee:  # (`async with` and `async for` make theirs first)
        return obj
    if t is _GeneratorType and obj.gi_code.co_flags & CO_ITERABLE_COROUTINE:
        return Awaitee(obj)
    if isinstance(obj, Future):
        return Awaitee(poll_leaf(obj))
    await_ = getattr(t, "__await__", None)
    if await_ is None:
        raise TypeError(f"object {t.__name__} can't be used in 'await' expression")
    return Awaitee(_checked_await(await_(obj)))


def _checked_await(it: Any) -> Any:
    """What ``__await__`` returned, checked as CPython checks it."""
    t = type(it)
    if t is _CoroutineType or (t is _GeneratorType and it.gi_code.co_flags & CO_ITERABLE_COROUTINE):
        raise TypeError("__await__() returned a coroutine")
    if not hasattr(t, "__next__"):
        raise TypeError(f"__await__() returned non-iterator of type '{t.__name__}'")
    return it


def as_future(obj: Any) -> Any:
    """A `Future` to poll: the runtime's futures as they are, any awaitable as an `Awaitee`."""
    if isinstance(obj, Future) or type(obj) is Awaitee:
        return obj
    return into_future(obj)


_flagged: dict[int, tuple[Any, Any]] = {}  # id(generator code) -> (that code, coroutine code)


def async_fn(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Decorator for a translated ``async def``: calling it returns a real coroutine.

    The function stays the same function object (``inspect.isfunction``, its
    ``__code__`` is the code that runs); only its code's flags change, from a
    generator's to a coroutine's (as ``types.coroutine`` changes flags), plus
    the `TRANSLATED` marker bit. So ``inspect.iscoroutinefunction``,
    ``inspect.iscoroutine``, ``cr_frame``, ``cr_running``,
    ``inspect.getcoroutinestate``, asyncio, trio and the "never awaited"
    warning see what they see natively.
    """
    code = fn.__code__
    if code.co_flags & CO_COROUTINE:
        return fn  # already marked (by the import hook)
    entry = _flagged.get(id(code))
    if entry is None or entry[0] is not code:
        entry = _flagged[id(code)] = (code, as_coroutine_code(code))
    fn.__code__ = entry[1]
    return fn


def as_coroutine_code(code: types.CodeType) -> types.CodeType:
    """``code`` of a translated generator function, flagged as a coroutine's."""
    return code.replace(co_flags=(code.co_flags & ~CO_GENERATOR) | CO_COROUTINE | TRANSLATED)


def is_translated(obj: Any) -> bool:
    """True for a translated ``async def``: the function, its code, or a coroutine it returned."""
    code = getattr(obj, "__code__", None) or getattr(obj, "cr_code", None) or obj
    flags = getattr(code, "co_flags", 0)
    return flags & (CO_COROUTINE | TRANSLATED) == CO_COROUTINE | TRANSLATED

"""``async for`` and ``async with``: their first steps, with CPython's lookups and errors.

A translated async generator is a native async generator (its items are
yielded as natively; its awaits are poll loops), so ``async for`` speaks
Python's protocol: ``type(it).__anext__(it)`` each round, awaited by a poll
loop until it raises ``StopAsyncIteration``. With the C runtime an async
generator's items reach the loop with no StopIteration each: its awaitee
resumes the generator's frame itself (see `_speedups.c`). `Stream` is Rust's trait, for
hand-written streams: ``poll_next(cx)`` -> `Ready(item)` | `Pending` | ``None``
(ended); ``async for`` iterates one too.
"""

from __future__ import annotations

import abc
from types import coroutine as _types_coroutine

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing is not imported at run time (import cost)
    from typing import Any, Callable

from desugar.runtime._awaitee import (
    _FRAMELESS, _NO_POLL, _STRIP_OWN_FRAME, MISSING, Awaitee, _bind, _FunctionType, _checked_await, _drop_entry, _exception,
    _getframe, _speedups, call_slot, into_future, lookup_special, py_into_future, tp_name,
    type_lookup,
)
from desugar.runtime._future import Future
from desugar.runtime._poll import Pending, Poll, Ready
from desugar.runtime._waker import Context


class Stream(abc.ABC):
    """Anything with ``poll_next(cx)`` -> `Ready(item)` | `Pending` | ``None`` (ended)."""

    __slots__ = ()

    @abc.abstractmethod
    def poll_next(self, cx: Context) -> Poll | None:
        """Try to produce the next item."""

    def __aiter__(self) -> Stream:
        return self

    def __anext__(self) -> Future:
        """An awaitable of the next item (``StopAsyncIteration`` at the end)."""
        return _Next(self)


class _Next(Future):
    __slots__ = ("_stream",)

    def __init__(self, stream: Stream) -> None:
        self._stream = stream

    def poll(self, cx: Context) -> Poll:
        poll = self._stream.poll_next(cx)
        if poll is None:
            raise StopAsyncIteration
        return poll


def aiter(obj: Any) -> Any:
    """``async for``'s first step: ``type(obj).__aiter__`` called on ``obj``, checked as CPython checks it.

    What it raises is raised at the ``async for``, as natively: no frame of the runtime's.
    """
    try:
        cls = type(obj)
        found = type_lookup(cls, "__aiter__", MISSING)
        if found is MISSING:
            raise TypeError(f"'async for' requires an object with __aiter__ method, got {tp_name(cls)}")
        it = call_slot(obj, cls, found, "__aiter__")
        if type_lookup(type(it), "__anext__", MISSING) is MISSING:
            raise TypeError(
                "'async for' received an object from __aiter__ that does not implement "
                f"__anext__: {tp_name(type(it))}"
            )
        return it
    except BaseException as error:
        _raised_at_the_statement(error, _getframe())
        del error
        raise


def _raised_at_the_statement(error: BaseException, frame: Any) -> None:
    """Take ``frame``'s entry, and the protocol helpers' below it, off the top of ``error``'s traceback.

    A bare ``raise`` follows, so the error shows as raised at the ``async
    for``/``async with`` (or in the user's method it called), as CPython raises
    it from its opcode (3.11+; 3.10's bare ``raise`` keeps the traceback it caught:
    there the C runtime calls these steps through C, see `_awaitee._FRAMELESS`).
    """
    if _STRIP_OWN_FRAME:
        _trim(error, frame)


def _trim(error: BaseException, frame: Any) -> None:
    """Take ``frame``'s entry, and the protocol helpers' below it, off the top of ``error``'s traceback.

    On every version: for an error that is chained (a cause), not raised again.
    """
    tb = error.__traceback__
    if tb is not None and tb.tb_frame is frame:
        tb = tb.tb_next
    while tb is not None and tb.tb_frame.f_code in _PROTOCOL_HELPERS:
        tb = tb.tb_next
    error.__traceback__ = tb


def anext(it: Any) -> Awaitee:
    """``async for``'s step: the awaitee of ``type(it).__anext__`` called on ``it``.

    What cannot be awaited (no ``__await__``, or one that fails) is a TypeError
    whose cause is why, as CPython's ``GET_ANEXT`` says it.
    """
    try:
        cls = type(it)
        found = type_lookup(cls, "__anext__", MISSING)
        if type(found) is _FunctionType:  # (a method: called with `it`, as the slot calls it)
            step = found(it)
        elif found is MISSING:
            raise TypeError(f"'async for' requires an iterator with __anext__ method, got {tp_name(cls)}")
        else:
            step = call_slot(it, cls, found, "__anext__")
        try:
            return into_future(step)
        except BaseException as error:
            _trim(error, _getframe())  # (the cause: its traceback starts in the user's `__await__`)
            raise TypeError(
                f"'async for' received an invalid object from __anext__: {tp_name(type(step))}"
            ) from error
    except BaseException as error:
        _raised_at_the_statement(error, _getframe())
        del error
        raise


END = object()
"""What `anext_or_end`'s awaitable gives once the async iterator is exhausted."""


def anext_or_end(it: Any) -> Any:
    """An awaitable of ``async for``'s step that gives `END` instead of raising ``StopAsyncIteration``.

    The compact ``async for`` of the callback lowerings (see
    `desugar.compiler.blocks`) awaits it with no ``try`` (a block) around.
    """
    return _NextOrEnd(it)


class _NextOrEnd:
    __slots__ = ("_it",)

    def __init__(self, it: Any) -> None:
        self._it = it

    def __await__(self) -> Any:
        try:
            return (yield from anext(self._it).__await__())
        except StopAsyncIteration:
            return END


def _enable_agen_steps() -> bool:
    """Let the C awaitee take an async generator's items without StopIteration.

    It checks CPython's private layout of ``__anext__``'s awaitable on two
    probe generators first (see `_speedups.c`), with this thread's async
    generator hooks unset, so no event loop hears of the probes.
    """
    import sys

    async def probe():  # noqa: RUF029
        yield None

    hooks = sys.get_asyncgen_hooks()
    sys.set_asyncgen_hooks(firstiter=None, finalizer=None)
    try:
        return bool(_speedups.enable_agen_steps(probe(), probe()))
    finally:
        sys.set_asyncgen_hooks(firstiter=hooks.firstiter, finalizer=hooks.finalizer)


_IDLE, _OFFERED, _WAITING, _ENDED, _DONE, _RAISING = range(6)


class AsyncFor:
    """``async for``'s stream of items: a ``for`` over it steps the async iterator.

    The generated loop (see `_speedups.c` for the C one, which this mirrors)::

        for _ds_item in stream:         # one step: type(it).__anext__(it), polled
            if _ds_item is stream:      # Pending: the step waits
                yield from stream       # hand the wait over, until the step ends
                continue                # (its item is the loop's next)
            target = _ds_item

    A step that reaches its item at once returns it; one that waits returns
    the stream itself (which no iterator yields as an item), and the
    ``yield from`` resumes the step's awaitee until it ends: with an item,
    kept for the next step; with ``StopAsyncIteration``, which ends the loop
    (its ``else`` runs); or with an error, raised at the ``async for``.
    """

    __slots__ = ("_it", "_step", "_item", "_state")

    def __init__(self, it: Any) -> None:
        self._it = it
        self._step: Any = None
        self._item: Any = _NO_ITEM
        self._state = _IDLE

    @property
    def iterator(self) -> Any:
        """The async iterator (what ``__aiter__`` returned)."""
        return self._it

    def __iter__(self) -> AsyncFor:
        step = self._step
        if self._state == _OFFERED and step is not None:  # the `yield from`: hand the wait over
            step.__iter__()
            self._state = _WAITING
        elif self._state == _RAISING:  # the `yield from` raises what `__anext__()` raised
            error, self._item = self._item, _NO_ITEM
            self._state = _DONE
            try:
                raise error
            finally:
                del error
        return self

    __await__ = __iter__  # (an async generator's `async for` hands a wait over with `await`)

    def __next__(self) -> Any:
        if self._step is not None:  # the `yield from`'s steps (when a tracer is set)
            return self.send(None)
        item = self._item
        if item is not _NO_ITEM:
            self._item = _NO_ITEM
            return item
        if self._state == _ENDED:
            self._state = _DONE
            raise StopIteration
        try:
            aw = anext(self._it)
            polled = aw.__iter__()  # the first poll
        except StopAsyncIteration:
            self._state = _DONE
            raise StopIteration from None
        except StopIteration as error:  # (`__anext__()` raised it: no end of the loop, an error
            if _STRIP_OWN_FRAME:       # the `yield from` that follows raises at the `async for`)
                _drop_entry(error, _getframe())
            self._item = error
            self._state = _RAISING
            del error
            return self
        except BaseException as error:
            if _STRIP_OWN_FRAME:
                _drop_entry(error, _getframe())
            del error
            raise
        if polled is _NO_POLL:  # the item, at once
            return aw.value
        self._step = aw
        self._state = _OFFERED
        return self

    def send(self, value: Any) -> Any:
        """Resume the waiting step with what the driver sent."""
        return self._resume(self._step.send if self._step is not None else None, (value,))

    def throw(self, typ: Any, val: Any = None, tb: Any = None) -> Any:
        """Resume the waiting step with what the driver threw (a cancellation)."""
        if self._step is None:
            raise _exception(typ, val, tb)
        return self._resume(self._step.throw, (typ, val, tb))

    def _resume(self, resume: Any, args: tuple) -> Any:
        if resume is None:
            raise RuntimeError("async for: resumed with no step waiting")
        self._state = _WAITING
        try:
            return resume(*args)
        except StopIteration:  # the step's item
            self._item = self._step.value
            self._step = None
            self._state = _IDLE
            raise StopIteration from None
        except StopAsyncIteration:  # the end, reached while waiting
            self._step = None
            self._state = _ENDED
            raise StopIteration from None
        except BaseException as error:
            self._step = None
            self._state = _DONE
            if _STRIP_OWN_FRAME:
                _drop_entry(error, _getframe())
            del error
            raise

    def close(self) -> None:
        """Close the waiting step's awaitable."""
        step, self._step = self._step, None
        self._state = _DONE
        if step is not None:
            step.close()

    # A coroutine suspended in the loop's `yield from` has the stream as its
    # ``cr_await``; the stream answers for the step that waits, as that step's
    # awaitee answers for what it awaits (``__anext__()``'s awaitable).
    def __getattr__(self, name: str) -> Any:
        """What the waiting step's awaitable has (only names the stream lacks get here)."""
        if name in _OWN:
            raise AttributeError(f"'AsyncFor' object has no attribute '{name}'")
        return getattr(self._waiting(), name)

    @property  # type: ignore[misc]
    def __class__(self) -> type:  # noqa: F811
        """The class of the waiting step's awaitable (the stream's own when none waits)."""
        step = self._step
        return type(self) if step is None else step.__class__

    def _waiting(self) -> Any:
        if self._step is None:
            raise AttributeError("no step of this async for waits")
        return self._step

    def __repr__(self) -> str:
        return f"<async for over {self._it!r}>"


_NO_ITEM = object()
_OWN = frozenset(("_it", "_step", "_item", "_state"))


def async_for(obj: Any) -> Any:
    """``async for``'s first step: the stream of ``type(obj).__aiter__(obj)``."""
    try:
        return AsyncFor(aiter(obj))
    except BaseException as error:  # raised at the `async for`, as natively: no frame of ours
        _raised_at_the_statement(error, _getframe())
        del error
        raise


def async_with(mgr: Any) -> tuple[Callable[..., Any], Awaitee]:
    """``async with``'s first step: ``__aenter__`` and ``__aexit__`` of the type, bound; call ``__aenter__``.

    Returns ``(exit, awaitee of the __aenter__() call)``. ``exit(None, None, None)``
    calls ``__aexit__`` so (the body completed) and gives the awaitee of its
    result; ``exit(error)``, in the handler of the body's exception ``error``,
    passes ``type(error), error, error.__traceback__``: what ``sys.exc_info()``
    is there. Both methods are looked up and bound before either is called, as
    CPython's ``BEFORE_ASYNC_WITH`` does (`lookup_special`).
    """
    try:
        aenter = lookup_special(mgr, "__aenter__")
        if aenter is MISSING:
            raise _not_a_manager(type(mgr), False)
        aexit = lookup_special(mgr, "__aexit__")
        if aexit is MISSING:
            raise _not_a_manager(type(mgr), True)
        entered = _awaitable(aenter(), "__aenter__")
    except BaseException as error:  # raised at the `async with`, as natively: no frame of ours
        _raised_at_the_statement(error, _getframe())
        del error
        raise

    def exit_(*exc_info: Any) -> Awaitee:
        try:
            if len(exc_info) == 1:
                error = exc_info[0]
                exc_info = (type(error), error, error.__traceback__)
                del error
            return _awaitable(aexit(*exc_info), "__aexit__")
        except BaseException as raised:
            _raised_at_the_statement(raised, _getframe())
            del raised
            raise

    return (exit_ if _FRAMELESS is None else _FRAMELESS(exit_)), entered


def into_iter(iterable: Any) -> Any:
    """``IntoIterator::into_iter``: the iterator a ``for`` takes of its iterable, ``iter(obj)``.

    A comprehension's first iterable is turned into its iterator where the
    comprehension stands, before its body runs (in a nested function, for an
    async comprehension), as natively. The C runtime's is ``PyObject_GetIter``
    itself, with no frame of its own in the traceback of a non-iterable; this
    one drops its frame from that traceback on 3.11+.
    """
    try:
        return _iter(iterable)
    except BaseException as error:
        if _STRIP_OWN_FRAME:
            _drop_entry(error, _getframe())
        del error
        raise


_iter = iter


def exception_matches(error: BaseException, kind: Any) -> bool:
    """Does ``except kind:`` catch ``error``? CPython's test, and its TypeError.

    ``kind`` must be an exception class or a tuple of them; the match follows
    the classes' MROs, as natively: no ``__instancecheck__`` or
    ``__subclasscheck__`` hook is called.
    """
    if _type_subclass(tuple, type(kind)):
        for element in kind:
            if not _is_exception_class(element):
                raise TypeError(_NOT_AN_EXCEPTION)
        cls = type(error)
        for element in kind:
            if _type_subclass(element, cls):
                return True
        return False
    if not _is_exception_class(kind):
        raise TypeError(_NOT_AN_EXCEPTION)
    return _type_subclass(kind, type(error))


_NOT_AN_EXCEPTION = "catching classes that do not inherit from BaseException is not allowed"
_type_subclass = type.__subclasscheck__  # (the MRO test, bypassing metaclass hooks)


def _is_exception_class(obj: Any) -> bool:
    return _type_subclass(type, type(obj)) and _type_subclass(BaseException, obj)


def _not_a_manager(cls: type, has_aenter: bool) -> BaseException:
    """What CPython raises for ``async with`` of a non-manager, on the running version."""
    import sys

    if sys.version_info < (3, 11):
        return AttributeError("__aexit__" if has_aenter else "__aenter__")
    missed = " (missed __aexit__ method)" if has_aenter else ""
    return TypeError(
        f"'{tp_name(cls, 200)}' object does not support the asynchronous context manager protocol{missed}"
    )


def _awaitable(obj: Any, method: str) -> Awaitee:
    """``into_future(obj)`` of what ``method`` returned, or CPython's TypeError if its type has no ``__await__``.

    That TypeError replaces the one of `into_future` (its context is what was
    handled, as natively: the body's exception in ``__aexit__``'s case).
    """
    try:
        return into_future(obj)
    except TypeError:
        cls = type(obj)
        if type_lookup(cls, "__await__", MISSING) is not MISSING:
            raise
    raise TypeError(
        f"'async with' received an object from {method} that does not implement __await__: "
        f"{tp_name(cls)}"
    )


_PROTOCOL_HELPERS = frozenset(
    f.__code__ for f in (lookup_special, _bind, call_slot, _checked_await, _awaitable, py_into_future)
)  # (frames of the runtime between a protocol's statement and the user's method it calls)

__all__ = ["Stream", "aiter", "anext", "async_with", "Ready", "Pending", "_checked_await"]


class Caught:
    """A compact ``async with`` at the deepest block CPython allows: its body's exception.

    There, a ``try``/``except`` around the body would nest two blocks more than
    CPython's limit of 20 allows (the handler's), where a ``with`` nests one, as
    natively. So the body runs in ``with caught:``, whose ``__exit__`` keeps the
    exception and suppresses it; then `exiting` awaits ``__aexit__`` with it,
    and `reraise` raises it again if ``__aexit__`` does not suppress it.
    """

    __slots__ = ("error",)

    def __init__(self) -> None:
        self.error: Any = None

    def __enter__(self) -> Caught:
        return self

    def __exit__(self, typ: Any, error: Any, tb: Any) -> bool:
        self.error = error
        return True


def exiting(aexit: Callable[..., Any], caught: Caught) -> Awaitee:
    """The awaitee of ``__aexit__(type(e), e, e.__traceback__)`` run while ``e`` is handled, as natively.

    ``aexit`` is called, and what it gives awaited, inside an ``except`` of the
    body's exception ``e``: ``sys.exception()`` there is ``e``, and what
    ``__aexit__`` raises is chained to it. The result is ``__aexit__``'s.
    """
    return into_future(_exiting(aexit, caught.error))


@_types_coroutine
def _exiting(aexit: Callable[..., Any], error: BaseException) -> Any:
    saved = error.__traceback__, error.__context__
    try:
        raise error
    except BaseException:
        error.__traceback__, error.__context__ = saved
        del saved
        try:
            awaitee = aexit(error)
            del error
            yield from awaitee.__await__()
            return awaitee.value
        except BaseException as raised:  # (raised in `__aexit__`: no frame of ours)
            if _STRIP_OWN_FRAME:
                _drop_entry(raised, _getframe())
            del raised
            raise


def reraise(caught: Caught) -> None:
    """Raise the body's exception again, as the end of CPython's ``async with`` does.

    Its context stays as it was, and its traceback too, but for the entry of
    the frame that calls this (its next entry there is at this call's line:
    what differs from native code is that line, which CPython keeps at the
    line the exception passed).
    """
    error = caught.error
    caught.error = None
    context = error.__context__
    tb = error.__traceback__
    if tb is not None and tb.tb_frame is _getframe(1):
        tb = tb.tb_next
    try:
        raise error
    except BaseException:
        error.__context__ = context
        if not _STRIP_OWN_FRAME:  # (3.10: a bare raise keeps the traceback it caught; this frame shows)
            raise error.with_traceback(tb)
        error.__traceback__ = tb
        del error, context, tb
        raise


# ---- the C runtime: its pieces swapped in, in one place (see `_awaitee`'s end) ----
py_aiter = aiter
py_anext = anext
py_async_for = async_for
py_into_iter = into_iter

AGEN_STEPS = _speedups is not None and _enable_agen_steps()
"""Whether ``async for`` takes an async generator's items with no StopIteration (C runtime)."""

c_anext = c_async_for = c_into_iter = None
if _speedups is not None:
    # `anext` and `async_for` take async generators (stepping their frames themselves) and
    # hand the rest to `py_anext` and `py_aiter`; `into_iter` is `PyObject_GetIter`.
    anext = c_anext = _speedups.anext
    async_for = c_async_for = _speedups.async_for
    into_iter = c_into_iter = _speedups.into_iter
if _FRAMELESS is not None:  # (3.10, C runtime: the steps written in Python, called through C)
    aiter = _FRAMELESS(aiter)
    async_with = _FRAMELESS(async_with)


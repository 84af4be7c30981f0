"""`into_future`: what an ``await`` polls (rustc's ``__awaitee``), and `async_fn`.

A translated ``async def`` is a generator function whose code `async_fn`
marks as a coroutine's, so calling it returns a real coroutine object. An
``await`` becomes a loop over the polls of an `Awaitee` (the ``poll``
style's, as in the article's HIR)::

    _ds_awaitee = _ds_rt.into_future(expr)   # match IntoFuture::into_future(expr) { mut pinned =>
    for _ds_poll in _ds_awaitee:             #   loop { match poll_with_tls_context(pin) {
        yield from _ds_awaitee               #     Ready(x) => break x, Pending => yield () } } }
    ... _ds_awaitee.value ...

The loop's first poll resumes what is awaited (a coroutine, translated or
native, or the iterator of any ``__await__``) once. If that completes, the
loop runs no step and ``value`` holds the result. If it waits, the awaitee
keeps the wait, the loop runs its body once, and the coroutine suspends in
``yield from`` the awaitee: the awaitee hands the kept wait to whoever drives
the coroutine, then polls again with each reply, passing on what the driver
sends, throws (a cancellation) or closes, until what it awaits completes.
That is the rest of rustc's loop: each resumption of the suspended chain is
one poll of every level, outermost first. So every driver (asyncio, trio, a
loop calling ``send``) sees the chain as through native ``await``; a thrown
exception or a close reaches the innermost awaited object first, with no
``except`` clause in between to give it a ``__context__``; and a suspended
coroutine's ``cr_await`` is its awaitee, which answers every attribute it
lacks, its ``__class__`` and its ``repr`` as what it awaits, so inspectors
and walks of the await chain (trio's ``Task.iter_await_frames``) read what
they read natively. (The ``hir`` style calls `poll_with_tls_context` in a
``match`` instead; the awaitee is the same.) The task's `Context`, which only
the runtime's own leaf futures need, is in a per-thread slot (``task.cx``),
as the article's ``poll_with_tls_context`` had it in thread-local storage,
which leaves the resume argument to the driver.

This module is the whole runtime of an ``await`` in Python. The C runtime
(``_speedups.c``) is its twin for the hot path: the awaitee, `into_future`,
`async_fn` and `type_lookup`; its module imports the helpers it falls back on
from here (as CPython's ``_asyncio`` imports ``asyncio``'s), and the block at
the end of this module swaps its pieces in, unless ``DESUGAR_PURE_PYTHON=1``
or it is not built. The pure-Python pieces stay reachable as `PyAwaitee`,
`py_into_future`, `py_async_fn` and `py_type_lookup`, the C ones as
`CAwaitee`, `c_into_future`, `c_async_fn` and `c_type_lookup` (None without
the C runtime); `IMPLEMENTATION` says which runs.

The article: Nick Fitzgerald, "Async Stack Traces in Rust" (2019),
https://fitzgeraldnick.com/2019/08/27/async-stacks-in-rust.html
"""

from __future__ import annotations

import sys
import types

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing is not imported at run time (import cost)
    from typing import Any, Callable

from desugar.runtime._names import comprehension_names
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

_new = object.__new__
_FunctionType = types.FunctionType
_TYPE_PARAMS = sys.version_info >= (3, 12)
_CoroutineType = types.CoroutineType
_GeneratorType = types.GeneratorType
_getframe = sys._getframe
_STRIP_OWN_FRAME = sys.version_info >= (3, 11)  # a bare `raise` keeps the edited traceback
_SUSPENDED = "cr_suspended" if sys.version_info >= (3, 11) else None


_EMPTY = object()  # no poll is waiting to be handed over
_NO_POLL = iter(())  # (exhausted: a loop over it ends at once)
_ONE_PENDING = (Pending,)
_iter = iter
_POLL_LEAF = poll_leaf.__code__  # what awaits one of the runtime's Futures

# An awaitee's states (``_state``; the C awaitee's, with the same numbers). The
# generated code polls it with ``for _ds_poll in aw: yield from aw``. The C
# awaitee makes the loop's first step the first poll (ITERATING, then OFFERED
# with the wait kept, or DONE at once), and a step after what is awaited
# completed (FINISHED) ends the loop. This one makes the loop's ``iter(aw)``
# the first poll (it passes ITERATING within that call): if what is awaited
# completed, the loop iterates nothing (DONE); else the wait is kept (OFFERED)
# and the loop iterates one `Pending`, whose body's ``yield from`` (asking for
# the iterator again) hands the wait to the driver. That saves a ``__next__``
# call and a ``StopIteration`` per await in Python. A native ``await aw`` goes
# through ``__await__``, whose first step polls.
FRESH = 0  # not polled
ITERATING = 1  # asked for its iterator while fresh: the next step is the first poll (C only)
OFFERED = 2  # the first poll's wait was kept, for the `yield from` that follows to hand over
RUNNING = 3  # each step resumes what is awaited (after the kept wait, if any)
FINISHED = 4  # what is awaited completed: one more step ends a `for` quietly
DONE = 5  # what is awaited failed, or its result was taken: any further step is a reuse


class Awaitee:
    """The future an ``await`` polls (rustc's ``__awaitee``).

    ``poll_with_tls_context()`` is the first poll. If the awaited object waits,
    the awaiting frame suspends with ``yield from`` the awaitee, which hands that
    poll to the driver, then polls again with each reply the driver sends
    (``send``/``__next__``), throws (``throw``) or gives by closing (``close``),
    passing each on to what it awaits, until that completes (``StopIteration``;
    the result is in ``value``). ``poll(cx)`` is the same resumption as a Rust
    future's poll, for the executor and the combinators (`join`, `select`).
    """

    __slots__ = ("_it", "_handover", "_value", "_state", "__weakref__")

    def __init__(self, it: Any) -> None:
        self._it = it  # a coroutine or an iterator (the result of __await__)
        self._handover: Any = _EMPTY
        self._state = FRESH

    def __iter__(self) -> Any:
        """The loop's ``iter()`` is its first poll; later, ``yield from`` gets the awaitee.

        (The C awaitee makes the loop's first step the first poll instead; this
        saves the pure-Python one a ``__next__`` call and a ``StopIteration``
        per await: the loop iterates no poll, or one `Pending`.)
        """
        state = self._state
        if state == FRESH:  # the poll loop's `for`: poll now (`poll_with_tls_context`,
            it = self._it  # inlined: a Python-level call less per await)
            self._state = DONE
            try:
                pending = it.send(None) if type(it) is _CoroutineType else next(it)
            except StopIteration as stop:
                self._value = stop.value
                self._it = None
                return _NO_POLL  # Ready: the loop runs no step
            except BaseException as error:
                self._it = None
                if _STRIP_OWN_FRAME:
                    _drop_entry(error, _getframe())
                del error
                raise
            self._handover = pending
            self._state = OFFERED
            return _iter(_ONE_PENDING)  # the loop's body suspends once, in `yield from` the awaitee
        if state == OFFERED:  # the `for` body's `yield from`: hand the wait over
            self._state = RUNNING
        elif state == FINISHED:  # iterated anew: no quiet end for it
            self._state = DONE
        return self

    def __await__(self) -> Awaitee:
        """A native ``await``: its first step polls (an async generator's loop body: hands over)."""
        state = self._state
        if state < RUNNING:  # FRESH, or OFFERED (this one is never ITERATING)
            self._state = RUNNING
        elif state == FINISHED:
            self._state = DONE
        return self

    @property
    def value(self) -> Any:
        """The result, once: reading it lets the awaitee forget it.

        The generated code reads it once per await. Natively the result lives on
        the value stack, which an exception clears; kept here, it would stay
        reachable from the frame in the exception's traceback (an outcome object
        holding the exception makes a reference cycle, as trio's do).
        """
        value = self._value
        del self._value
        return value

    def poll_with_tls_context(self) -> Any:
        """The first poll: `Ready` (the class) if what is awaited completed at once,
        with the result in ``value``; else what it yielded, which ``yield from``
        the awaitee then hands to the driver.

        The name is the article's: the task's `Context`, which the runtime's
        leaf futures need, is in a per-thread slot, not an argument.
        """
        it = self._it
        self._state = DONE
        try:
            # As `yield from` resumes with None: a coroutine by send(), anything else
            # by next() (an iterator's __next__ and send(None) may differ).
            pending = it.send(None) if type(it) is _CoroutineType else next(it)
        except StopIteration as stop:
            self._value = stop.value
            self._it = None
            return Ready  # the class itself: a marker the generated code tests with `is`
        except BaseException as error:
            if it is None:
                raise _reused() from None
            self._it = None
            if _STRIP_OWN_FRAME:  # the poll is not a frame of the await chain
                _drop_entry(error, _getframe())
            del error
            raise
        self._handover = pending
        self._state = RUNNING
        return pending

    def send(self, value: Any = None) -> Any:
        """One step: the kept wait, or what is awaited resumed with what the driver sent."""
        pending = self._handover
        if pending is not _EMPTY:
            self._handover = _EMPTY
            if self._state != OFFERED:  # the `yield from`'s first step: the first poll's wait
                return pending
            self._state = RUNNING  # (stepped with no `yield from` first: the driver has it)
        it = self._it
        if it is None:
            if self._state == FINISHED:  # the step after completion ends a `for` quietly
                self._state = DONE
                raise StopIteration
            raise _reused()
        try:  # (as `yield from` resumes with None: a coroutine by send(), anything else by next())
            return it.send(value) if value is not None or type(it) is _CoroutineType else next(it)
        except StopIteration as stop:
            self._value = stop.value
            self._it = None
            self._state = FINISHED
            raise  # (a native `await` of an awaitee gets the value)
        except BaseException as error:
            self._it = None
            self._state = DONE
            if _STRIP_OWN_FRAME:
                _drop_entry(error, _getframe())
            del error
            raise

    __next__ = send  # (the driver resumed us with None, as asyncio does)

    def throw(self, typ: Any, val: Any = None, tb: Any = None) -> Any:
        """Poll again, throwing in what the driver threw (a cancellation), as ``yield from`` does."""
        error = _exception(typ, val, tb)
        del typ, val, tb
        try:
            throw = getattr(self._it, "throw", None)
            if throw is None:  # as `yield from`: raised at the await
                raise error
            return throw(error)
        except StopIteration as stop:  # it handled the exception and completed
            self._value = value = stop.value
            self._it = None
            self._state = FINISHED
            raise StopIteration(value) from None  # (a native `await` of an awaitee gets it)
        except BaseException as raised:
            self._it = None
            self._state = DONE
            if _STRIP_OWN_FRAME:
                _drop_entry(raised, _getframe())
            del raised, error
            raise

    def close(self) -> None:
        """Drop the awaitee: close what it awaits (``yield from`` does so on close)."""
        it = self._it
        self._it = None
        self._state = DONE
        self._handover = _EMPTY
        if it is not None:
            close = getattr(it, "close", None)
            del it
            if close is not None:
                try:
                    close()
                except BaseException as error:  # (raised at the await: no frame of ours keeps
                    del close  # what was awaited alive, none shows in the traceback)
                    if _STRIP_OWN_FRAME:
                        _drop_entry(error, _getframe())
                    del error
                    raise

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
        if previous is not cx:  # (the executor has set its task's already)
            task.cx = cx
        try:
            pending = it.send(None) if type(it) is _CoroutineType else next(it)
            while True:
                if pending is Pending:
                    return Pending
                if pending is None:
                    cx.waker().wake_by_ref()
                    return Pending
                error = _cannot_wait(pending, cx)
                if error is None:
                    return Pending
                pending = it.throw(error)
                del error
        except StopIteration as stop:
            self._it = None
            self._state = DONE
            return Ready(stop.value)
        except BaseException:
            self._it = None
            self._state = DONE
            raise
        finally:
            if previous is not cx:
                task.cx = previous

    # --- introspection -----------------------------------------------------
    def awaited(self) -> Any:
        """What it awaits: the coroutine or iterator it drives (None once done)."""
        return self._it

    # A suspended translated coroutine's ``cr_await`` is its awaitee (the target
    # of its ``yield from``), and the awaitee answers for what it awaits: every
    # attribute it does not have itself (``cr_frame``, ``cr_await``, ``gi_code``,
    # ``gi_yieldfrom``, ``__qualname__``...), ``__class__`` (so ``isinstance``
    # and `inspect` see a coroutine, a generator...) and ``repr``. Walks of the
    # await chain (trio's ``Task.iter_await_frames``, ``coro.cr_await.cr_await
    # .gi_code``) read what they read natively.
    def __getattr__(self, name: str) -> Any:
        """What the awaited object has (only names the awaitee lacks get here)."""
        return _inspect(self, name)

    @property  # type: ignore[misc]
    def __class__(self) -> type:  # noqa: F811
        """The class of what is awaited, as ``isinstance`` and `inspect` read it."""
        return _inspect(self, "__class__")

    def __repr__(self) -> str:
        it = self._it
        if type(it) is _GeneratorType and it.gi_code is _POLL_LEAF and it.gi_frame is not None:
            it = it.gi_frame.f_locals.get("future", it)  # a leaf: show the future it polls
            return f"<awaitee of {it!r}>"
        if it is None:
            return "<awaitee (done)>"
        return repr(it)


def _awaited(awaitee: Any) -> tuple[Any, Any, Any, bool]:
    """(frame, what it awaits, code, running) where what is awaited has no such attributes.

    That is: nothing (done: no frame), a leaf future of ours (polled
    directly: no frame), or an async generator's ``asend``/``athrow``, which
    shows the generator's frame, as trio's walk digs it out natively.
    """
    it = awaitee._it
    if it is None or _polled_leaf(it):
        return None, None, None, False
    import gc

    for referent in gc.get_referents(it):
        if hasattr(referent, "ag_frame"):
            return referent.ag_frame, referent.ag_await, referent.ag_code, referent.ag_running
    return None, None, None, False


def _polled_leaf(it: Any) -> bool:
    """Is ``it`` the loop that polls a leaf future of ours directly (no frame to show)?"""
    return type(it) is _GeneratorType and it.gi_code is _POLL_LEAF and it.gi_yieldfrom is None


_OWN = frozenset(("value", "_value", "_it", "_handover", "_state"))
_CR = ("cr_frame", "cr_await", "cr_code", "cr_running")
_STEPS = ("async_generator_asend", "async_generator_athrow")


def _inspect(awaitee: Any, name: str) -> Any:
    """``awaitee``'s attribute ``name`` that it does not have itself: what it awaits has it.

    Done, or polling a leaf future of ours, it answers as a finished
    coroutine (no frame, awaiting nothing); awaiting an async generator's
    step, it also shows the generator's frame as ``cr_*`` (natively found
    through ``gc``, as trio does).
    """
    if name in _OWN:
        raise AttributeError(f"'awaitee' object has no attribute '{name}'")
    it = awaitee._it
    if it is None or _polled_leaf(it):
        if name == "__class__":
            return type(awaitee)
        if name in _CR:
            return _awaited(awaitee)[_CR.index(name)]
        raise AttributeError(f"'awaitee' object has no attribute '{name}'")
    if name in _CR and type(it).__name__ in _STEPS:
        return _awaited(awaitee)[_CR.index(name)]
    return getattr(it, name)


def _load_speedups() -> Any:
    """The C runtime (``_speedups``), unless ``DESUGAR_PURE_PYTHON=1`` or it was not built."""
    import os

    if os.environ.get("DESUGAR_PURE_PYTHON", "") not in ("", "0"):
        return None
    try:
        from desugar.runtime import _speedups
    except ImportError:  # (no compiler at install time: setup.py said so under `pip install -v`)
        if sys.flags.verbose:
            print("desugar: the C runtime (desugar.runtime._speedups) is not built here; "
                  "using the pure-Python runtime", file=sys.stderr)
        return None
    if getattr(_speedups, "C_API", None) != C_API:  # built from older (or newer) sources
        print(f"desugar: the C runtime ({_speedups.__file__}) was built from other sources than "
              "this desugar; using the pure-Python runtime. Rebuild it: pip install -e . "
              "(or python setup.py build_ext --inplace)", file=sys.stderr)
        return None
    return _speedups


C_API = 7
"""The version of what the C runtime offers this module and takes from it (``DESUGAR_C_API`` in
``_speedups.c``): raise both with any change of either side."""


def _drop_entry(error: BaseException, frame: Any) -> None:
    """Take ``frame``'s entry off the top of ``error``'s traceback (a bare ``raise`` follows)."""
    tb = error.__traceback__
    if tb is not None and tb.tb_frame is frame:
        error.__traceback__ = tb.tb_next


def _reused() -> RuntimeError:
    return RuntimeError(
        "cannot reuse already awaited awaitable (`async fn` resumed after completion): "
        "await each coroutine once"
    )


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
        f"an awaited object yielded {pending!r}, which desugar.runtime cannot wait on where it "
        "polls futures itself (block_on, join, select, timeout): it belongs to another driver; "
        "await it directly under the driver it was written for (asyncio.run, trio.run, ...), "
        "and use that driver's own tools (task groups, nurseries) to run it concurrently"
    )


def into_future(obj: Any) -> Awaitee:
    """``IntoFuture::into_future``: the awaitee that an ``await obj`` polls.

    Accepts what CPython's ``await`` accepts (coroutines, ``types.coroutine``
    generators, objects whose type's ``__await__`` returns an iterator, and
    the runtime's `Future`\\ s) and refuses the rest with CPython's errors.
    ``__await__`` is found on the type and bound as CPython's slot binds it
    (see `lookup_special`).

    The awaitee of a coroutine is a `PyAwaitee`; the others are of the
    running runtime's `Awaitee` class (the C `into_future` takes coroutines,
    and hands the rest to this one).
    """
    t = type(obj)
    if t is _CoroutineType:
        if obj.cr_suspended if _SUSPENDED is not None else _suspended(obj):
            raise RuntimeError("coroutine is being awaited already")
        awaitee = _new(PyAwaitee)  # (no __init__ call: this is every await's cost)
        awaitee._it = obj
        awaitee._handover = _EMPTY
        awaitee._state = FRESH
        return awaitee
    if t is Awaitee or t is PyAwaitee:  # (`async with` and `async for` make theirs first)
        return obj
    if t is _GeneratorType and obj.gi_code.co_flags & CO_ITERABLE_COROUTINE:
        return Awaitee(obj)
    await_ = type_lookup(t, "__await__", MISSING)
    if await_ is _FUTURE_AWAIT:  # one of the runtime's Futures: polled with the task's Context
        return Awaitee(poll_leaf(obj))
    try:
        if type(await_) is _FunctionType:  # (a method: called with `obj`, as the slot calls it)
            return Awaitee(_checked_await(await_(obj)))
        if await_ is MISSING:
            raise TypeError(f"object {tp_name(t)} can't be used in 'await' expression")
        return Awaitee(_checked_await(call_slot(obj, t, await_, "__await__")))
    except BaseException as error:  # raised at the await, as natively: no frame of ours
        if _STRIP_OWN_FRAME:
            _drop_entry(error, _getframe())
            tb = error.__traceback__
            while tb is not None and tb.tb_frame.f_code in _AWAIT_HELPERS:
                tb = tb.tb_next
            error.__traceback__ = tb
        del error
        raise


def awaitable(obj: Any) -> Any:
    """What the ``yield-from`` style's ``yield from`` steps: ``obj`` as ``await`` takes it.

    A coroutine (translated or native) is returned as it is: ``yield from`` it
    is the poll loop CPython runs for a native ``await`` (the interpreter
    resumes it in its own loop, ``SEND``), with its ``cr_await`` chain,
    throw, close and tracebacks. Anything else is its `into_future` awaitee,
    set so that its first step is its first poll (as ``__await__`` does), and
    refused with CPython's errors as there.
    """
    if type(obj) is _CoroutineType:
        if obj.cr_suspended if _SUSPENDED is not None else _suspended(obj):
            raise RuntimeError("coroutine is being awaited already")
        return obj
    try:
        return into_future(obj).__await__()
    except BaseException as error:  # raised at the await, as natively: no frame of ours
        if _STRIP_OWN_FRAME:
            _drop_entry(error, _getframe())
        del error
        raise


# ---- special methods, found as CPython finds them ------------------------------
# The protocols (`await`, `async with`, `async for`) look their methods up on the
# type, never on the instance or the metaclass, and bind what they find as its
# descriptor says: a function to the object, a classmethod to the type, a
# staticmethod not at all, a slot (member descriptor) to the object's value.

MISSING = object()
"""What `type_lookup` and `lookup_special` return for a name the type does not have."""

_mro_of = type.__dict__["__mro__"].__get__  # (not `cls.__mro__`: a metaclass may shadow it)
_dict_of = type.__dict__["__dict__"].__get__
_MethodType = types.MethodType
_FUTURE_AWAIT = Future.__dict__["__await__"]
_IMMUTABLETYPE = 1 << 8  # (a type made in C: static, or from a spec; never a class statement's)


def type_lookup(cls: type, name: str, missing: Any) -> Any:
    """CPython's ``_PyType_Lookup``: ``name`` in the dicts along ``cls``'s MRO, unbound, or ``missing``.

    (The C runtime's is ``_PyType_Lookup`` itself, with its method cache.)
    """
    for base in _mro_of(cls):
        value = _dict_of(base).get(name, missing)
        if value is not missing:
            return value
    return missing


def _bind(found: Any, obj: Any, cls: type) -> Any:
    """``found`` (``cls``'s attribute) bound to ``obj`` by its type's ``__get__``, if it has one."""
    kind = type(found)
    if kind is _FunctionType:
        return _MethodType(found, obj)
    get = type_lookup(kind, "__get__", MISSING)
    if get is MISSING:
        return found
    return get(found, obj, cls)


def lookup_special(obj: Any, name: str) -> Any:
    """CPython's ``_PyObject_LookupSpecial``: ``type(obj)``'s ``name`` bound to ``obj``, or `MISSING`.

    What ``async with`` does for ``__aenter__`` and ``__aexit__``; an error of
    the descriptor's ``__get__`` propagates.
    """
    cls = type(obj)
    found = type_lookup(cls, name, MISSING)
    if found is MISSING:
        return found
    return _bind(found, obj, cls)


def call_slot(obj: Any, cls: type, found: Any, name: str) -> Any:
    """Call ``found`` (``cls``'s ``name``) on ``obj`` as CPython's type slot does (``slot_am_await``...).

    A function is called with ``obj``; anything else is bound first, and if its
    ``__get__`` fails, the slot says the object has no such method (CPython
    drops the descriptor's error: the new one's context is what was handled).
    """
    if type(found) is _FunctionType:
        return found(obj)
    try:
        method = _bind(found, obj, cls)
    except BaseException:
        method = MISSING
    if method is MISSING:
        raise AttributeError(f"object {tp_name(cls, 50)} does not have {name} method")
    return method()


def tp_name(cls: type, limit: int = 100) -> str:
    """The type's name as CPython's messages print it (``%.100s`` of ``tp_name``)."""
    name = cls.__name__
    if cls.__flags__ & _IMMUTABLETYPE:  # a C type's tp_name is dotted: `itertools.count`
        module = cls.__module__
        if module != "builtins":
            name = f"{module}.{name}"
    return name[:limit]


def _suspended(coro: Any) -> bool:
    """Is ``coro`` started and suspended, so that something else awaits it already?"""
    if _SUSPENDED is not None:
        return coro.cr_suspended
    frame = coro.cr_frame
    return frame is not None and frame.f_lasti >= 0 and not coro.cr_running


def poll_with_tls_context(pinned: Any) -> Poll:
    """``future::poll_with_tls_context(pin)``, as the ``hir`` style's loop matches it.

    The first call is the awaitee's first poll (`Awaitee.poll_with_tls_context`):
    `Pending` if what is awaited waits, and the loop then suspends in ``yield
    from`` the awaitee, which polls it at each resumption until it completes;
    the next call is `Ready`. The output stays in the awaitee, read once as its
    ``value``: the `Ready` holds the awaitee.
    """
    try:
        if pinned._it is None or pinned.poll_with_tls_context() is Ready:
            return Ready(pinned)
        return Pending
    except BaseException as error:  # raised at the await, as natively: no frame of ours
        if _STRIP_OWN_FRAME:
            _drop_entry(error, _getframe())
        del error
        raise


def _checked_await(it: Any) -> Any:
    """What ``__await__`` returned, checked as CPython checks it."""
    t = type(it)
    if t is _CoroutineType or (t is _GeneratorType and it.gi_code.co_flags & CO_ITERABLE_COROUTINE):
        raise TypeError("__await__() returned a coroutine")
    if type_lookup(t, "__next__", MISSING) is MISSING:
        raise TypeError(f"__await__() returned non-iterator of type '{tp_name(t)}'")
    return it


_AWAIT_HELPERS = (_checked_await.__code__, call_slot.__code__)  # (frames into_future leaves out)


def as_future(obj: Any) -> Any:
    """A `Future` to poll: the runtime's futures as they are, any awaitable as an `Awaitee`."""
    if isinstance(obj, Future) or isinstance(obj, Awaitee):
        return obj
    return into_future(obj)


_flagged: dict[int, tuple[Any, Any]] = {}  # id(generator code) -> (that code, coroutine code)


def async_fn(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Decorator for a translated ``async def``: a function whose call returns a real coroutine.

    The result is the same function but for its code's flags, which are a
    coroutine's instead of a generator's (as ``types.coroutine`` changes
    flags), plus the `TRANSLATED` marker bit: a plain function
    (``inspect.isfunction``; its ``__code__`` is the code that runs) that
    ``inspect.iscoroutinefunction``, ``inspect.iscoroutine``, ``cr_frame``,
    ``cr_running``, ``inspect.getcoroutinestate``, asyncio, trio and the
    "never awaited" warning see as they see a native one. (It is built anew
    rather than given the code: Python 3.13 deprecates giving a function code
    of another kind. Ours is the innermost decorator, so nothing has seen the
    first one.)
    """
    code = fn.__code__
    if code.co_flags & CO_COROUTINE:
        return fn  # already marked (by the import hook)
    entry = _flagged.get(id(code))
    if entry is None or entry[0] is not code:
        names = comprehension_names(code, fn.__qualname__)
        if names is None:
            entry = (code, as_coroutine_code(code))
        else:  # an async comprehension's: (code, its code, its name, its qualname)
            entry = (code, as_coroutine_code(names[0]), names[1], names[2])
        _flagged[id(code)] = entry
    named = len(entry) == 4
    new = _FunctionType(entry[1], fn.__globals__, entry[2] if named else fn.__name__, fn.__defaults__, fn.__closure__)
    new.__qualname__ = entry[3] if named else fn.__qualname__
    new.__module__ = fn.__module__
    new.__doc__ = fn.__doc__
    new.__kwdefaults__ = fn.__kwdefaults__
    new.__annotations__ = fn.__annotations__
    if _TYPE_PARAMS:
        new.__type_params__ = fn.__type_params__
    if fn.__dict__:
        new.__dict__.update(fn.__dict__)
    return new


def as_coroutine_code(code: types.CodeType) -> types.CodeType:
    """``code`` of a translated generator function, flagged as a coroutine's."""
    return code.replace(co_flags=(code.co_flags & ~CO_GENERATOR) | CO_COROUTINE | TRANSLATED)


def is_translated(obj: Any) -> bool:
    """True for a translated ``async def``: the function, its code, or a coroutine it returned."""
    code = getattr(obj, "__code__", None) or getattr(obj, "cr_code", None) or obj
    flags = getattr(code, "co_flags", 0)
    return flags & (CO_COROUTINE | TRANSLATED) == CO_COROUTINE | TRANSLATED


# ---- the C runtime: its pieces swapped in, in one place ---------------------
# (`_speedups`, imported here, imports the helpers above that it falls back on:
# `py_into_future` for what is not a coroutine, `PyAwaitee.poll` and `__repr__`,
# `_inspect`, `py_async_fn` and its `_flagged` cache, `_exception`, `_suspended`.
# Its `anext` and `async_for` fall back on `_stream`'s, read at their first use.)

PyAwaitee = Awaitee
"""The pure-Python awaitee: the readable reference of the C one, and the fallback."""
py_into_future = into_future
py_async_fn = async_fn
py_type_lookup = type_lookup
py_awaitable = awaitable

_speedups = _load_speedups()
IMPLEMENTATION = "python" if _speedups is None else "c"
"""Which runtime runs: ``"c"`` (``_speedups``) or ``"python"`` (the fallback)."""

CAwaitee = c_into_future = c_async_fn = c_type_lookup = None
if _speedups is not None:
    # The C awaitee's poll, repr and cr_* are PyAwaitee's; `into_future` takes coroutines and
    # hands the rest to `py_into_future`; `async_fn` builds the function for code seen before.
    Awaitee = CAwaitee = _speedups.Awaitee  # type: ignore[misc]
    into_future = c_into_future = _speedups.into_future
    async_fn = c_async_fn = _speedups.async_fn
    type_lookup = c_type_lookup = _speedups.type_lookup
    awaitable = _speedups.awaitable

_FRAMELESS = _speedups.frameless if _speedups is not None and not _STRIP_OWN_FRAME else None
"""3.10 with the C runtime: a protocol step written in Python, called through C so that what it
raises shows none of the runtime's frames, as natively (`_speedups.frameless`: 3.10 records an
entry for each Python frame an error leaves, and its bare ``raise`` keeps that entry)."""
py_poll_with_tls_context = poll_with_tls_context
if _FRAMELESS is not None:
    poll_with_tls_context = _FRAMELESS(poll_with_tls_context)

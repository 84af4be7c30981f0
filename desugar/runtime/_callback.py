"""The callback lowering's runtime: promise-like jobs on a microtask queue, as JavaScript runs them.

Under ``--lowering callback`` an ``async def`` becomes a generator function
decorated ``@_ds_rt.callback_fn`` (``callback_fn(async_stacks=True)`` under
``--lowering callback-async-stacks``), and each ``await x`` in it becomes::

    _ds_awaited = _ds_rt.callback_result((yield _ds_rt.callback_await(x)))

The generator yields its request to this module's trampoline and is resumed
with the value or the error (`callback_result` raises it at the await), as
the article's JavaScript desugaring pumps a generator from promise
callbacks.

Calling a decorated function returns a real coroutine object (its arguments
bound at the call, as natively), so asyncio, trio, ``inspect`` and native
``await`` take it. What runs when that coroutine is driven is the *runner*
(`_run`): it makes the function's generator a `Job` (a job is its own
promise: it settles once, with a value or an error, and has at most one
awaiter, since a coroutine is awaited once) and runs a queue of callbacks:

* a job awaiting another callback-lowered coroutine not yet started *adopts*
  it in `callback_await`, in the awaiter's frame: it starts the coroutine with
  a per-thread flag set, and the callee's runner, seeing it, returns the
  callee's generator at once (so that coroutine is done, and awaiting it again
  fails as natively); the callee becomes a job of its own and runs at once,
  on top of its awaiter, until its first suspension, as a JavaScript async
  function called from another runs (`_start_callee`). The awaiter waits for
  the callee's settlement, which queues the callback that resumes it. So
  when a job is resumed from the queue, the runner's frames are below it and
  no other program frame is: in the article's example, ``blow_up`` raises
  with ``foo`` and ``bar`` suspended, nowhere on the stack (a coroutine
  already started, awaited elsewhere, is refused as natively);
* a job awaiting anything else (an asyncio or trio awaitable, a native or
  poll-lowered coroutine, the runtime's leaf futures) leaves the queue empty:
  the runner then drives that awaitable as the poll lowering's awaitee does
  (``for _ds_poll in aw: yield from aw``), so its waits reach whoever drives
  the outermost coroutine unchanged, and what that driver throws (a
  cancellation) or closes reaches the innermost awaited object first; the
  outcome resumes the job.

Each outermost coroutine has its own queue, drained within each of its
driver's steps, so the interleaving of side effects with other tasks is the
native one: the driver sees a suspension exactly where a native chain would
suspend. Exceptions keep the ``__context__`` they get natively: the exception
an awaiter handles at its await (`callback_await` reads it in the awaiter's
frame) is the handled exception of its callee's steps, which run inside an
``except`` of it. A rejected job's error is raised again in its awaiter, at
the await, by `callback_result` (whose ``except`` catches it), with the
``__context__`` it was raised with (natively an error that propagates from
the awaited coroutine is not chained again; ``generator.throw`` would chain
it to what the awaiter handles, in an ``except`` block), and keeps the
traceback it was raised with, as a
JavaScript error keeps its stack: the stack at that moment, the runtime's
frames left out (`_origin`); the awaiters it passes through add no frames. So
the uncaught error of the article's example shows the frames that ran the
job, then ``blow_up``: the lonely frame, what ``desugar compare`` records.

What CPython throws in (a ``GeneratorExit`` as a level is closed) is thrown in.

With ``async_stacks`` (``callback-async-stacks``), each await captures the
awaiter's async stack, as SpiderMonkey does when an async operation begins:
the awaiter's ``(qualname, file, line)`` and, below it, its own captured
stack, at most `MAX_DEPTH` frames (V8's default of 10). An error raised in a
job gets its job's captured stack as ``__desugar_async_stack__`` and, on
Python 3.11+, as a note that the traceback prints as the async part (on 3.10
``desugar run`` prints it). `stats` counts the captures and their bytes.

The article: Nick Fitzgerald, "Async Stack Traces in Rust" (2019),
https://fitzgeraldnick.com/2019/08/27/async-stacks-in-rust.html
"""

from __future__ import annotations

import sys
from _thread import _local
from types import TracebackType

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable

from desugar.runtime._awaitee import (
    _FRAMELESS, _STRIP_OWN_FRAME, CO_COROUTINE, TRANSLATED, _drop_entry, _suspended, into_future,
)
from desugar.runtime._names import comprehension

MAX_DEPTH = 10
"""Frames kept in a captured async stack (V8's ``--async-stack-trace-limit`` default)."""

_FILE = __file__
_getframe = sys._getframe
_getsizeof = sys.getsizeof
_exception = sys.exception if sys.version_info >= (3, 11) else (lambda: sys.exc_info()[1])
_NOTES = sys.version_info >= (3, 11)
_QUALNAME = sys.version_info >= (3, 11)


async def _probe() -> None:
    pass


_probe_coro = _probe()
_CoroutineType = type(_probe_coro)
_probe_coro.close()
del _probe_coro


class _State(_local):
    adopting = False
    # (the queue of the job running now in `_step`, that job, and the job its
    # queue resumed: the oldest of those started within it), or None
    running: Any = None


_state = _State()


class Stats:
    """What ``callback-async-stacks`` captured in this process: captures and their bytes."""

    __slots__ = ("captures", "bytes", "awaits")

    def __init__(self) -> None:
        self.captures = 0
        self.bytes = 0
        self.awaits = 0


stats = Stats()


class _Handled:
    """An await's request made while the awaiter handles an exception: that exception too."""

    __slots__ = ("awaited", "handled")

    def __init__(self, awaited: Any, handled: BaseException) -> None:
        self.awaited = awaited
        self.handled = handled


class _Value:
    """How a job is resumed with a value: `callback_result` takes it out at the await.

    The trampoline holds what it sends until the step ends; natively an awaited
    value is the awaiter's alone once the await is done (a `__del__` runs, a
    generator is finalized, when the awaiter drops it): so the value is sent
    in a box the await empties.
    """

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


class _Failed:
    """How a job is resumed with an error: `callback_result` raises it at the await (and lets it go)."""

    __slots__ = ("error", "fresh")

    def __init__(self, error: BaseException, fresh: bool = False) -> None:
        self.error = error
        self.fresh = fresh
        """Raised at the await itself (chained to what the awaiter handles), not propagated to it."""


def callback_result(outcome: Any) -> Any:
    """The value an await's resumption gives (``outcome``), or the error raised at the await.

    An error that propagates from what was awaited keeps its ``__context__``,
    as natively; one raised at the await itself (nothing to await) is chained
    to what the awaiter handles, as any raise there is.
    """
    kind = type(outcome)
    if kind is _Value:
        value = outcome.value
        outcome.value = None
        return value
    if kind is not _Failed:
        return outcome
    error = outcome.error
    outcome.error = None  # (the trampoline's step holds `outcome`: the error is the awaiter's)
    context = error.__context__
    keep = not outcome.fresh
    del outcome
    try:
        raise error
    except BaseException as raised:
        if keep:
            raised.__context__ = context
        if _STRIP_OWN_FRAME:
            _drop_entry(raised, _getframe())
        del raised, error, context
        raise


def callback_await(awaited: Any) -> Any:
    """The request an ``await awaited`` yields to the trampoline (read in the awaiter's frame).

    A callback-lowered coroutine not yet started starts here, as a JavaScript
    async function called from another runs: on top of its awaiter's frame,
    until its first suspension (`_start_callee`); the request is then its job.
    """
    handled = _exception()
    running = _state.running
    if (
        running is not None
        and type(awaited) is _CoroutineType
        and awaited.cr_code.co_filename == _FILE
        and not awaited.cr_running
        and not (awaited.cr_suspended if _NOTES else _suspended(awaited))
    ):  # (only a job's generator awaits, and only `_step` runs one, but for `_close_job`)
        return _start_callee(running[0], running[1], awaited, handled)
    if handled is None:
        return awaited
    return _Handled(awaited, handled)


def _start_callee(loop: _Loop, job: Job, coro: Any, handled: BaseException | None) -> Any:
    """Adopt ``coro``'s generator as a job awaited by ``job`` and run it to its first suspension.

    It runs nested in ``job``'s step (``job``'s frame below it), as a
    JavaScript async function runs when called; what it then waits for is
    driven by the runner, and its settlement queues ``job``'s resumption,
    which may so be queued before ``job`` yields the returned job.
    """
    _state.adopting = True
    try:
        coro.send(None)  # (its runner hands the generator over: the coroutine completes)
    except StopIteration as handed:
        gen = handed.value
    except RuntimeError:  # (done already: "cannot reuse already awaited coroutine")
        return coro if handled is None else _Handled(coro, handled)  # (`_step` says so)
    finally:
        _state.adopting = False
    stats.awaits += 1
    callee = Job(gen, job, handled if handled is not None else job.outer, job.async_stacks)
    if job.async_stacks:
        callee.stack = _capture(job)
    _step(loop, callee, None, None)
    return callee


class Job:
    """One activation of a callback-lowered function: its generator and its promise."""

    __slots__ = ("gen", "awaiter", "outer", "stack", "async_stacks")

    def __init__(self, gen: Any, awaiter: Job | None, outer: Any, async_stacks: bool) -> None:
        self.gen = gen
        self.awaiter = awaiter  # the job resumed when this one settles (None: the root)
        self.outer = outer  # the exception its awaiters handle (its steps run inside it)
        self.stack: tuple = ()  # the captured async stack of its awaiters, youngest first
        self.async_stacks = async_stacks


class _Loop:
    """The microtask queue of one outermost coroutine."""

    __slots__ = ("queue", "foreign", "interrupted", "result", "done")

    def __init__(self) -> None:
        self.queue: list = []
        self.foreign: Any = None  # (job, awaitable, handled): the await the runner drives
        self.interrupted: Job | None = None  # the job whose await a GeneratorExit stopped
        self.result: Any = None
        self.done = False


def _frame_entry(job: Job) -> tuple:
    frame = job.gen.gi_frame
    code = frame.f_code
    return (code.co_qualname if _QUALNAME else code.co_name, code.co_filename, frame.f_lineno)


def _capture(job: Job) -> tuple:
    """The async stack an await in ``job`` captures: ``job`` at its await, then its awaiters."""
    entry = _frame_entry(job)
    below = job.stack
    stack = (entry, *below[: MAX_DEPTH - 1])
    stats.captures += 1
    stats.bytes += _getsizeof(stack) + _getsizeof(entry) + (_getsizeof(entry[2]) if entry[2] > 256 else 0)
    return stack


def format_async_stack(stack: tuple) -> str:
    """A captured stack in the traceback's layout, youngest first, each frame marked
    ``async`` as Firefox marks the async part of a stack (``async*bar@file:line``)."""
    lines = ["async stack (captured at the awaits; youngest first):"]
    for qualname, filename, line in stack:
        lines.append(f'  File "{filename}", line {line}, in async {qualname}')
    return "\n".join(lines)


def _attach(error: BaseException, job: Job) -> None:
    """Give ``error``, raised in ``job``, the job's captured stack (once: the youngest job's)."""
    try:
        if "__desugar_async_stack__" in error.__dict__:
            return
        error.__desugar_async_stack__ = job.stack  # type: ignore[attr-defined]
    except (AttributeError, TypeError):
        return
    if _NOTES and job.stack:
        error.add_note(format_async_stack(job.stack))


_STOP_MESSAGE = "generator raised StopIteration"


def _step(loop: _Loop, job: Job, value: Any, error: _Failed | BaseException | None) -> None:
    """Resume ``job`` with ``value``, or ``error``: a `_Failed` raised at its await, else thrown in.

    An error it raises keeps the traceback it was raised with, the stack at
    that moment (`_origin`), as a JavaScript error keeps its stack: rethrown
    from each awaiter it passes through, it gains none of their frames.
    """
    gen = job.gen
    state = _state
    saved = state.running
    base = job if saved is None else saved[2]
    state.running = (loop, job, base)
    passing = error
    passed = tb_id = None
    if type(error) is _Failed:  # (sent: `callback_result` raises it at the await)
        # Known by its id and its traceback's: the step must not keep it alive
        # (natively it dies in the awaiter, say at the end of the `except` that caught it).
        sent = error.error
        value, passing, error = error, None, None
        passed, tb_id = id(sent), id(sent.__traceback__)
        del sent
    thrown = passing.__traceback__ if passing is not None else None
    try:
        outer = job.outer
        if outer is None:
            request = gen.send(value) if error is None else gen.throw(error)
        else:
            request = _inside(outer, gen, value, error)
    except StopIteration as stop:
        state.running = saved
        _settle(loop, job, stop.value, None)
        return
    except BaseException as raised:
        through = None if id(raised) != passed else _entry_with_id(raised.__traceback__, tb_id)  # type: ignore[arg-type]
        if raised is passing:  # passed through: the traceback it was thrown in with
            raised.__traceback__ = thrown
        elif through is not None:
            raised.__traceback__ = None if through is _NO_TRACEBACK else through
        else:
            if type(raised) is RuntimeError and raised.args == (_STOP_MESSAGE,) and _left(raised, gen):
                raised.args = ("coroutine raised StopIteration",)  # (as the native coroutine says)
            raised.__traceback__ = _origin(raised.__traceback__)
        if job.async_stacks:
            _attach(raised, base)
        state.running = saved
        _settle(loop, job, None, raised)
        return
    finally:
        del error, passing, thrown, value
    state.running = saved
    if type(request) is Job:  # a callee started by `callback_await`, its awaiter set
        return
    handled = None
    if type(request) is _Handled:
        handled = request.handled
        request = request.awaited
    outer = handled if handled is not None else job.outer
    stats.awaits += 1
    stack = _capture(job) if job.async_stacks else None
    if type(request) is _CoroutineType and request.cr_code.co_filename == _FILE:
        # Another callback-lowered coroutine (one `callback_await` could not start): adopt it.
        if (request.cr_suspended if _NOTES else _suspended(request)):
            loop.queue.append((job, None, _Failed(RuntimeError("coroutine is being awaited already"), True)))
            return
        _state.adopting = True
        try:
            request.send(None)
        except StopIteration as handed:
            adopted = handed.value
        except BaseException as refused:  # (awaited already: "cannot reuse already awaited coroutine")
            loop.queue.append((job, None, _Failed(refused, True)))
            return
        finally:
            _state.adopting = False
        callee = Job(adopted, job, outer, job.async_stacks)
        if stack is not None:
            callee.stack = stack
        loop.queue.append((callee, None, None))
        return
    loop.foreign = (job, request, outer)


_NO_TRACEBACK = object()


def _entry_with_id(tb: TracebackType | None, ident: int) -> Any:
    """The entry of ``tb`` whose id is ``ident`` (`_NO_TRACEBACK` for the id of None), or None."""
    if ident == id(None):
        return _NO_TRACEBACK
    while tb is not None:
        if id(tb) == ident:
            return tb
        tb = tb.tb_next
    return None


def _left(error: BaseException, gen: Any) -> bool:
    """Did ``error`` start where it left ``gen`` (PEP 479's conversion there), not pass through it?

    A generator's "generator raised StopIteration" that a job awaited reaches
    the job's frame on its way out, and keeps the generator's message.
    """
    tb = error.__traceback__
    code = gen.gi_code
    while tb is not None:
        if tb.tb_frame.f_code is code:
            return False
        tb = tb.tb_next
    return True


def _origin(tb: TracebackType | None) -> TracebackType | None:
    """The traceback of an error just raised in a job: the stack when it was raised.

    That is the program's frames between the runner and the job (those a job
    started by its awaiter runs on top of), then ``tb``'s; the runtime's own
    frames are left out. Called in `_step`'s handler.
    """
    frames = []
    f = _getframe(2)  # (above `_step`)
    while f is not None and f.f_code is not _RUN_CODE:
        if f.f_code.co_filename != _FILE:
            frames.append((f, f.f_lasti, f.f_lineno))
        f = f.f_back
    entries = []
    while tb is not None:
        if tb.tb_frame.f_code.co_filename != _FILE:
            entries.append((tb.tb_frame, tb.tb_lasti, tb.tb_lineno))
        tb = tb.tb_next
    if f is None:  # (not under a runner: as it was)
        frames = []
    result = None
    for frame, lasti, lineno in reversed(frames[::-1] + entries):
        result = TracebackType(result, frame, lasti, lineno)
    return result


def _without_runtime(tb: TracebackType | None) -> TracebackType | None:
    """``tb`` without the runtime's own frames."""
    entries = []
    while tb is not None:
        if tb.tb_frame.f_code.co_filename != _FILE:
            entries.append((tb.tb_frame, tb.tb_lasti, tb.tb_lineno))
        tb = tb.tb_next
    result = None
    for frame, lasti, lineno in reversed(entries):
        result = TracebackType(result, frame, lasti, lineno)
    return result


def _inside(outer: BaseException, gen: Any, value: Any, error: BaseException | None) -> Any:
    """``gen``'s resumption inside an ``except`` of ``outer``, as natively above its awaiter."""
    saved = outer.__traceback__, outer.__context__, outer.__suppress_context__
    try:
        raise outer
    except BaseException:
        outer.__traceback__, outer.__context__, outer.__suppress_context__ = saved
        return gen.send(value) if error is None else gen.throw(error)


def _settle(loop: _Loop, job: Job, value: Any, error: BaseException | None) -> None:
    """``job``'s promise settles: queue its awaiter's resumption (the root: the loop is done)."""
    awaiter = job.awaiter
    if awaiter is None:
        loop.done = True
        loop.result = (value, error)
    else:
        loop.queue.append((awaiter, _Value(value), None) if error is None else (awaiter, None, _Failed(error)))


def _start(gen: Any) -> _Loop:
    """The queue of the coroutine whose function made ``gen``: its job first."""
    loop = _Loop()
    loop.queue.append((Job(gen, None, None, _ASYNC_STACKS.get(gen.gi_code, False)), None, None))
    return loop


def _run(loop: _Loop) -> Any:
    """The runner a callback-lowered coroutine drives: the queue of its jobs.

    Resumed anew (with a fresh `_run`) after a ``GeneratorExit`` reached the
    await it drove (`_reenter`).
    """
    if _state.adopting:  # awaited by a job: hand the generator over (the coroutine completes)
        _state.adopting = False
        gen = loop.queue.pop()[0].gen
        return gen
    queue = loop.queue
    while True:
        while queue:
            job, value, error = queue.pop(0)
            _step(loop, job, value, error)
            del job, value, error
        if loop.done:
            value, error = loop.result
            loop.result = None
            if error is not None:
                context = error.__context__  # (a raise here would chain it to the driver's)
                try:
                    raise error
                finally:
                    error.__context__ = context
                    del error, context
            return value
        if loop.foreign is None:
            raise RuntimeError("a callback job waits on nothing")  # (never)
        job, awaited, outer = loop.foreign
        loop.foreign = None
        try:
            awaitee = into_future(awaited)
        except BaseException as refused:  # (nothing to await: raised at the await itself)
            refused.__traceback__ = _without_runtime(refused.__traceback__)
            queue.append((job, None, _Failed(refused, True)))
            del job, outer, awaited, refused
            continue
        del awaited
        try:
            if outer is None:
                for _ds_poll in awaitee:
                    yield from awaitee
            else:
                saved = outer.__traceback__, outer.__context__, outer.__suppress_context__
                try:
                    raise outer
                except BaseException:
                    outer.__traceback__, outer.__context__, outer.__suppress_context__ = saved
                    del saved
                    for _ds_poll in awaitee:
                        yield from awaitee
            done = _Value(awaitee.value)
        except GeneratorExit:
            # Thrown in or closed: either way CPython closed this runner (`yield from`
            # closes what it delegates to, then raises GeneratorExit at the entry's
            # await). The entry catches it and throws it into the job (`_reenter`),
            # as a native await raises it in the awaiting frame.
            loop.interrupted = job
            raise
        except BaseException as failed:
            failed.__traceback__ = _without_runtime(failed.__traceback__)
            queue.append((job, None, _Failed(failed)))
            del failed
        else:
            queue.append((job, done, None))
            del done
        del job, outer


_RUN_CODE = _run.__code__


def _reenter(loop: _Loop, exit: BaseException) -> None:
    """After ``exit`` (a ``GeneratorExit``) stopped the runner at an await: unwind as CPython does.

    CPython closed what the job awaited (``yield from`` closes what it
    delegates to on a ``GeneratorExit``, thrown in or by ``close``). A native
    await does the same at every level: each awaiter closes what it awaits,
    then gets, at its await, the error that close raised or else a
    ``GeneratorExit``. So each job between the interrupted one and the
    coroutine's own is closed in turn, innermost first, and the coroutine's own
    job gets the outcome thrown in; its ``except``/``finally`` run as natively
    (if they await again, the coroutine suspends there: after ``throw``, the
    driver gets the wait; under ``close``, CPython says the coroutine ignored
    GeneratorExit). A ``GeneratorExit`` from anywhere else is the coroutine's
    own ending.
    """
    job = loop.interrupted
    if job is None:
        raise exit
    loop.interrupted = None
    error: BaseException | None = exit
    while job.awaiter is not None:
        error = _close_job(job, GeneratorExit() if error is None or error is exit else error)
        job = job.awaiter
    loop.queue.append((job, None, exit if error is None else error))


def _close_job(job: Job, error: BaseException) -> BaseException | None:
    """Close an awaited job as ``close`` closes a coroutine (``error`` raised at its await).

    None if it ended (``GeneratorExit`` or a return), else the error its
    awaiter gets: what it raised, or "coroutine ignored GeneratorExit" if it
    awaited again (what it awaited then runs to its first wait, as natively,
    and is closed with the job).
    """
    gen = job.gen
    running = _state.running
    _state.running = None  # (not a step: an await here starts nothing)
    try:
        request = gen.throw(error)
    except (StopIteration, GeneratorExit):
        return None
    except BaseException as raised:
        return raised
    finally:
        _state.running = running
        del error, running
    if type(request) is _Handled:
        request = request.awaited
    try:
        if type(request) is _CoroutineType and request.cr_code.co_filename == _FILE:
            request.close()  # (a callback-lowered coroutine not started: no job to run)
        else:
            awaitee = into_future(request)
            for _ds_poll in awaitee:
                break
            gen.close()
            awaitee.close()
    except BaseException as raised:
        return raised
    return RuntimeError("coroutine ignored GeneratorExit")


_ASYNC_STACKS: dict = {}  # generator code -> capture async stacks (``callback-async-stacks``)
_entries: dict = {}  # id(generator code) -> (that code, its entry's code)

# The entry of a callback-lowered async def (its frames show these lines):
#   def entry(*args, **kwargs):
#       loop = _start(gen(*args, **kwargs))
#       while True:
#           try:
#               return (yield from _run(loop))
#           except GeneratorExit as exit:  # thrown in (a cancellation), or closed
#               _reenter(loop, exit)
_ENTRY_FIRST_LINE = sys._getframe().f_lineno - 7


def _entry_code(code: Any) -> Any:
    """A coroutine function's code with ``code``'s signature that runs ``gen(...)``'s jobs (`_run`)."""
    CO_VARARGS, CO_VARKEYWORDS = 0x04, 0x08
    names = code.co_varnames
    positional = code.co_argcount
    posonly = code.co_posonlyargcount
    kwonly = code.co_kwonlyargcount
    params: list[str] = []
    args: list[str] = []
    for i in range(positional):
        params.append(names[i])
        args.append(names[i])
        if i + 1 == posonly:
            params.append("/")
    at = positional + kwonly
    if code.co_flags & CO_VARARGS:
        params.append("*" + names[at])
        args.append("*" + names[at])
        at += 1
    elif kwonly:
        params.append("*")
    for i in range(positional, positional + kwonly):
        params.append(names[i])
        args.append(f"{names[i]}={names[i]}")
    if code.co_flags & CO_VARKEYWORDS:
        params.append("**" + names[at])
        args.append("**" + names[at])
    source = "\n" * (_ENTRY_FIRST_LINE - 1) + (
        f"def _ds_entry({', '.join(params)}):\n"
        f"    loop = _ds_start(_ds_gen({', '.join(args)}))\n"
        "    while True:\n"
        "        try:\n"
        "            return (yield from _ds_run(loop))\n"
        "        except GeneratorExit as exit:\n"
        "            _ds_reenter(loop, exit)\n"
    )
    namespace: dict = {}
    exec(compile(source, _FILE, "exec"), namespace)
    entry = namespace["_ds_entry"].__code__
    flags = (entry.co_flags & ~0x20) | CO_COROUTINE | TRANSLATED
    replace = {"co_flags": flags, "co_name": code.co_name}
    if _QUALNAME:
        replace["co_qualname"] = code.co_qualname
    return entry.replace(**replace)


_FunctionType = type(_entry_code)


def _decorate(fn: Callable[..., Any], async_stacks: bool) -> Callable[..., Any]:
    code = fn.__code__
    if code.co_name.startswith("_ds_"):  # an async comprehension's: the names it has natively
        fn = comprehension(fn)
        code = fn.__code__
    cached = _entries.get(id(code))
    if cached is None or cached[0] is not code:
        cached = _entries[id(code)] = (code, _entry_code(code))
        _ASYNC_STACKS[code] = async_stacks
    new = _FunctionType(cached[1], {"_ds_start": _start, "_ds_run": _run, "_ds_reenter": _reenter, "_ds_gen": fn,
                         "__name__": __name__},
                        fn.__name__, fn.__defaults__, None)
    new.__qualname__ = fn.__qualname__
    new.__module__ = fn.__module__
    new.__doc__ = fn.__doc__
    new.__kwdefaults__ = fn.__kwdefaults__
    new.__annotations__ = fn.__annotations__
    if sys.version_info >= (3, 12):
        new.__type_params__ = fn.__type_params__
    if fn.__dict__:
        new.__dict__.update(fn.__dict__)
    return new


def callback_fn(fn: Any = None, *, async_stacks: bool = False) -> Any:
    """Decorator for a callback-lowered ``async def`` (its generator function).

    The result is a coroutine function with ``fn``'s name, signature, defaults
    and attributes, whose call binds the arguments, makes ``fn``'s generator
    and returns a real coroutine that runs it through `_run`.
    ``callback_fn(async_stacks=True)`` makes one whose awaits capture async
    stacks.
    """
    if fn is None:
        return lambda f: _decorate(f, async_stacks)
    return _decorate(fn, async_stacks)


def is_callback_code(code: Any) -> bool:
    """True for the code of a callback-lowered function's generator (its frames are the program's)."""
    return code in _ASYNC_STACKS


py_callback_result = callback_result
if _FRAMELESS is not None:  # (3.10, C runtime: what it raises shows no frame of the runtime's)
    callback_result = _FRAMELESS(callback_result)

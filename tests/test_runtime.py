"""The futures runtime: Poll, wakers, async_fn, into_future/Awaitee, the executor, the bridges.

Test subjects are native ``async def`` coroutines (a translated ``async def``
returns a real coroutine, so a native one is an equivalent subject) and the
same functions as the compiler translates them (`SUBJECTS`; the ``impl``
fixture runs a test with each). Where Python has an equivalent, a test
compares with what native ``await`` does.

The section "The Awaitee protocol" drives an awaitee by hand as the lowering
does: ``for _ds_poll in _ds_awaitee: yield from _ds_awaitee``, whose first
step is the first poll (the loop runs no step if what is awaited completes, the
result then in ``_ds_awaitee.value``); if it waits, the awaiting frame suspends
in ``yield from _ds_awaitee`` (``await _ds_awaitee`` in an async generator),
which hands that poll to the driver and passes what the driver sends, throws or
closes on to what is awaited; `test_the_compiler_writes_the_protocol_tested_here`
pins that text, so a new lowering flags the section to be rewritten with it.

The tests of the awaitee and `into_future` take the ``twin`` fixture
(``tests/conftest.py``): each runs on the pure-Python implementation and on the
C one in the same process (the C one is skipped, with the reason, where it is
not built), as CPython's ``test_tasks`` runs its pure and C tasks.

The only timing assertions are lower bounds ("took at least the sleep") and
"did not wait for a timer of 60 s" checks whose bound is that timer itself.
"""

from __future__ import annotations

import ast
import asyncio
import copy
import gc
import inspect
import os
import pickle
import sys
import threading
import time
import traceback
import types
import warnings
from pathlib import Path
from typing import Any, Callable

import pytest

import desugar
import desugar.runtime as rt
from desugar.runtime import (
    Awaitee,
    Context,
    Executor,
    Future,
    GenFuture,
    JoinHandle,
    Pending,
    Pin,
    Ready,
    Sleep,
    Stream,
    Waker,
    async_fn,
    block_on,
    current_context,
    into_future,
    is_translated,
    join,
    noop_waker,
    select,
    sleep,
    spawn,
    timeout,
    yield_now,
)
from desugar.runtime import _awaitee as _awaitee_impl
from desugar.runtime._awaitee import CO_COROUTINE, CO_GENERATOR, CO_ITERABLE_COROUTINE
from desugar.runtime._poll import _PendingType
from support import NO_C_TWIN, Twin, twins

NOT_IN_BLOCK_ON = (
    "{what} must run inside desugar.runtime.block_on(...): " "no executor is running on this thread"
)
RESUMED_AFTER_COMPLETION = (
    "`async fn` resumed after completion: a future was polled again after it "
    "returned Ready or raised; await each coroutine once"
)
NEEDS_ASYNCIO_LOOP = (
    "an asyncio awaitable needs a running asyncio event loop (asyncio said: no running "
    "event loop); run the program under asyncio.run(...) instead of "
    "desugar.runtime.block_on(...)"
)
IS_311 = sys.version_info >= (3, 11)
NO_AWAITEE_FRAMES = IS_311 or _awaitee_impl.IMPLEMENTATION == "c"
"""Tracebacks show no frame of the awaitee: it has none (C), or hides it (3.11+'s bare `raise`)."""


def hand_cx() -> Context:
    return Context(noop_waker())


class WakeCounter:
    """A waker function that counts its calls; ``cx`` is a Context around it."""

    def __init__(self) -> None:
        self.calls = 0
        self.waker = Waker(self)
        self.cx = Context(self.waker)

    def __call__(self) -> None:
        self.calls += 1


def need(module: str) -> Any:
    return pytest.importorskip(module)


# --------------------------------------------------------------------------
# Test subjects: the same coroutine functions, run natively and as the compiler translates them

SUBJECTS = """
from desugar.runtime import sleep, yield_now


async def await_(awaitable):
    return await awaitable


async def value_after(seconds, value, log=None, name=""):
    try:
        await sleep(seconds)
        if log is not None:
            log.append(f"{name} done")
        return value
    finally:
        if log is not None:
            log.append(f"{name} finally")


async def fail_after(seconds, error, log=None):
    await sleep(seconds)
    if log is not None:
        log.append(f"raise {error!r}")
    raise error


async def guarded(awaitable, log):
    try:
        return await awaitable
    finally:
        log.append("outer finally")


async def level_three():
    await yield_now()
    raise LookupError("deep")


async def level_two():
    return await level_three()


async def level_one():
    await yield_now()  # the failure happens on a later poll, from the executor
    return await level_two()


async def collect(iterable):
    items = []
    async for item in iterable:
        items.append(item)
    return items


async def enter(manager, log):
    async with manager as value:
        log.append(("body", value))
        if value == "raise":
            raise KeyError("in body")
    log.append("after")
    return log
"""


class Impl:
    """`SUBJECTS`, run natively or translated: ``await_``, ``value_after``, ``fail_after``, ..."""

    def __init__(self, name: str, translated: bool) -> None:
        self.name = name
        self.filename = f"<{name} subjects>"
        source = desugar.translate(SUBJECTS, self.filename) if translated else SUBJECTS
        namespace: dict[str, Any] = {"__name__": f"{name}_subjects"}
        exec(compile(source, self.filename, "exec", dont_inherit=True), namespace)
        self.source = source
        self.await_: Callable[..., Any] = namespace["await_"]
        self.value_after: Callable[..., Any] = namespace["value_after"]
        self.fail_after: Callable[..., Any] = namespace["fail_after"]
        self.guarded: Callable[..., Any] = namespace["guarded"]
        self.level_one: Callable[..., Any] = namespace["level_one"]
        self.collect: Callable[..., Any] = namespace["collect"]
        self.enter: Callable[..., Any] = namespace["enter"]


NATIVE = Impl("native", translated=False)
TRANSLATED = Impl("translated", translated=True)
native_await = NATIVE.await_
native_value_after = NATIVE.value_after
native_fail_after = NATIVE.fail_after
translated_await = TRANSLATED.await_
translated_value_after = TRANSLATED.value_after


@pytest.fixture(params=[NATIVE, TRANSLATED], ids=["native", "translated"])
def impl(request: pytest.FixtureRequest) -> Impl:
    return request.param


def test_the_translated_subjects_are_translated_and_the_native_ones_are_not() -> None:
    for name in ("await_", "value_after", "fail_after", "guarded", "level_one", "collect", "enter"):
        assert is_translated(getattr(TRANSLATED, name)), name
        assert not is_translated(getattr(NATIVE, name)), name
        assert inspect.iscoroutinefunction(getattr(TRANSLATED, name)), name
    assert "async def" not in TRANSLATED.source
    assert "@_ds_rt.async_fn" in TRANSLATED.source


class Script:
    """An awaitable whose ``__await__`` yields ``items`` and records every reply and throw."""

    def __init__(self, items: list[Any], result: Any = "done") -> None:
        self.items = items
        self.result = result
        self.replies: list[Any] = []
        self.log: list[Any] = []

    def __await__(self) -> Any:
        try:
            for item in self.items:
                try:
                    reply = yield item
                except KeyError as error:
                    self.log.append(("caught", error.args))
                    reply = yield "after catch"
                self.replies.append(reply)
            return self.result
        finally:
            self.log.append("inner finally")


def run_by_hand(coro: Any, replies: list[Any]) -> tuple[list[Any], Any]:
    """Drive ``coro`` with ``send``: None, then each reply; return (yielded, result)."""
    yielded = [coro.send(None)]
    try:
        for reply in replies:
            yielded.append(coro.send(reply))
    except StopIteration as stop:
        return yielded, stop.value
    raise AssertionError(f"still running after {replies!r}; yielded {yielded!r}")


class Gate(Future):
    """A leaf future: Pending until ``open(value)``; records polls, its waker and close()."""

    def __init__(self) -> None:
        self.polls = 0
        self.closed = 0
        self.waker: Waker | None = None
        self.is_open = False
        self.value: Any = None

    def poll(self, cx: Context) -> Any:
        self.polls += 1
        if self.is_open:
            return Ready(self.value)
        self.waker = cx.waker().clone()
        return Pending

    def open(self, value: Any = None) -> None:
        self.is_open = True
        self.value = value
        if self.waker is not None:
            self.waker.wake()

    def close(self) -> None:
        self.closed += 1


class WokenByThread(Future):
    """Pending until a ``threading.Timer`` wakes the saved waker ``delay`` seconds later."""

    def __init__(self, delay: float, value: Any) -> None:
        self.delay = delay
        self.value = value
        self.timer: threading.Timer | None = None
        self.fired = False
        self.polls = 0
        self.waker_thread: int | None = None

    def poll(self, cx: Context) -> Any:
        self.polls += 1
        if self.fired:
            return Ready(self.value)
        if self.timer is None:
            waker = cx.waker().clone()

            def fire() -> None:
                self.waker_thread = threading.get_ident()
                self.fired = True
                waker.wake()

            self.timer = threading.Timer(self.delay, fire)
            self.timer.start()
        return Pending


def frame_names(error: BaseException) -> list[str]:
    return [frame.name for frame in traceback.extract_tb(error.__traceback__)]


AWAITEE_FILE = sys.modules[Awaitee.__module__].__file__


def awaitee_frames(error: BaseException) -> list[str]:
    """The names of the frames of the awaitee's methods in ``error``'s traceback."""
    return [
        frame.name
        for frame in traceback.extract_tb(error.__traceback__)
        if frame.filename == AWAITEE_FILE
    ]


# --------------------------------------------------------------------------
# Poll: Ready / Pending


def test_pending_is_a_singleton() -> None:
    assert _PendingType() is Pending
    assert type(Pending)() is Pending
    assert rt.Pending is Pending


def test_pending_repr_is_pending() -> None:
    assert repr(Pending) == "Pending"
    assert str(Pending) == "Pending"


def test_pending_survives_pickle_and_copy_as_the_same_object() -> None:
    assert pickle.loads(pickle.dumps(Pending)) is Pending
    assert copy.copy(Pending) is Pending
    assert copy.deepcopy(Pending) is Pending


def test_ready_holds_its_value() -> None:
    marker = object()
    assert Ready(marker).value is marker
    assert Ready(None).value is None


def test_ready_equality_compares_values_and_type() -> None:
    assert Ready(1) == Ready(1)
    assert Ready([1, 2]) == Ready([1, 2])
    assert Ready(1) != Ready(2)
    assert Ready(1) != 1
    assert Ready(None) != Pending
    assert Pending != Ready(None)


def test_ready_is_unhashable() -> None:
    with pytest.raises(TypeError, match="unhashable type: 'Ready'"):
        hash(Ready(1))


def test_ready_repr_shows_value_repr() -> None:
    assert repr(Ready(1)) == "Ready(1)"
    assert repr(Ready("x")) == "Ready('x')"
    assert repr(Ready(None)) == "Ready(None)"
    assert repr(Ready(Ready(2))) == "Ready(Ready(2))"


def test_poll_is_the_union_of_ready_and_pending() -> None:
    assert isinstance(Ready(1), rt.Poll)
    assert isinstance(Pending, rt.Poll)
    assert not isinstance(None, rt.Poll)


# --------------------------------------------------------------------------
# Waker, Context, noop_waker, Pin


def test_waker_wake_and_wake_by_ref_call_the_wake_function_each_time() -> None:
    calls: list[str] = []
    waker = Waker(lambda: calls.append("woken"))
    assert waker.wake() is None
    waker.wake_by_ref()
    waker.wake()  # in Python the waker stays usable after wake()
    assert calls == ["woken", "woken", "woken"]


def test_waker_clone_wakes_the_same_task_and_will_wake_the_original() -> None:
    calls: list[int] = []
    waker = Waker(lambda: calls.append(1))
    clone = waker.clone()
    assert clone is not waker
    assert isinstance(clone, Waker)
    clone.wake()
    assert calls == [1]
    assert clone.will_wake(waker)
    assert waker.will_wake(clone)


def test_will_wake_is_false_for_wakers_of_different_functions() -> None:
    a = Waker(lambda: None)
    b = Waker(lambda: None)
    assert not a.will_wake(b)
    assert not b.will_wake(a)
    assert a.will_wake(a)


async def two_wakers(into: list[Waker]) -> None:
    """Record the task's waker on two different polls."""
    into.append(current_context().waker())  # type: ignore[union-attr]
    await yield_now()
    into.append(current_context().waker())  # type: ignore[union-attr]


def test_will_wake_is_true_within_a_task_and_false_across_tasks() -> None:
    a_wakers: list[Waker] = []
    b_wakers: list[Waker] = []

    async def main() -> None:
        ha, hb = spawn(two_wakers(a_wakers)), spawn(two_wakers(b_wakers))
        await ha
        await hb

    block_on(main())
    assert len(a_wakers) == 2 and len(b_wakers) == 2
    assert a_wakers[0].will_wake(a_wakers[1])
    assert a_wakers[0].will_wake(a_wakers[0].clone())
    assert b_wakers[1].will_wake(b_wakers[0])
    assert not a_wakers[0].will_wake(b_wakers[0])
    assert not b_wakers[1].will_wake(a_wakers[1])


def test_context_waker_returns_the_waker_it_was_built_with() -> None:
    waker = Waker(lambda: None)
    assert Context(waker).waker() is waker
    assert Context.from_waker(waker).waker() is waker
    assert isinstance(Context.from_waker(waker), Context)
    assert Context.from_waker(waker).reactor is None
    reactor = object()
    assert Context(waker, reactor).reactor is reactor
    assert repr(Context(waker)) == f"<Context waker={waker!r}>"


def test_noop_waker_does_nothing_and_noop_wakers_will_wake_each_other() -> None:
    waker = noop_waker()
    assert isinstance(waker, Waker)
    assert waker.wake() is None
    assert waker.wake_by_ref() is None
    assert waker.will_wake(noop_waker())
    assert waker.clone().will_wake(waker)


def test_pin_new_unchecked_returns_the_future_itself() -> None:
    fut = sleep(0)
    assert Pin.new_unchecked(fut) is fut


def test_future_is_abstract_and_a_subclass_needs_poll() -> None:
    with pytest.raises(TypeError, match="abstract"):
        Future()  # type: ignore[abstract]

    class NoPoll(Future):
        pass

    with pytest.raises(TypeError, match="poll"):
        NoPoll()  # type: ignore[abstract]
    assert Future.close(Gate()) is None  # the default close: a leaf has nothing to drop


# --------------------------------------------------------------------------
# Waking from another thread


def test_waking_from_another_thread_completes_block_on_with_the_value() -> None:
    fut = WokenByThread(0.05, "from thread")
    start = time.monotonic()
    assert block_on(fut) == "from thread"
    elapsed = time.monotonic() - start
    assert fut.timer is not None
    fut.timer.join()
    assert elapsed >= 0.05
    assert fut.polls == 2  # once to start, once after the wake: no busy polling
    assert fut.waker_thread is not None
    assert fut.waker_thread != threading.get_ident()


def test_thread_waker_wakes_a_coroutine_awaiting_the_leaf(impl: Impl) -> None:
    leaf = WokenByThread(0.03, 7)
    assert block_on(impl.await_(leaf)) == 7
    assert leaf.polls == 2


def test_many_threads_waking_tasks_concurrently_all_complete() -> None:
    leaves = [WokenByThread(0.01 + 0.002 * (i % 5), i) for i in range(20)]

    async def main() -> tuple[Any, ...]:
        return await join(*(native_await(leaf) for leaf in leaves))

    assert block_on(main()) == tuple(range(20))
    assert all(leaf.fired and leaf.waker_thread != threading.get_ident() for leaf in leaves)


# --------------------------------------------------------------------------
# async_fn and is_translated


def _translated_answer(a, b=2, *, c="c"):  # type: ignore[no-untyped-def]
    """The docstring of the async fn."""
    return (a, b, c)
    if False:  # never runs: makes the function a generator, as async makes a coroutine
        yield


_translated_answer.marker = "kept"  # type: ignore[attr-defined]
_ANSWER_GENERATOR_FUNCTION = _translated_answer
_ANSWER_GENERATOR_CODE = _translated_answer.__code__
_translated_answer = async_fn(_translated_answer)


def test_async_fn_returns_a_new_function_with_the_metadata_of_the_old_one() -> None:
    def fresh(x: int, *, y: str = "y") -> int:
        """Fresh's docstring."""
        return x
        if False:
            yield

    fresh.attribute = [1]  # type: ignore[attr-defined]
    fresh_code = fresh.__code__
    made = async_fn(fresh)
    # A new function (3.13 deprecates giving a function code of another kind);
    # the old one is left as it was, a generator function.
    assert made is not fresh
    assert type(made) is types.FunctionType
    assert fresh.__code__ is fresh_code
    assert inspect.isgeneratorfunction(fresh) and not inspect.iscoroutinefunction(fresh)
    assert inspect.iscoroutinefunction(made)
    for attr in ("__name__", "__qualname__", "__module__", "__doc__", "__defaults__"):
        assert getattr(made, attr) == getattr(fresh, attr), attr
    assert made.__kwdefaults__ == {"y": "y"}
    assert made.__annotations__ == fresh.__annotations__
    assert made.__annotations__ == {"x": "int", "y": "str", "return": "int"}
    assert made.__globals__ is fresh.__globals__
    assert made.__closure__ is None
    assert made.attribute is fresh.attribute  # type: ignore[attr-defined]
    if sys.version_info >= (3, 12):
        assert made.__type_params__ == fresh.__type_params__
    assert inspect.isfunction(_translated_answer)
    assert _translated_answer is not _ANSWER_GENERATOR_FUNCTION
    assert _translated_answer.__name__ == "_translated_answer"
    assert _translated_answer.__qualname__ == "_translated_answer"
    assert _translated_answer.__doc__ == "The docstring of the async fn."
    assert _translated_answer.__module__ == __name__
    assert _translated_answer.marker == "kept"  # type: ignore[attr-defined]
    assert str(inspect.signature(_translated_answer)) == "(a, b=2, *, c='c')"
    assert not hasattr(_translated_answer, "__wrapped__")


@pytest.mark.skipif(sys.version_info < (3, 12), reason="type parameters are new in 3.12")
def test_async_fn_keeps_type_parameters() -> None:
    namespace: dict[str, Any] = {}
    exec("def generic[T](x: T) -> T:\n    return x\n    if False:\n        yield\n", namespace)
    original = namespace["generic"]
    made = async_fn(original)
    assert len(made.__type_params__) == 1
    assert made.__type_params__ == original.__type_params__
    assert made.__type_params__[0].__name__ == "T"
    assert block_on(made(7)) == 7


def test_async_fn_flags_the_code_as_a_coroutines_with_the_translated_marker() -> None:
    code = _translated_answer.__code__
    assert code is not _ANSWER_GENERATOR_CODE
    assert _ANSWER_GENERATOR_FUNCTION.__code__ is _ANSWER_GENERATOR_CODE  # left as it was
    assert _ANSWER_GENERATOR_CODE.co_flags & CO_GENERATOR
    assert not code.co_flags & CO_GENERATOR
    assert code.co_flags & CO_COROUTINE
    assert code.co_flags & CO_ITERABLE_COROUTINE  # the marker
    assert code.co_flags == (
        _ANSWER_GENERATOR_CODE.co_flags & ~CO_GENERATOR | CO_COROUTINE | CO_ITERABLE_COROUTINE
    )
    assert code.co_code == _ANSWER_GENERATOR_CODE.co_code  # only the flags changed
    assert code.co_name == "_translated_answer"
    assert code.co_filename == _ANSWER_GENERATOR_CODE.co_filename


def test_async_fn_keeps_closures_defaults_and_attributes_working() -> None:
    def make(tag: str) -> Any:
        def tagged(x, y=10, *, z=100):  # type: ignore[no-untyped-def]
            return (tag, x + y + z)
            if False:
                yield

        tagged.marker = tag  # type: ignore[attr-defined]
        return async_fn(tagged)

    a, b = make("a"), make("b")
    assert block_on(a(1)) == ("a", 111)
    assert block_on(b(1, 2, z=3)) == ("b", 6)
    assert (a.marker, b.marker) == ("a", "b")  # type: ignore[attr-defined]
    assert a.__defaults__ == (10,) and a.__kwdefaults__ == {"z": 100}
    assert a.__closure__ is not None and a.__closure__[0].cell_contents == "a"


def test_async_fn_warns_about_nothing() -> None:
    def fresh():  # type: ignore[no-untyped-def]
        return 1
        if False:
            yield

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        async_fn(fresh)
        exec(
            compile(desugar.translate("async def f():\n    return 1\n", "m.py"), "m.py", "exec"), {}
        )
    assert [f"{w.category.__name__}: {w.message}" for w in caught] == []


def test_async_fn_is_a_coroutine_function_to_inspect_and_asyncio() -> None:
    async def native() -> None:
        pass

    for fn in (_translated_answer, native):
        assert inspect.iscoroutinefunction(fn)
        assert inspect.isfunction(fn)
        assert not inspect.isgeneratorfunction(fn)
        assert not inspect.isasyncgenfunction(fn)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # 3.14 deprecates it
            assert asyncio.iscoroutinefunction(fn)


def test_calling_a_translated_function_returns_a_real_coroutine_with_its_arguments() -> None:
    coro = _translated_answer(1, c="z")
    try:
        assert type(coro) is types.CoroutineType
        assert inspect.iscoroutine(coro)
        assert inspect.isawaitable(coro)
        assert inspect.getcoroutinestate(coro) == inspect.CORO_CREATED
        assert coro.__qualname__ == "_translated_answer"
        assert coro.cr_code is _translated_answer.__code__
        assert repr(coro).startswith("<coroutine object _translated_answer at ")
        with pytest.raises(StopIteration) as info:
            coro.send(None)
        assert info.value.value == (1, 2, "z")
        assert inspect.getcoroutinestate(coro) == inspect.CORO_CLOSED
    finally:
        coro.close()


def test_a_translated_coroutine_runs_under_block_on_asyncio_and_by_hand_as_native() -> None:
    assert block_on(_translated_answer(1)) == (1, 2, "c")
    assert asyncio.run(_translated_answer(2, 3)) == (2, 3, "c")
    assert run_by_hand(translated_await(Script(["x"])), ["reply"]) == (["x"], "done")
    assert run_by_hand(native_await(Script(["x"])), ["reply"]) == (["x"], "done")


def test_translated_coroutine_states_follow_inspect_as_native_ones() -> None:
    states = {}
    awaits = {}
    for impl in (NATIVE, TRANSLATED):
        script = Script(["x"])
        coro = impl.await_(script)
        seen = [inspect.getcoroutinestate(coro)]
        coro.send(None)
        seen.append(inspect.getcoroutinestate(coro))
        awaits[impl.name] = (inspect.isgenerator(coro.cr_await), coro.cr_await.gi_code)
        if impl is TRANSLATED:
            # Suspended in `yield from` its awaitee, which answers for what is awaited.
            awaitee = coro.cr_frame.f_locals["_ds_awaitee"]
            assert type(awaitee) is Awaitee
            assert coro.cr_await is awaitee
        assert coro.cr_await.gi_code is Script.__await__.__code__
        assert coro.cr_await.gi_frame.f_locals["self"] is script
        assert coro.cr_await.gi_frame.f_code is Script.__await__.__code__
        assert coro.cr_await.gi_yieldfrom is None and not coro.cr_await.gi_running
        with pytest.raises(AttributeError, match="'generator' object has no attribute 'cr_frame'"):
            coro.cr_await.cr_frame
        with pytest.raises(StopIteration):
            coro.send(None)
        seen.append(inspect.getcoroutinestate(coro))
        seen.append(coro.cr_await)
        states[impl.name] = seen
    assert (
        states["translated"]
        == states["native"]
        == [inspect.CORO_CREATED, inspect.CORO_SUSPENDED, inspect.CORO_CLOSED, None]
    )
    # While suspended a native coroutine's cr_await is what it awaits; a translated
    # one's is its awaitee (the target of its `yield from`), which answered as it.
    assert awaits["native"] == awaits["translated"] == (True, Script.__await__.__code__)


def await_frames(coro: Any) -> list[Any]:
    """The frames of an await chain, walked as trio's ``Task.iter_await_frames`` walks it."""
    frames = []
    while coro is not None:
        if hasattr(coro, "cr_frame"):
            if coro.cr_frame is not None:
                frames.append(coro.cr_frame)
            coro = coro.cr_await
        elif hasattr(coro, "gi_frame"):
            if coro.gi_frame is not None:
                frames.append(coro.gi_frame)
            coro = coro.gi_yieldfrom
        else:
            break
    return frames


def test_walking_cr_await_links_finds_the_frames_of_a_native_chain() -> None:
    walks = {}
    for name, awaiters in [
        ("native", [native_await] * 3),
        ("translated", [translated_await] * 3),
        ("mixed", [translated_await, native_await, translated_await]),
    ]:
        script = Script(["x"])
        coros: list[Any] = []
        awaited: Any = script
        for awaiter in reversed(awaiters):  # innermost first
            awaited = awaiter(awaited)
            coros.insert(0, awaited)
        outer = coros[0]
        assert outer.send(None) == "x"
        frames = await_frames(outer)
        # the frames of the coroutines themselves, outermost first, then the awaitable's
        assert len(frames) == 4
        assert all(frame is coro.cr_frame for frame, coro in zip(frames, coros))
        assert frames[3].f_code is Script.__await__.__code__
        assert frames[3].f_locals["self"] is script
        walks[name] = [frame.f_code.co_name for frame in frames]
        outer.close()
        assert await_frames(outer) == []
        assert script.log == ["inner finally"]
    assert walks["translated"] == walks["mixed"] == walks["native"]
    assert walks["native"] == ["await_", "await_", "await_", "__await__"]


def _never_awaited_warning(make: Callable[[], Any]) -> str:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        coro = make()
        del coro
        gc.collect()
    messages = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    assert len(messages) == 1, messages
    return messages[0]


def test_a_translated_coroutine_never_awaited_warns_as_a_native_one() -> None:
    async def native(a: int) -> int:
        return a

    assert _never_awaited_warning(lambda: native(1)) == (
        f"coroutine '{native.__qualname__}' was never awaited"
    )
    assert _never_awaited_warning(lambda: _translated_answer(1)) == (
        "coroutine '_translated_answer' was never awaited"
    )


def test_a_translated_coroutine_that_was_closed_or_awaited_does_not_warn() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        coro = _translated_answer(1)
        coro.close()
        del coro
        assert block_on(_translated_answer(2)) == (2, 2, "c")
        gc.collect()
    assert [str(w.message) for w in caught] == []


def test_async_fn_caches_the_flagged_code_across_functions_sharing_a_code_object() -> None:
    def make() -> Any:
        def closure(x):  # type: ignore[no-untyped-def]
            return x
            if False:
                yield

        return closure

    first, second = make(), make()
    assert first is not second
    original = first.__code__
    assert second.__code__ is original
    made_first = async_fn(first)
    made_second = async_fn(second)
    assert made_first is not made_second
    assert made_first.__code__ is made_second.__code__  # one flagged code per generator code
    assert made_first.__code__ is not original
    assert first.__code__ is second.__code__ is original  # the originals are left alone
    # a new function from the same generator code gets the same flagged code
    third = async_fn(types.FunctionType(original, globals()))
    assert third.__code__ is made_first.__code__
    assert block_on(made_first(1)) == 1 and block_on(third(3)) == 3


def test_async_fn_leaves_an_already_flagged_function_alone() -> None:
    flagged_code = _translated_answer.__code__
    assert async_fn(_translated_answer) is _translated_answer
    assert _translated_answer.__code__ is flagged_code

    async def native() -> str:
        return "native"

    native_code = native.__code__
    assert async_fn(native) is native
    assert native.__code__ is native_code
    assert not is_translated(native)


def test_is_translated_knows_a_translated_function_its_code_and_its_coroutines() -> None:
    async def native() -> None:
        pass

    @types.coroutine
    def generator_based() -> Any:
        yield

    coro = _translated_answer(1)
    native_coro = native()
    try:
        assert is_translated(_translated_answer)
        assert is_translated(_translated_answer.__code__)
        assert is_translated(coro)
        assert is_translated(translated_await)
        assert not is_translated(_ANSWER_GENERATOR_CODE)
        assert not is_translated(_ANSWER_GENERATOR_FUNCTION)
        assert not is_translated(native)
        assert not is_translated(native_coro)
        assert not is_translated(native.__code__)
        assert not is_translated(generator_based)  # the marker bit alone is not enough
        assert not is_translated(generator_based())
        assert not is_translated(42)
        assert not is_translated(None)
        assert not is_translated(len)
    finally:
        coro.close()
        native_coro.close()


# --------------------------------------------------------------------------
# into_future: what await accepts and refuses


class AwaitReturnsCoroutine:
    def __init__(self) -> None:
        self.made: list[Any] = []

    def __await__(self) -> Any:
        async def inner() -> None:
            pass

        coro = inner()
        self.made.append(coro)
        return coro


class AwaitReturnsGeneratorCoroutine:
    def __await__(self) -> Any:
        @types.coroutine
        def inner() -> Any:
            yield

        return inner()


class AwaitReturnsInt:
    def __await__(self) -> Any:
        return 5


class AwaitOnTheInstanceOnly:
    def __init__(self) -> None:
        self.__await__ = lambda: iter(())


async def _an_async_generator() -> Any:
    yield 1


REFUSED = [
    pytest.param(lambda: 42, TypeError, "object int can't be used in 'await' expression", id="int"),
    pytest.param(
        lambda: None, TypeError, "object NoneType can't be used in 'await' expression", id="None"
    ),
    pytest.param(
        lambda: (x for x in ()),
        TypeError,
        "object generator can't be used in 'await' expression",
        id="plain-generator",
    ),
    pytest.param(
        _an_async_generator,
        TypeError,
        "object async_generator can't be used in 'await' expression",
        id="async-generator",
    ),
    pytest.param(
        AwaitOnTheInstanceOnly,
        TypeError,
        "object AwaitOnTheInstanceOnly can't be used in 'await' expression",
        id="instance-await",
    ),
    pytest.param(
        AwaitReturnsCoroutine, TypeError, "__await__() returned a coroutine", id="coroutine"
    ),
    pytest.param(
        AwaitReturnsGeneratorCoroutine,
        TypeError,
        "__await__() returned a coroutine",
        id="types.coroutine",
    ),
    pytest.param(
        AwaitReturnsInt,
        TypeError,
        "__await__() returned non-iterator of type 'int'",
        id="non-iterator",
    ),
]


def _error_of(action: Callable[[], Any]) -> BaseException:
    try:
        action()
    except BaseException as error:  # noqa: BLE001 - the error is what is compared
        return error
    raise AssertionError("no error")


def _cleanup(obj: Any) -> None:
    for coro in getattr(obj, "made", ()):
        coro.close()
    close = getattr(obj, "aclose", None)
    if close is not None:  # an async generator that was never started
        close().close()


@pytest.mark.parametrize("make, error_type, message", REFUSED)
def test_into_future_refuses_what_await_refuses_with_cpythons_error(
    twin: Twin, make: Callable[[], Any], error_type: type, message: str
) -> None:
    objs = [make(), make(), make()]
    try:
        native = _error_of(lambda: native_await(objs[0]).send(None))
        ours = _error_of(lambda: twin.into_future(objs[1]))
        translated = _error_of(lambda: translated_await(objs[2]).send(None))
    finally:
        for obj in objs:
            _cleanup(obj)
    assert (type(native), str(native)) == (error_type, message)
    assert (type(ours), str(ours)) == (error_type, message)
    assert (type(translated), str(translated)) == (error_type, message)


def test_awaiting_a_coroutine_that_is_being_awaited_is_refused_as_natively(impl: Impl, twin: Twin) -> None:
    inner = native_await(Script(["x"]))
    outer = native_await(inner)
    assert outer.send(None) == "x"  # inner is now awaited by outer
    try:
        error = _error_of(lambda: impl.await_(inner).send(None))
        assert type(error) is RuntimeError
        assert str(error) == "coroutine is being awaited already"
        assert str(_error_of(lambda: twin.into_future(inner))) == "coroutine is being awaited already"
    finally:
        outer.close()


@pytest.mark.parametrize(
    "outer_impl", [NATIVE, TRANSLATED], ids=["native-outer", "translated-outer"]
)
def test_awaiting_a_suspended_translated_coroutine_is_refused_too(outer_impl: Impl, twin: Twin) -> None:
    # A translated coroutine suspends in `yield from` its awaitee (its cr_await),
    # so CPython's own check refuses a native await of it as it refuses one of a
    # suspended native coroutine; into_future tells it from its state
    # (cr_suspended on 3.11+, the frame on 3.10).
    errors = {}
    for inner_impl in (NATIVE, TRANSLATED):
        script = Script(["x"])
        inner = inner_impl.await_(script)
        outer = outer_impl.await_(inner)
        assert outer.send(None) == "x"
        try:
            if inner_impl is TRANSLATED:
                awaitee = inner.cr_frame.f_locals["_ds_awaitee"]
                assert inner.cr_await is awaitee
                assert awaitee.gi_frame.f_locals["self"] is script
            assert inspect.getcoroutinestate(inner) == inspect.CORO_SUSPENDED
            if IS_311:
                assert inner.cr_suspended
            errors[inner_impl.name] = [
                _error_of(lambda: native_await(inner).send(None)),
                _error_of(lambda: translated_await(inner).send(None)),
                _error_of(lambda: twin.into_future(inner)),
            ]
        finally:
            outer.close()
        assert inspect.getcoroutinestate(inner) == inspect.CORO_CLOSED
        assert script.log == ["inner finally"]
    for each in (NATIVE, TRANSLATED):
        assert [(type(e), str(e)) for e in errors[each.name]] == [
            (RuntimeError, "coroutine is being awaited already")
        ] * 3, each.name


def test_into_future_accepts_a_created_or_running_coroutine(twin: Twin) -> None:
    async def created() -> str:
        return "created"

    coro = created()
    assert block_on(twin.into_future(coro)) == "created"  # not started: not being awaited

    seen: list[Any] = []

    async def awaits_itself() -> None:
        # running, not suspended: accepted, and resuming it fails as natively
        seen.append(type(_error_of(lambda: twin.into_future(me).poll_with_tls_context())))

    for impl_await in (native_await, translated_await):
        seen.clear()
        me = awaits_itself()
        block_on(impl_await(me))
        assert seen == [ValueError]  # "coroutine already executing"


def test_awaiting_a_finished_coroutine_is_refused_as_natively(impl: Impl, twin: Twin) -> None:
    async def done() -> int:
        return 1

    finished = done()
    assert block_on(finished) == 1
    error = _error_of(lambda: impl.await_(finished).send(None))
    assert type(error) is RuntimeError
    assert str(error) == "cannot reuse already awaited coroutine"
    awaitee = twin.into_future(finished)  # accepted: the error comes with the first poll, as natively
    assert (
        str(_error_of(lambda: awaitee.poll(hand_cx()))) == "cannot reuse already awaited coroutine"
    )


def test_into_future_accepts_types_coroutine_generators(impl: Impl, twin: Twin) -> None:
    @types.coroutine
    def generator_based(x: int) -> Any:
        reply = yield ("asks", x)
        return ("answered", reply)

    assert isinstance(twin.into_future(generator_based(1)), Awaitee)
    assert run_by_hand(impl.await_(generator_based(1)), ["r"]) == (
        [("asks", 1)],
        ("answered", "r"),
    )
    assert run_by_hand(native_await(generator_based(1)), ["r"]) == (
        [("asks", 1)],
        ("answered", "r"),
    )


def test_into_future_accepts_a_plain_await_iterator(impl: Impl, twin: Twin) -> None:
    class Countdown:
        """``__await__`` returns an iterator that is not a generator (no send/throw)."""

        def __init__(self, n: int) -> None:
            self.n = n

        def __iter__(self) -> Countdown:
            return self

        def __next__(self) -> int:
            if self.n == 0:
                raise StopIteration("lift-off")
            self.n -= 1
            return self.n

    class Rocket:
        def __await__(self) -> Countdown:
            return Countdown(3)

    assert isinstance(twin.into_future(Rocket()), Awaitee)
    # resumed with None only: a plain iterator is resumed with next(), as by yield from
    assert run_by_hand(impl.await_(Rocket()), [None, None, None]) == ([2, 1, 0], "lift-off")
    assert run_by_hand(native_await(Rocket()), [None, None, None]) == ([2, 1, 0], "lift-off")
    # a non-None reply needs a send method, natively too
    for awaiter in (native_await, impl.await_):
        coro = awaiter(Rocket())
        coro.send(None)
        error = _error_of(lambda: coro.send("reply"))
        assert type(error) is AttributeError
        assert "'Countdown' object has no attribute 'send'" in str(error)


def test_into_future_of_our_futures_and_awaitees(twin: Twin) -> None:
    awaitee = twin.into_future(native_await(Script([])))
    assert isinstance(awaitee, twin.Awaitee)
    assert twin.into_future(awaitee) is awaitee  # `async with`/`async for` make theirs first
    for leaf in (sleep(0), yield_now(), join(), select(sleep(0)), timeout(sleep(0), 1), Gate()):
        wrapped = twin.into_future(leaf)
        # (the pure one wraps what is not a coroutine in the running runtime's Awaitee:
        # the C one hands it those)
        assert type(wrapped) in (twin.Awaitee, Awaitee)
        assert wrapped is not leaf
    assert block_on(twin.into_future(sleep(0))) is None
    assert block_on(awaitee) == "done"


def test_gen_future_is_the_old_name_of_awaitee() -> None:
    assert GenFuture is Awaitee
    assert rt.GenFuture is rt.Awaitee
    for gone in ("from_generator", "AsyncFn", "throw_into", "GenStream"):
        assert not hasattr(rt, gone), gone


# --------------------------------------------------------------------------
# Sending, throwing and closing through awaits, as natively


def test_a_chain_of_translated_and_native_awaits_is_transparent_to_the_driver() -> None:
    def chain(awaiters: list[Callable[[Any], Any]], script: Script) -> Any:
        coro: Any = script
        for awaiter in awaiters:
            coro = awaiter(coro)
        return coro

    results = {}
    for name, awaiters in [
        ("native", [native_await] * 4),
        ("translated", [translated_await] * 4),
        ("mixed", [native_await, translated_await, native_await, translated_await]),
    ]:
        script = Script([{"wait": 1}, ("opaque", object), "x"], result=name)
        yielded, result = run_by_hand(chain(awaiters, script), ["r1", "r2", "r3"])
        results[name] = (yielded, script.replies, script.log)
        assert result == name
    assert (
        results["translated"]
        == results["mixed"]
        == results["native"]
        == (
            [{"wait": 1}, ("opaque", object), "x"],
            ["r1", "r2", "r3"],
            ["inner finally"],
        )
    )


def test_a_thrown_exception_reaches_the_innermost_awaitable_first(impl: Impl) -> None:
    outcomes = {}
    for each in (NATIVE, impl):
        log: list[Any] = []
        script = Script(["first", "second"])
        coro = each.guarded(script, log)
        yielded = [coro.send(None), coro.throw(KeyError("k"))]
        yielded.append(coro.send("after"))
        with pytest.raises(StopIteration) as info:
            coro.send("last")
        outcomes[each.name] = (yielded, info.value.value, script.log + log, script.replies)
    assert (
        outcomes[impl.name]
        == outcomes["native"]
        == (
            ["first", "after catch", "second"],
            "done",
            [("caught", ("k",)), "inner finally", "outer finally"],
            ["after", "last"],
        )
    )


def test_a_thrown_exception_the_awaitable_does_not_catch_propagates_with_its_frames(
    impl: Impl,
) -> None:
    outcomes = {}
    for each in (NATIVE, impl):
        log: list[Any] = []
        script = Script(["first"])
        coro = each.guarded(script, log)
        coro.send(None)
        error = ValueError("v")
        with pytest.raises(ValueError) as info:
            coro.throw(error)
        assert info.value is error
        # 3.11+: the awaitee's throw hides its own frame; 3.10 shows it (pure-Python runtime)
        assert awaitee_frames(info.value) == (
            ["throw"] if not NO_AWAITEE_FRAMES and each is not NATIVE else []
        )
        names = [n for n in frame_names(info.value) if n != "throw"]
        outcomes[each.name] = (script.log + log, names[-2:], inspect.getcoroutinestate(coro))
    assert outcomes[impl.name][0] == outcomes["native"][0] == ["inner finally", "outer finally"]
    assert outcomes[impl.name][1] == outcomes["native"][1] == ["guarded", "__await__"]
    assert outcomes[impl.name][2] == inspect.CORO_CLOSED


def test_a_thrown_exception_type_is_instantiated_as_natively(impl: Impl) -> None:
    for each in (NATIVE, impl):
        script = Script(["first"])
        coro = each.await_(script)
        coro.send(None)
        assert coro.throw(KeyError) == "after catch"
        assert script.log == [("caught", ())]
        coro.close()


def test_closing_reaches_the_innermost_awaitable_first(impl: Impl) -> None:
    logs = {}
    for each in (NATIVE, impl):
        log: list[Any] = []
        script = Script(["first"])
        coro = each.guarded(script, log)
        coro.send(None)
        coro.close()
        logs[each.name] = (script.log + log, inspect.getcoroutinestate(coro))
    assert (
        logs[impl.name]
        == logs["native"]
        == (
            ["inner finally", "outer finally"],
            inspect.CORO_CLOSED,
        )
    )


class CloseOrThrow:
    """An ``__await__`` iterator with throw and close that record which one was called."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __await__(self) -> CloseOrThrow:
        return self

    def __next__(self) -> str:
        return "waiting"

    def send(self, value: Any) -> str:
        return "waiting"

    def throw(self, *args: Any) -> str:
        self.calls.append(f"throw {args[0]!r}")
        return "caught"

    def close(self) -> None:
        self.calls.append("close")


def test_generator_exit_closes_the_innermost_awaitable_rather_than_throwing_into_it(
    impl: Impl,
) -> None:
    calls = {}
    for each in (NATIVE, impl):
        awaitable = CloseOrThrow()
        coro = each.await_(awaitable)
        coro.send(None)
        with pytest.raises(GeneratorExit):
            coro.throw(GeneratorExit())
        awaitable_2 = CloseOrThrow()
        coro_2 = each.await_(awaitable_2)
        coro_2.send(None)
        coro_2.close()
        calls[each.name] = (awaitable.calls, awaitable_2.calls)
    assert calls[impl.name] == calls["native"] == (["close"], ["close"])


def test_a_thrown_exception_into_an_iterator_without_throw_raises_at_the_await(impl: Impl) -> None:
    class NoThrow:
        def __await__(self) -> Any:
            return iter(["waiting", "waiting"])

    outcomes = {}
    for each in (NATIVE, impl):
        log: list[Any] = []
        coro = each.guarded(NoThrow(), log)
        assert coro.send(None) == "waiting"
        error = _error_of(lambda: coro.throw(KeyError("nt")))
        outcomes[each.name] = (repr(error), log)
    assert outcomes[impl.name] == outcomes["native"] == ("KeyError('nt')", ["outer finally"])




def test_a_native_await_of_an_awaitee_hands_the_driver_what_is_yielded(twin: Twin) -> None:
    # Awaitee.__await__ is __iter__ (it returns the awaitee itself, as async
    # generators' `await _ds_awaitee` needs); the result is in `value`.
    script = Script(["x", "y"], result="whole")
    awaitee = twin.into_future(script)

    async def main() -> None:
        await awaitee

    yielded, _ = run_by_hand(main(), ["r1", "r2"])
    assert yielded == ["x", "y"]
    assert script.replies == ["r1", "r2"]
    assert awaitee.value == "whole"
    assert script.log == ["inner finally"]

    async def leaves_and_coroutines() -> Any:
        awaitees = [
            twin.into_future(yield_now()),  # a leaf: polled with the task's Context
            twin.into_future(native_value_after(0.001, "native")),
            twin.into_future(translated_value_after(0.001, "translated")),
        ]
        for each in awaitees:
            await each
        return tuple(each.value for each in awaitees)

    expected = (None, "native", "translated")
    assert block_on(leaves_and_coroutines()) == expected
    assert asyncio.run(leaves_and_coroutines()) == expected  # leaves through the bridge


def test_a_native_coroutine_can_await_an_awaitee_as_a_whole(twin: Twin) -> None:
    # into_future is public, and Awaitee has __await__; awaiting one natively
    # gives the awaited result and hands the driver exactly what the awaited
    # object yields.
    async def main() -> Any:
        return await twin.into_future(Script(["x"], result="whole"))

    assert run_by_hand(main(), ["r"]) == (["x"], "whole")

    async def leaves_and_coroutines() -> Any:
        first = await twin.into_future(yield_now())  # a leaf: polled with the task's Context
        second = await twin.into_future(native_value_after(0.001, "native"))
        third = await twin.into_future(translated_value_after(0.001, "translated"))
        return first, second, third

    expected = (None, "native", "translated")
    assert block_on(leaves_and_coroutines()) == expected
    assert asyncio.run(leaves_and_coroutines()) == expected  # leaves through the bridge


def test_a_native_await_of_an_awaitee_passes_throws_and_closes_inwards(twin: Twin) -> None:
    log: list[Any] = []
    script = Script(["first", "second"])

    async def main() -> Any:
        try:
            return await twin.into_future(script)
        finally:
            log.append("outer finally")

    coro = main()
    assert coro.send(None) == "first"
    assert coro.throw(KeyError("k")) == "after catch"
    assert coro.send("r1") == "second"
    coro.close()
    assert script.log == [("caught", ("k",)), "inner finally"]
    assert log == ["outer finally"]
    assert script.replies == ["r1"]


# --------------------------------------------------------------------------
# The Awaitee protocol, as the lowering drives it


PROTOCOL = """
for _ds_poll in _ds_awaitee:
    yield from _ds_awaitee
"""

ASYNC_GEN_PROTOCOL = PROTOCOL.replace("yield from _ds_awaitee", "await _ds_awaitee")


def _function(source: str) -> Any:
    translated = ast.parse(desugar.translate(source, "m.py"))
    return next(
        n for n in translated.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
    )


def test_the_compiler_writes_the_protocol_tested_here() -> None:
    # The tests below drive an awaitee as this text does (`lowered` runs this
    # very text); if the lowering changes, they must change with it.
    protocol = [ast.dump(n) for n in ast.parse(PROTOCOL).body]
    function = _function("async def f(x):\n    return await x\n")
    assert isinstance(function, ast.FunctionDef)
    assert ast.unparse(function.body[0]) == "_ds_awaitee = _ds_rt.into_future(x)"
    assert [ast.dump(n) for n in function.body[1:2]] == protocol
    assert [ast.unparse(n) for n in function.body[2:]] == ["return _ds_awaitee.value"]
    # an await statement: the generated names are deleted after it
    function = _function("async def f(x):\n    await x\n    return 1\n")
    assert [ast.dump(n) for n in function.body[1:2]] == protocol
    assert [ast.unparse(n) for n in function.body[2:]] == ["del _ds_awaitee", "return 1"]
    # an async generator stays native; it suspends with `await _ds_awaitee`
    generator = _function("async def g(x):\n    yield await x\n")
    assert isinstance(generator, ast.AsyncFunctionDef)
    assert ast.unparse(generator.body[0]) == "_ds_awaitee = _ds_rt.into_future(x)"
    assert [ast.dump(n) for n in generator.body[1:2]] == [
        ast.dump(n) for n in ast.parse(ASYNC_GEN_PROTOCOL).body
    ]
    assert [ast.unparse(n) for n in generator.body[2:]] == [
        "yield _ds_awaitee.value",
        "del _ds_awaitee",
    ]


def lowered(awaitee: Any, async_gen: bool = False) -> Any:
    """A generator (or an async generator) that awaits ``awaitee`` with the pinned text.

    The generator returns the awaited value; the async generator yields it.
    """
    protocol = ASYNC_GEN_PROTOCOL if async_gen else PROTOCOL
    body = "".join(f"    {line}\n" for line in protocol.strip().splitlines())
    source = (
        f"{'async ' if async_gen else ''}def lowered(_ds_awaitee):\n{body}"
        f"    {'yield' if async_gen else 'return'} _ds_awaitee.value\n"
    )
    namespace: dict[str, Any] = {"_ds_rt": rt}
    exec(compile(source, "<lowered>", "exec"), namespace)
    return namespace["lowered"](awaitee)


def test_the_first_poll_is_ready_with_the_result_in_value_if_it_completes_at_once(twin: Twin) -> None:
    script = Script([], result="at once")
    awaitee = twin.into_future(script)
    assert awaitee.poll_with_tls_context() is Ready  # the class itself, not Ready(value)
    assert awaitee.value == "at once"
    assert script.log == ["inner finally"]
    assert awaitee.cr_frame is None and awaitee.cr_await is None  # nothing awaited any more
    # the lowered await never suspends: nothing is handed to the driver
    with pytest.raises(StopIteration) as stop:
        lowered(twin.into_future(Script([], result="at once"))).send(None)
    assert stop.value.value == "at once"


def test_the_value_is_read_once_then_the_awaitee_no_longer_holds_it(twin: Twin) -> None:
    import weakref

    class Box:
        pass

    async def make() -> Box:
        return Box()

    awaitee = twin.into_future(make())
    for _ in awaitee:  # the poll loop: a coroutine that completes at once runs no step
        raise AssertionError("completed at once: no step")
    box = awaitee.value
    held = weakref.ref(box)
    del box
    assert held() is None  # freed as natively, where the result lives on the value stack only
    with pytest.raises(AttributeError):
        awaitee.value
    # other attributes are looked up as before (C: `value` alone has a fast path)
    assert awaitee.cr_frame is None and awaitee.cr_await is None
    assert getattr(awaitee, "value", "gone") == "gone"
    with pytest.raises(AttributeError):
        awaitee.no_such_attribute


def test_the_first_poll_is_what_the_awaitable_yielded_and_yield_from_hands_it_over(twin: Twin) -> None:
    script = Script(["a", "b", "c"])
    awaitee = twin.into_future(script)
    assert repr(awaitee).startswith("<generator object Script.__await__")  # what it awaits
    for gone in ("sent", "thrown"):  # the intermediate protocol's reply slots
        assert not hasattr(awaitee, gone), gone
    assert awaitee.poll_with_tls_context() == "a"  # what the awaitable yielded, unchanged
    assert script.replies == []
    # `yield from awaitee`: iter() is the awaitee, whose first step hands the
    # first poll over without resuming what is awaited
    assert iter(awaitee) is awaitee
    assert next(awaitee) == "a"
    assert script.replies == []
    assert awaitee.send(1) == "b"  # a reply resumes what is awaited: its next payload
    assert script.replies == [1]
    assert next(awaitee) == "c"  # resumed with None (asyncio's way): resumes it again
    assert script.replies == [1, None]
    with pytest.raises(StopIteration):
        awaitee.send(3)  # the resumption that completes it
    assert script.replies == [1, None, 3]
    assert awaitee.value == "done"
    assert script.log == ["inner finally"]


def test_the_protocol_loop_hands_the_driver_each_poll_and_the_awaitable_each_reply(twin: Twin) -> None:
    script = Script(["a", "b", "c"])
    assert run_by_hand(lowered(twin.into_future(script)), [1, 2, 3]) == (["a", "b", "c"], "done")
    assert script.replies == [1, 2, 3]
    # the poll is what the innermost awaitable yielded, through any awaits
    script = Script(["a", ("opaque", object)])
    chain = twin.into_future(native_await(translated_await(script)))
    assert run_by_hand(lowered(chain), [1, 2]) == (["a", ("opaque", object)], "done")
    assert script.replies == [1, 2]


def test_throw_resumes_what_is_awaited_with_the_exception_as_yield_from_does(twin: Twin) -> None:
    script = Script(["a", "b"])
    awaitee = twin.into_future(script)
    assert awaitee.poll_with_tls_context() == "a"
    assert next(awaitee) == "a"
    assert awaitee.throw(KeyError("k")) == "after catch"  # caught: its next payload
    assert script.log == [("caught", ("k",))]
    assert awaitee.send("r1") == "b"
    error = ValueError("uncaught")
    with pytest.raises(ValueError) as info:
        awaitee.throw(error)
    assert info.value is error
    assert script.log == [("caught", ("k",)), "inner finally"]
    assert script.replies == ["r1"]
    # a type is instantiated, as a generator's throw does
    script = Script(["a"])
    awaitee = twin.into_future(script)
    assert awaitee.poll_with_tls_context() == "a"
    assert next(awaitee) == "a"
    assert awaitee.throw(KeyError) == "after catch"
    assert script.log == [("caught", ())]
    awaitee.close()
    assert script.log == [("caught", ()), "inner finally"]

    # the awaitable handles it and completes: StopIteration, the result in value
    @types.coroutine
    def recovers() -> Any:
        try:
            yield "waiting"
        except KeyError as caught:
            return ("recovered from", caught.args)
        return "not thrown"

    awaitee = twin.into_future(recovers())
    assert awaitee.poll_with_tls_context() == "waiting"
    assert next(awaitee) == "waiting"
    with pytest.raises(StopIteration):
        awaitee.throw(KeyError("k"))
    assert awaitee.value == ("recovered from", ("k",))

    # into an iterator without throw: raised as it is, as by `yield from`
    class NoThrow:
        def __await__(self) -> Any:
            return iter(["waiting"])

    awaitee = twin.into_future(NoThrow())
    assert awaitee.poll_with_tls_context() == "waiting"
    assert next(awaitee) == "waiting"
    error = ValueError("no throw")
    assert _error_of(lambda: awaitee.throw(error)) is error


def test_an_exception_leaving_the_awaitee_has_the_awaitees_frame_removed_on_311(twin: Twin) -> None:
    @types.coroutine
    def fails(waits: int) -> Any:
        for _ in range(waits):
            yield "waiting"
        raise LookupError("failed")

    def expected(method: str, awaitee: Any) -> list[str]:
        # (a C awaitee has no frame; 3.11's bare `raise` drops the pure one's; `into_future`
        # gives what is not a coroutine an awaitee of the running runtime, see its docstring)
        if IS_311 or type(awaitee) is not _awaitee_impl.PyAwaitee:
            return []
        return ["send" if method == "__next__" else method]  # 3.10's bare `raise` keeps the traceback

    first = twin.into_future(fails(0))
    error = _error_of(first.poll_with_tls_context)
    assert type(error) is LookupError
    assert awaitee_frames(error) == expected("poll_with_tls_context", first)
    assert frame_names(error)[-1] == "fails"
    for method in ("__next__", "send", "throw"):
        awaitee = twin.into_future(fails(1))
        assert awaitee.poll_with_tls_context() == "waiting"
        assert next(awaitee) == "waiting"  # the hand-over
        resume = {
            "__next__": lambda: next(awaitee),
            "send": lambda: awaitee.send("reply"),
            "throw": lambda: awaitee.throw(LookupError("thrown")),
        }[method]
        error = _error_of(resume)
        assert type(error) is LookupError, method
        assert awaitee_frames(error) == expected(method, awaitee), method
        assert frame_names(error)[-1] == "fails", method


def test_the_protocol_loop_throws_what_the_driver_throws_into_the_innermost_awaitable(twin: Twin) -> None:
    script = Script(["a", "b"])
    coro = lowered(twin.into_future(script))
    assert coro.send(None) == "a"
    assert coro.throw(KeyError("k")) == "after catch"  # caught by the innermost awaitable
    assert coro.send("r1") == "b"
    error = ValueError("v")
    with pytest.raises(ValueError) as info:
        coro.throw(error)
    assert info.value is error
    assert error.__context__ is None
    assert "lowered" in frame_names(error) and "__await__" in frame_names(error)
    assert script.log == [("caught", ("k",)), "inner finally"]


def test_an_exception_replacing_a_thrown_one_gets_the_context_it_gets_natively(
    impl: Impl,
) -> None:
    # Raised instead of the thrown one outside any except block: no __context__,
    # as natively, since no except clause stands between the driver's throw and
    # the awaitable (the awaitee's throw passes it straight on).
    class Replaces:
        def __await__(self) -> Any:
            try:
                yield "waiting"
            except KeyError:
                pass
            raise OSError("raised after the except block")

    contexts = {}
    for each in (NATIVE, impl):
        coro = each.await_(Replaces())
        assert coro.send(None) == "waiting"
        replaced = _error_of(lambda: coro.throw(KeyError("thrown")))
        assert type(replaced) is OSError
        contexts[each.name] = replaced.__context__
    assert contexts[impl.name] is contexts["native"] is None


def test_a_thrown_generator_exit_closes_the_awaitee_which_closes_what_it_awaits(twin: Twin) -> None:
    # `yield from` closes its target on GeneratorExit rather than throwing it in
    # (as natively: see CloseOrThrow); the awaitee's close closes what it awaits
    awaitable = CloseOrThrow()
    coro = lowered(twin.into_future(awaitable))
    assert coro.send(None) == "waiting"
    stop = GeneratorExit()
    with pytest.raises(GeneratorExit) as info:
        coro.throw(stop)
    assert info.value is stop
    assert awaitable.calls == ["close"]
    assert inspect.getgeneratorstate(coro) == inspect.GEN_CLOSED
    # closing the lowered await: the same, then its frame unwinds
    script = Script(["a"])
    coro = lowered(twin.into_future(script))
    assert coro.send(None) == "a"
    coro.close()
    assert script.log == ["inner finally"]
    assert inspect.getgeneratorstate(coro) == inspect.GEN_CLOSED


def test_an_async_generator_suspends_with_await_of_the_awaitee(twin: Twin) -> None:
    assert not hasattr(rt, "suspend")  # the intermediate protocol's helper is gone
    script = Script(["a", "b"])
    awaitee = twin.into_future(script)
    agen = lowered(awaitee, async_gen=True)
    step = agen.__anext__()
    assert step.send(None) == "a"  # the first poll, handed over through the await
    assert agen.ag_await is awaitee  # suspended in `await` the awaitee
    assert agen.ag_await.gi_frame.f_locals["self"] is script
    assert step.send(1) == "b"
    with pytest.raises(StopIteration) as item:
        step.send(2)
    assert item.value.value == "done"  # the item the async generator yields
    assert script.replies == [1, 2]
    agen.aclose().close()
    # a throw and a close reach the awaitable through the async generator's await
    script = Script(["a", "b"])
    agen = lowered(twin.into_future(script), async_gen=True)
    step = agen.__anext__()
    assert step.send(None) == "a"
    assert step.throw(KeyError("k")) == "after catch"
    with pytest.raises(GeneratorExit):
        step.throw(GeneratorExit())
    assert script.log == [("caught", ("k",)), "inner finally"]


def test_an_awaitee_is_its_own_iterator_for_yield_from_and_await(twin: Twin) -> None:
    awaitee = twin.into_future(Script(["a"]))
    try:
        # (Awaited natively, as here: a fresh awaitee's first `iter()` is the generated
        # loop's, which the pure-Python runtime makes its first poll.)
        assert awaitee.__await__() is awaitee
        assert iter(awaitee) is awaitee
        assert inspect.isawaitable(awaitee)
        for method in ("__next__", "send", "throw", "close"):
            assert callable(getattr(awaitee, method)), method
        assert inspect.isgenerator(awaitee) and not inspect.iscoroutine(awaitee)  # (as it awaits)
        assert type(awaitee) is Awaitee
        assert not hasattr(awaitee, "__dict__")  # slots only
    finally:
        awaitee.close()


def test_awaitee_close_closes_what_it_awaits_and_is_idempotent(twin: Twin) -> None:
    script = Script(["a"])
    awaitee = twin.into_future(script)
    assert awaitee.poll_with_tls_context() == "a"
    awaitee.close()
    assert script.log == ["inner finally"]
    awaitee.close()
    assert script.log == ["inner finally"]
    with pytest.raises(RuntimeError, match="resumed after completion"):
        awaitee.poll(hand_cx())
    with pytest.raises(RuntimeError, match="^cannot reuse already awaited awaitable"):
        awaitee.poll_with_tls_context()


def test_a_leaf_awaitee_polls_its_future_with_the_task_context_from_the_slot(twin: Twin) -> None:
    from desugar.runtime._waker import task as slot

    gate = Gate()
    leaf = twin.into_future(gate)
    assert isinstance(leaf, Awaitee)
    assert repr(leaf) == f"<awaitee of {gate!r}>"
    assert leaf.cr_frame is None  # polled directly: no frame of its own
    counter = WakeCounter()
    slot.cx = counter.cx  # as the executor sets it before polling its task
    try:
        assert leaf.poll_with_tls_context() is Pending
        assert gate.polls == 1
        assert gate.waker is not None and gate.waker.will_wake(counter.waker)
        assert next(leaf) is Pending  # the hand-over of the stored Pending: no poll
        assert gate.polls == 1
        assert next(leaf) is Pending  # the driver resumed it: polled again, still waiting
        assert gate.polls == 2
        gate.open("opened")
        assert counter.calls == 1
        with pytest.raises(StopIteration):
            leaf.send("ignored")  # a leaf future takes no values: a send polls it again
        assert gate.polls == 3
        assert leaf.value == "opened"
        # ready at the first poll
        gate = Gate()
        gate.open("at once")
        leaf = twin.into_future(gate)
        assert leaf.poll_with_tls_context() is Ready
        assert (leaf.value, gate.polls) == ("at once", 1)
        # through the lowered await
        gate = Gate()
        coro = lowered(twin.into_future(gate))
        assert coro.send(None) is Pending  # the first poll, handed over
        assert coro.send(None) is Pending  # resumed: polled again
        assert gate.polls == 2
        gate.open("via yield from")
        with pytest.raises(StopIteration) as stop:
            coro.send(None)
        assert stop.value.value == "via yield from"
        assert gate.polls == 3
        # a thrown exception (a cancellation) drops the future and is raised
        gate = Gate()
        leaf = twin.into_future(gate)
        assert leaf.poll_with_tls_context() is Pending
        assert next(leaf) is Pending
        cancel = KeyError("cancelled")
        with pytest.raises(KeyError) as info:
            leaf.throw(cancel)
        assert info.value is cancel
        assert (gate.polls, gate.closed) == (1, 1)
        gate = Gate()
        leaf = twin.into_future(gate)
        assert leaf.poll_with_tls_context() is Pending
        assert type(_error_of(lambda: leaf.throw(KeyError))) is KeyError  # instantiated
        assert gate.closed == 1
        # and so does a close, of the leaf or of the frame awaiting it
        gate = Gate()
        leaf = twin.into_future(gate)
        assert leaf.poll_with_tls_context() is Pending
        leaf.close()
        assert gate.closed == 1
        gate = Gate()
        coro = lowered(twin.into_future(gate))
        assert coro.send(None) is Pending
        coro.close()
        assert (gate.polls, gate.closed) == (1, 1)
    finally:
        slot.cx = None
    # no task Context (no executor of ours polls): it hands over to the bridge,
    # which needs a foreign driver
    gate = Gate()
    with pytest.raises(RuntimeError, match="none is running on this thread"):
        twin.into_future(gate).poll_with_tls_context()
    assert gate.polls == 0


def test_a_leaf_awaitee_under_asyncio_yields_what_asyncio_waits_on(twin: Twin) -> None:
    gate = Gate()
    polls: list[Any] = []
    frames: list[Any] = []

    async def main() -> Any:
        leaf = twin.into_future(gate)
        coro = lowered(leaf)
        poll = coro.send(None)  # the bridge: an asyncio future that the waker completes
        polls.append(poll)
        frames.append(leaf.gi_frame.f_code.co_name)  # bridged: the frame of poll_leaf
        gate.open("opened")
        try:
            await poll
            coro.send(None)
        except StopIteration as stop:
            return stop.value
        return "not done"

    assert asyncio.run(main()) == "opened"
    assert len(polls) == 1 and isinstance(polls[0], asyncio.Future)
    assert gate.polls == 2
    assert frames == ["poll_leaf"]  # as a native await's cr_await shows it


# --------------------------------------------------------------------------
# Awaitee.poll(cx): the Rust-level poll


def test_awaitee_poll_is_pending_then_ready_and_the_leaf_wakes_the_pollers_waker(twin: Twin) -> None:
    counter = WakeCounter()

    async def main() -> int:
        await yield_now()
        return 5

    awaitee = twin.into_future(main())
    assert awaitee.poll(counter.cx) is Pending
    assert counter.calls == 1  # yield_now woke the waker it was polled with
    assert awaitee.poll(counter.cx) == Ready(5)
    assert counter.calls == 1


def test_awaitee_poll_hands_its_context_to_a_leaf_deep_in_the_chain(impl: Impl, twin: Twin) -> None:
    gate = Gate()
    counter = WakeCounter()
    awaitee = twin.into_future(impl.await_(native_await(impl.await_(gate))))
    assert awaitee.poll(counter.cx) is Pending
    assert gate.waker is not None and gate.waker.will_wake(counter.waker)
    assert awaitee.poll(counter.cx) is Pending  # not open yet: polled again, still waits
    assert gate.polls == 2
    gate.open("opened")
    assert counter.calls == 1
    assert awaitee.poll(counter.cx) == Ready("opened")


def test_awaitee_poll_of_a_pending_yield_waits_without_waking(twin: Twin) -> None:
    @types.coroutine
    def yields_pending() -> Any:
        reply = yield Pending
        return ("resumed with", reply)

    counter = WakeCounter()
    awaitee = twin.into_future(native_await(yields_pending()))
    assert awaitee.poll(counter.cx) is Pending
    assert counter.calls == 0  # Pending means: whoever yielded it has the waker
    assert awaitee.poll(counter.cx) == Ready(("resumed with", None))


def test_awaitee_poll_of_a_bare_yield_wakes_its_own_task(twin: Twin) -> None:
    @types.coroutine
    def bare_yield() -> Any:
        reply = yield
        return ("resumed with", reply)

    counter = WakeCounter()
    awaitee = twin.into_future(translated_await(bare_yield()))
    assert awaitee.poll(counter.cx) is Pending
    assert counter.calls == 1  # "poll me again soon", as asyncio's sleep(0)
    assert awaitee.poll(counter.cx) == Ready(("resumed with", None))
    assert counter.calls == 1


def test_awaitee_poll_of_a_pending_asyncio_future_throws_a_clear_error_where_it_was_yielded(
    twin: Twin, impl: Impl,
) -> None:
    loop = asyncio.new_event_loop()
    try:
        caught: list[str] = []

        async def catches() -> str:
            try:
                await loop.create_future()
            except RuntimeError as error:
                caught.append(str(error))
                return "recovered"
            return "not raised"

        assert twin.into_future(impl.await_(catches())).poll(hand_cx()) == Ready("recovered")
        assert len(caught) == 1
        assert caught[0].startswith("an asyncio awaitable waits on <Future pending")
        assert caught[0].endswith(
            "which needs an asyncio event loop; run the program under asyncio.run(...) "
            "instead of desugar.runtime.block_on(...)"
        )

        async def uses_asyncio() -> None:
            await loop.create_future()

        with pytest.raises(RuntimeError, match=r"asyncio\.run") as info:
            twin.into_future(impl.await_(uses_asyncio())).poll(hand_cx())
        assert str(info.value) == caught[0]
        assert "uses_asyncio" in frame_names(info.value)  # raised where it waited
    finally:
        loop.close()


def test_awaitee_poll_of_a_foreign_payload_throws_a_clear_error_where_it_was_yielded(twin: Twin) -> None:
    @types.coroutine
    def foreign() -> Any:
        try:
            yield "a trio trap"
        except RuntimeError as error:
            return f"caught: {error}"
        return "not raised"

    message = (
        "an awaited object yielded 'a trio trap', which desugar.runtime cannot wait on where "
        "it polls futures itself (block_on, join, select, timeout): it belongs to another "
        "driver; await it directly under the driver it was written for (asyncio.run, "
        "trio.run, ...), and use that driver's own tools (task groups, nurseries) to run it "
        "concurrently"
    )
    assert twin.into_future(native_await(foreign())).poll(hand_cx()) == Ready(f"caught: {message}")

    @types.coroutine
    def foreign_uncaught() -> Any:
        yield ("opaque", 1)

    with pytest.raises(RuntimeError, match=r"yielded \('opaque', 1\), which desugar"):
        block_on(translated_await(foreign_uncaught()))


def test_awaitee_polled_after_completion_or_failure_says_so(twin: Twin) -> None:
    awaitee = twin.into_future(native_await(Script([])))
    assert awaitee.poll(hand_cx()) == Ready("done")
    with pytest.raises(RuntimeError) as info:
        awaitee.poll(hand_cx())
    assert str(info.value) == RESUMED_AFTER_COMPLETION
    with pytest.raises(RuntimeError, match="resumed after completion"):
        awaitee.poll(hand_cx())

    async def fails() -> None:
        await yield_now()
        raise ValueError("boom")

    failing = twin.into_future(fails())
    assert failing.poll(hand_cx()) is Pending
    with pytest.raises(ValueError, match="^boom$"):
        failing.poll(hand_cx())
    with pytest.raises(RuntimeError) as again:
        failing.poll(hand_cx())
    assert str(again.value) == RESUMED_AFTER_COMPLETION


REUSED_AWAITEE = (
    "cannot reuse already awaited awaitable (`async fn` resumed after completion): "
    "await each coroutine once"
)


def test_awaiting_an_awaitee_again_after_its_await_ended_says_so(twin: Twin) -> None:
    awaitee = twin.into_future(native_await(Script([])))
    assert block_on(translated_await(awaitee)) == "done"  # twin.into_future(awaitee) is awaitee
    with pytest.raises(RuntimeError) as info:
        block_on(translated_await(awaitee))
    assert str(info.value) == REUSED_AWAITEE
    # Nothing chained to it, as native "cannot reuse already awaited coroutine".
    assert info.value.__cause__ is None
    assert info.value.__context__ is None or info.value.__suppress_context__

    failed = twin.into_future(native_fail_after(0, KeyError("once")))
    with pytest.raises(KeyError):
        block_on(translated_await(failed))
    with pytest.raises(RuntimeError, match="^cannot reuse already awaited awaitable"):
        block_on(translated_await(failed))


def test_awaiting_an_awaitee_natively_again_after_its_await_ended_says_so(twin: Twin) -> None:
    async def twice(awaitee: Any) -> Any:
        first = await awaitee  # natively, through Awaitee.__await__
        return first, _error_of(lambda: awaitee.__await__().send(None))

    first, error = block_on(twice(twin.into_future(native_await(Script([])))))
    assert (type(error), str(error)) == (RuntimeError, REUSED_AWAITEE)
    assert first == "done"


def test_awaiting_a_leaf_awaitee_again_after_its_await_ended_says_so(twin: Twin) -> None:
    leaf = twin.into_future(yield_now())
    assert block_on(translated_await(leaf)) is None
    error = _error_of(lambda: block_on(translated_await(leaf)))
    assert (type(error), str(error)) == (RuntimeError, REUSED_AWAITEE)


def test_the_reuse_message_after_a_failed_await_does_not_say_it_was_awaited_to_the_end(twin: Twin) -> None:
    failed = twin.into_future(native_fail_after(0, KeyError("once")))
    with pytest.raises(KeyError):
        block_on(translated_await(failed))
    error = _error_of(lambda: block_on(translated_await(failed)))
    assert type(error) is RuntimeError
    assert str(error).startswith("cannot reuse already awaited awaitable")
    assert "awaited to the end" not in str(error)


def test_awaitee_poll_sets_the_task_context_only_while_it_polls(twin: Twin) -> None:
    seen: list[Any] = []

    async def records() -> None:
        seen.append(current_context())
        await yield_now()
        seen.append(current_context())
        raise KeyError("out")

    cx1, cx2 = hand_cx(), hand_cx()
    assert current_context() is None
    awaitee = twin.into_future(records())
    assert awaitee.poll(cx1) is Pending
    assert current_context() is None
    with pytest.raises(KeyError):
        awaitee.poll(cx2)
    assert current_context() is None  # restored when the poll raised, too
    assert seen == [cx1, cx2]


# --------------------------------------------------------------------------
# current_context


def test_current_context_is_the_tasks_context_only_while_our_executor_polls() -> None:
    seen: dict[str, Any] = {}

    async def child() -> None:
        seen["child"] = current_context()

    async def main() -> None:
        seen["main"] = current_context()
        await yield_now()
        seen["main again"] = current_context()
        await spawn(child())
        other_thread: list[Any] = []
        thread = threading.Thread(target=lambda: other_thread.append(current_context()))
        thread.start()
        thread.join()
        seen["other thread"] = other_thread[0]

    assert current_context() is None
    block_on(main())
    assert current_context() is None
    assert isinstance(seen["main"], Context)
    assert seen["main again"] is seen["main"]  # the task keeps its Context
    assert seen["main"].reactor is not None  # the executor runs its timers
    assert isinstance(seen["child"], Context)
    assert not seen["child"].waker().will_wake(seen["main"].waker())
    assert seen["other thread"] is None  # the slot is per thread


def test_the_executor_sets_the_task_context_for_a_leaf_it_polls_itself_and_clears_it() -> None:
    seen: list[Any] = []

    class Looks(Future):
        """A leaf run as a task of its own: the executor polls it, not an Awaitee."""

        def __init__(self, fail: bool) -> None:
            self.fail = fail

        def poll(self, cx: Context) -> Any:
            seen.append(current_context() is cx)
            if self.fail:
                raise KeyError("failed")
            return Ready("looked")

    assert block_on(Looks(fail=False)) == "looked"
    assert current_context() is None
    with pytest.raises(KeyError):
        block_on(Looks(fail=True))
    assert current_context() is None  # cleared when block_on fails, too
    assert seen == [True, True]


def test_the_task_contexts_waker_wakes_the_task_from_a_hand_written_awaitable() -> None:
    @types.coroutine
    def wait_for_thread(delay: float) -> Any:
        waker = current_context().waker().clone()  # type: ignore[union-attr]
        threading.Timer(delay, waker.wake).start()
        yield Pending  # the waker is handed over: nothing else wakes us
        return "woken"

    start = time.monotonic()
    assert block_on(native_await(wait_for_thread(0.03))) == "woken"
    assert time.monotonic() - start >= 0.03


def test_current_context_is_none_under_asyncio_and_trio() -> None:
    async def look() -> Any:
        await asyncio.sleep(0)
        return current_context()

    assert asyncio.run(look()) is None
    trio = need("trio")

    async def look_trio() -> Any:
        await trio.sleep(0)
        return current_context()

    assert trio.run(look_trio) is None


# --------------------------------------------------------------------------
# block_on


def test_block_on_returns_the_futures_value(impl: Impl) -> None:
    assert block_on(impl.value_after(0, {"k": 1})) == {"k": 1}
    assert block_on(sleep(0)) is None


def test_block_on_propagates_the_same_exception_object(impl: Impl) -> None:
    error = KeyError("missing")
    with pytest.raises(KeyError) as info:
        block_on(impl.fail_after(0, error))
    assert info.value is error
    assert info.value.args == ("missing",)


def test_block_on_can_run_again_after_a_failure(impl: Impl) -> None:
    with pytest.raises(ZeroDivisionError, match="^nope$"):
        block_on(impl.fail_after(0, ZeroDivisionError("nope")))
    assert block_on(impl.value_after(0, "again")) == "again"


def test_nested_block_on_inside_a_task_raises_runtime_error_saying_what_to_do() -> None:
    async def nested() -> Any:
        return block_on(sleep(0))

    with pytest.raises(RuntimeError) as info:
        block_on(nested())
    assert str(info.value) == (
        "block_on() cannot be called from inside a task: " "await the future instead, or spawn() it"
    )
    # the outer executor was cleaned up: block_on works afterwards
    assert block_on(native_value_after(0, 5)) == 5


def test_block_on_of_a_non_awaitable_raises_type_error_and_leaves_no_executor() -> None:
    with pytest.raises(TypeError, match=r"^object int can't be used in 'await' expression$"):
        block_on(42)
    coro = native_value_after(0, 1)
    with pytest.raises(RuntimeError, match=r"block_on"):
        spawn(coro)
    coro.close()


def test_block_on_runs_on_separate_threads_independently() -> None:
    results: dict[str, Any] = {}

    def run(name: str, seconds: float) -> None:
        results[name] = block_on(native_value_after(seconds, name))

    threads = [threading.Thread(target=run, args=(f"t{i}", 0.01 * i)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == {f"t{i}": f"t{i}" for i in range(4)}


@pytest.mark.parametrize("runner", ["block_on", "asyncio"])
def test_traceback_of_a_deep_exception_shows_every_async_caller_in_order(
    runner: str, impl: Impl
) -> None:
    with pytest.raises(LookupError, match="^deep$") as info:
        if runner == "block_on":
            block_on(impl.level_one())
        else:
            asyncio.run(impl.level_one())
    tb = info.value.__traceback__
    entries = []
    while tb is not None:
        entries.append((tb.tb_frame.f_code.co_name, tb.tb_frame.f_code.co_filename))
        tb = tb.tb_next
    names = [n for n, _ in entries]
    first = names.index("level_one")
    assert [n for n, f in entries if f == impl.filename] == [
        "level_one",
        "level_two",
        "level_three",
    ]
    assert names[-1] == "level_three"  # raised there: the innermost frame
    if runner == "block_on":
        assert names.index("block_on") < first
    # from the outermost async caller down, nothing but the callers (3.11+: the
    # awaitee hides its own frame; 3.10 shows the resumption, `__next__` as the
    # driver resumes with None, between translated callers: its code is `send`'s)
    between = [n for n, f in entries[first:] if f != impl.filename]
    assert between == ([] if NO_AWAITEE_FRAMES or impl is NATIVE else ["send", "send"])


def test_executor_run_polls_a_future_to_completion_directly() -> None:
    executor = Executor()
    try:
        assert executor.run(native_value_after(0.01, "direct")) == "direct"
    finally:
        executor.shutdown()


# --------------------------------------------------------------------------
# spawn / JoinHandle


def test_spawn_returns_join_handle_whose_await_gives_the_result(impl: Impl) -> None:
    seen: list[Any] = []

    async def main() -> Any:
        handle = spawn(impl.value_after(0.01, "spawned result"))
        seen.append(type(handle))
        seen.append(handle.is_finished())
        result = await handle
        seen.append(handle.is_finished())
        return result

    assert block_on(main()) == "spawned result"
    assert seen == [JoinHandle, False, True]


def test_a_join_handle_awaited_by_a_translated_coroutine(impl: Impl) -> None:
    async def main() -> Any:
        return await translated_await(spawn(impl.value_after(0, "via translated")))

    assert block_on(main()) == "via translated"


def test_spawned_tasks_exception_is_reraised_by_its_join_handle(impl: Impl) -> None:
    error = ValueError("task failed")

    async def main() -> Any:
        handle = spawn(impl.fail_after(0.01, error))
        try:
            await handle
        except ValueError as caught:
            return ("caught", caught is error, str(caught), handle.is_finished())
        return "not raised"

    assert block_on(main()) == ("caught", True, "task failed", True)


def test_join_handle_failure_propagates_out_of_block_on_when_not_caught(impl: Impl) -> None:
    async def main() -> Any:
        return await spawn(impl.fail_after(0, OSError("disk")))

    with pytest.raises(OSError, match="^disk$"):
        block_on(main())


def test_spawn_accepts_a_leaf_future_and_a_join_handle_is_a_future() -> None:
    async def main() -> Any:
        gate = Gate()
        handle = spawn(gate)
        assert isinstance(handle, Future)
        await yield_now()
        gate.open("leaf result")
        return await handle

    assert block_on(main()) == "leaf result"


def test_awaiting_a_join_handle_twice_gives_the_result_twice() -> None:
    async def main() -> Any:
        handle = spawn(native_value_after(0, "twice"))
        return await handle, await handle

    assert block_on(main()) == ("twice", "twice")


def test_spawn_outside_block_on_raises_runtime_error_naming_block_on() -> None:
    coro = native_value_after(0, 1)
    with pytest.raises(RuntimeError, match=r"block_on") as info:
        spawn(coro)
    coro.close()
    assert str(info.value) == NOT_IN_BLOCK_ON.format(what="spawn()")


def test_spawn_in_another_thread_during_block_on_still_needs_its_own_block_on() -> None:
    errors: list[BaseException] = []

    def other_thread() -> None:
        coro = native_value_after(0, 1)
        try:
            spawn(coro)
        except RuntimeError as e:
            errors.append(e)
        finally:
            coro.close()

    async def main() -> Any:
        t = threading.Thread(target=other_thread)
        t.start()
        t.join()
        return "ok"

    assert block_on(main()) == "ok"
    assert [str(e) for e in errors] == [NOT_IN_BLOCK_ON.format(what="spawn()")]


# --------------------------------------------------------------------------
# yield_now


def test_yield_now_is_pending_once_waking_itself_then_ready() -> None:
    counter = WakeCounter()
    fut = yield_now()
    assert fut.poll(counter.cx) is Pending
    assert counter.calls == 1
    assert fut.poll(counter.cx) == Ready(None)
    assert counter.calls == 1


async def ticker(name: str, n: int, log: list[str], pause: Callable[[], Any] = yield_now) -> str:
    for i in range(n):
        log.append(f"{name}{i}")
        await pause()
    log.append(f"{name} end")
    return name


def test_yield_now_interleaves_two_tasks_in_a_deterministic_order() -> None:
    log: list[str] = []

    async def main() -> Any:
        ha = spawn(ticker("a", 3, log))
        hb = spawn(translated_await(ticker("b", 3, log)))
        log.append("spawned")
        results = [await ha, await hb]
        log.append("joined")
        return results

    assert block_on(main()) == ["a", "b"]
    assert log == [
        "spawned",
        "a0",
        "b0",
        "a1",
        "b1",
        "a2",
        "b2",
        "a end",
        "b end",
        "joined",
    ]


def test_task_spinning_on_yield_now_does_not_starve_timers() -> None:
    # Regression: the executor used to drain the ready queue before firing
    # timers, so a task that kept yielding never let a sleeper wake up.
    done: list[str] = []

    async def sleeper() -> None:
        await sleep(0.01)
        done.append("slept")

    async def main() -> int:
        spawn(sleeper())
        spins = 0
        give_up = time.monotonic() + 10.0  # a guard against hanging, not an assertion
        while not done and time.monotonic() < give_up:
            spins += 1
            await yield_now()
        return spins

    spins = block_on(main())
    assert done == ["slept"]
    assert spins >= 1


# --------------------------------------------------------------------------
# sleep


def test_spawned_sleepers_finish_in_order_of_duration(impl: Impl) -> None:
    finished: list[str] = []

    async def main() -> list[Any]:
        handles = [spawn(impl.value_after(s, s, finished, str(s))) for s in (0.03, 0.01, 0.02)]
        return [await h for h in handles]

    assert block_on(main()) == [0.03, 0.01, 0.02]
    assert [entry for entry in finished if entry.endswith("done")] == [
        "0.01 done",
        "0.02 done",
        "0.03 done",
    ]


def test_block_on_sleep_takes_at_least_the_duration() -> None:
    start = time.monotonic()
    assert block_on(sleep(0.05)) is None
    assert time.monotonic() - start >= 0.05


def test_sleep_is_timed_from_its_first_poll() -> None:
    async def main() -> float:
        nap = sleep(0.03)
        time.sleep(0.04)  # longer than the nap, before it is first polled
        start = time.monotonic()
        await nap
        return time.monotonic() - start

    assert block_on(main()) >= 0.03


def test_sleep_polled_outside_block_on_raises_runtime_error_naming_block_on() -> None:
    fut = sleep(0.01)  # creating it is fine; polling it needs an executor
    with pytest.raises(RuntimeError, match=r"block_on") as info:
        fut.poll(hand_cx())
    assert str(info.value) == NOT_IN_BLOCK_ON.format(what="sleep()")


def test_sleep_zero_is_ready_on_first_poll_even_by_hand() -> None:
    assert sleep(0).poll(hand_cx()) == Ready(None)


def test_sleep_arms_one_timer_per_waker_that_forwards_to_the_tasks_waker() -> None:
    class Reactor:
        def __init__(self) -> None:
            self.timers: list[tuple[float, Waker]] = []

        def add_timer(self, deadline: float, waker: Waker) -> None:
            self.timers.append((deadline, waker))

    reactor = Reactor()
    counter = WakeCounter()
    nap = sleep(10)
    before = time.monotonic()
    assert nap.poll(Context(counter.waker, reactor)) is Pending
    assert nap.poll(Context(counter.waker.clone(), reactor)) is Pending  # same task: no new timer
    assert len(reactor.timers) == 1
    deadline, timer = reactor.timers[0]
    assert deadline >= before + 10
    assert not timer.will_wake(counter.waker)  # the timer's own waker ...
    timer.wake()  # ... forwards to the task's waker (here: a clock that fires early)
    assert counter.calls == 1
    timer.wake()  # and forgets it: a second firing wakes nobody
    assert counter.calls == 1
    # polled again before the deadline after the timer fired: it arms a new one
    assert nap.poll(Context(counter.waker, reactor)) is Pending
    assert len(reactor.timers) == 2
    assert reactor.timers[1][0] == deadline
    reactor.timers[1][1].wake()
    assert counter.calls == 2
    # moved to another task: a new timer, which wakes the new task
    assert nap.poll(Context(counter.waker, reactor)) is Pending
    assert len(reactor.timers) == 3
    other = WakeCounter()
    assert nap.poll(Context(other.waker, reactor)) is Pending
    assert len(reactor.timers) == 4
    assert reactor.timers[3][0] == deadline
    reactor.timers[3][1].wake()
    assert (counter.calls, other.calls) == (2, 1)


def test_sleep_is_ready_when_polled_at_its_deadline_after_an_early_timer() -> None:
    class EarlyClock:
        """A reactor whose timers fire at once, before their deadline."""

        def __init__(self) -> None:
            self.armed = 0

        def add_timer(self, deadline: float, waker: Waker) -> None:
            self.armed += 1
            waker.wake()

    reactor = EarlyClock()
    counter = WakeCounter()
    nap = sleep(0.02)
    start = time.monotonic()
    polls = 0
    while nap.poll(Context(counter.waker, reactor)) is Pending:
        polls += 1
        assert counter.calls == polls  # each early firing wakes the task, which polls again
        assert reactor.armed == polls  # and each poll before the deadline re-arms
        time.sleep(0.005)
    assert time.monotonic() - start >= 0.02
    assert polls >= 1


def test_block_on_sleeps_through_a_timer_that_fires_early(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    executor_add_timer = Executor.add_timer

    armed: list[float] = []

    def early(self: Executor, deadline: float, waker: Waker) -> None:
        armed.append(deadline)
        executor_add_timer(self, deadline - 0.015, waker)  # fires 15 ms before the deadline

    monkeypatch.setattr(Executor, "add_timer", early)
    results: list[Any] = []

    def run() -> None:
        start = time.monotonic()
        results.append(block_on(native_value_after(0.03, "slept")))
        results.append(time.monotonic() - start)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(60)  # a sleep that missed its wake-up would wait forever
    assert not thread.is_alive()
    assert results[0] == "slept"
    assert results[1] >= 0.03
    assert len(armed) >= 2 and len(set(armed)) == 1  # re-armed for the same deadline


def test_sleep_is_a_sleep_future_with_readable_repr() -> None:
    fut = sleep(0.25)
    assert type(fut) is Sleep
    assert isinstance(fut, Future)
    assert repr(fut) == "sleep(0.25)"


# --------------------------------------------------------------------------
# join


def test_join_gives_outputs_in_argument_order(impl: Impl) -> None:
    result = block_on(
        join(impl.value_after(0.03, "a"), impl.value_after(0.01, "b"), impl.value_after(0.02, "c"))
    )
    assert result == ("a", "b", "c")


def test_join_runs_futures_concurrently(impl: Impl) -> None:
    log: list[str] = []
    start = time.monotonic()
    result = block_on(
        join(
            impl.value_after(0.05, 1, log, "a"),
            impl.value_after(0.01, 2, log, "b"),
            impl.value_after(0.03, 3, log, "c"),
        )
    )
    assert result == (1, 2, 3)
    assert time.monotonic() - start >= 0.05
    # run one after another they would finish a, b, c
    assert [e for e in log if e.endswith("done")] == ["b done", "c done", "a done"]


def test_join_of_nothing_is_an_empty_tuple() -> None:
    assert block_on(join()) == ()


def test_join_mixes_leaves_native_and_translated_coroutines() -> None:
    gate = Gate()

    async def opener() -> str:
        await yield_now()
        gate.open("gate")
        return "opener"

    assert block_on(
        join(gate, native_await(sleep(0.01)), translated_await(opener()), yield_now())
    ) == (
        "gate",
        None,
        "opener",
        None,
    )


def test_join_rejects_a_non_awaitable_argument_with_type_error() -> None:
    with pytest.raises(TypeError, match=r"^object str can't be used in 'await' expression$"):
        join(sleep(0), "not a future")


def test_join_failure_drops_the_others_and_propagates(impl: Impl) -> None:
    log: list[str] = []
    start = time.monotonic()
    with pytest.raises(ValueError, match="^b failed$"):
        block_on(
            join(
                impl.value_after(60, "a", log, "a"),
                impl.fail_after(0.01, ValueError("b failed"), log),
                impl.value_after(60, "c", log, "c"),
            )
        )
    assert log == ["raise ValueError('b failed')", "a finally", "c finally"]
    assert time.monotonic() - start < 60  # did not wait for the dropped sleepers


def test_join_failure_drops_a_pending_leaf() -> None:
    gate = Gate()
    with pytest.raises(KeyError):
        block_on(join(gate, native_fail_after(0, KeyError("k"))))
    assert gate.polls == 1
    assert gate.closed == 1


# --------------------------------------------------------------------------
# select


def test_select_gives_index_and_value_of_first_to_finish_and_drops_the_loser(impl: Impl) -> None:
    log: list[str] = []
    result = block_on(
        select(
            impl.value_after(60, "slow", log, "slow"), impl.value_after(0.01, "fast", log, "fast")
        )
    )
    assert result == (1, "fast")
    assert log == ["fast done", "fast finally", "slow finally"]


def test_select_prefers_the_lowest_index_when_several_are_ready(impl: Impl) -> None:
    log: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = block_on(
            select(impl.value_after(0, "first", log, "x"), impl.value_after(0, "second", log, "y"))
        )
        gc.collect()
    assert result == (0, "first")
    # "y" was never polled: closing it runs nothing and is not a "never awaited" coroutine
    assert log == ["x done", "x finally"]
    assert [str(w.message) for w in caught] == []


def test_select_with_no_futures_raises_value_error() -> None:
    with pytest.raises(ValueError) as info:
        select()
    assert str(info.value) == "select() needs at least one future"


def test_select_failure_drops_the_others_and_propagates(impl: Impl) -> None:
    log: list[str] = []
    with pytest.raises(ArithmeticError, match="^bad$"):
        block_on(
            select(
                impl.value_after(60, "a", log, "a"),
                impl.fail_after(0.01, ArithmeticError("bad"), log),
            )
        )
    assert log == ["raise ArithmeticError('bad')", "a finally"]


def test_select_drops_a_losing_leaf() -> None:
    gate = Gate()
    assert block_on(select(gate, native_value_after(0.01, "won"))) == (1, "won")
    assert gate.closed == 1


# --------------------------------------------------------------------------
# timeout


def test_timeout_returns_the_value_when_in_time(impl: Impl) -> None:
    assert block_on(timeout(impl.value_after(0.01, "in time"), 60)) == "in time"


def test_timeout_raises_timeout_error_and_drops_the_slow_future(impl: Impl) -> None:
    log: list[str] = []
    start = time.monotonic()
    with pytest.raises(TimeoutError) as info:
        block_on(timeout(impl.value_after(60, "late", log, "slow"), 0.02))
    elapsed = time.monotonic() - start
    assert type(info.value) is TimeoutError
    assert str(info.value) == "future timed out after 0.02 s"
    assert log == ["slow finally"]
    assert 0.02 <= elapsed < 60


def test_timeout_lets_the_inner_futures_exception_through(impl: Impl) -> None:
    with pytest.raises(KeyError, match="inner"):
        block_on(timeout(impl.fail_after(0, KeyError("inner")), 60))


def test_timeout_error_is_catchable_inside_the_task(impl: Impl) -> None:
    async def main() -> str:
        try:
            await impl.await_(timeout(Gate(), 0.01))
        except TimeoutError as error:
            return f"caught: {error}"
        return "not raised"

    assert block_on(main()) == "caught: future timed out after 0.01 s"


# --------------------------------------------------------------------------
# Native coroutines and asyncio under block_on


def test_block_on_runs_a_native_coroutine_awaiting_our_futures() -> None:
    async def native() -> str:
        await sleep(0.01)
        got = await translated_value_after(0, "from translated")
        return f"native got {got}"

    start = time.monotonic()
    assert block_on(native()) == "native got from translated"
    assert time.monotonic() - start >= 0.01


def test_a_coroutine_can_catch_an_exception_from_an_awaited_one(impl: Impl) -> None:
    async def native() -> str:
        try:
            await impl.fail_after(0.01, ValueError("inner failure"))
        except ValueError as e:
            return f"caught {e}"
        return "not raised"

    assert block_on(native()) == "caught inner failure"
    assert block_on(translated_await(native())) == "caught inner failure"


def test_a_translated_coroutine_awaits_a_native_one_and_back() -> None:
    async def native(x: int) -> int:
        await yield_now()
        return x * 2

    assert block_on(translated_await(native(21))) == 42
    assert block_on(native_await(translated_await(native_await(native(4))))) == 8


def test_asyncio_sleep_zero_is_a_bare_yield_and_works_under_block_on(impl: Impl) -> None:
    async def yields_once() -> str:
        await asyncio.sleep(0)
        return "done"

    assert block_on(impl.await_(yields_once())) == "done"
    assert block_on(asyncio.sleep(0, "result")) == asyncio.run(asyncio.sleep(0, "result"))


def test_a_done_asyncio_future_can_be_awaited_under_block_on(impl: Impl) -> None:
    loop = asyncio.new_event_loop()
    try:
        fut = loop.create_future()
        fut.set_result("already")
        assert block_on(impl.await_(fut)) == "already"
    finally:
        loop.close()


@pytest.mark.parametrize("where", ["main", "nested", "spawned"])
def test_block_on_of_asyncio_sleep_raises_a_clear_error_naming_asyncio_run(
    impl: Impl, where: str
) -> None:
    async def nested() -> None:
        await impl.await_(asyncio.sleep(1))

    async def spawned() -> None:
        await spawn(impl.await_(asyncio.sleep(1)))

    subject = {"main": lambda: asyncio.sleep(1), "nested": nested, "spawned": spawned}[where]()
    with pytest.raises(RuntimeError) as info:
        block_on(subject)
    assert str(info.value) == NEEDS_ASYNCIO_LOOP
    cause = info.value.__cause__
    assert type(cause) is RuntimeError
    assert cause.args == ("no running event loop",)
    assert "sleep" in frame_names(info.value)  # asyncio's own frame, where it failed


def test_a_task_catching_asyncios_error_sees_asyncios_own_message() -> None:
    async def main() -> str:
        try:
            await asyncio.sleep(1)
        except RuntimeError as error:
            return str(error)
        return "not raised"

    assert block_on(main()) == "no running event loop"


def test_other_runtime_errors_pass_through_block_on_unchanged() -> None:
    error = RuntimeError("mine")
    with pytest.raises(RuntimeError) as info:
        block_on(native_fail_after(0, error))
    assert info.value is error
    assert info.value.__cause__ is None


def test_awaiting_a_leaf_with_no_driver_running_says_which_drivers_can() -> None:
    coro = native_await(sleep(0))
    with pytest.raises(RuntimeError) as info:
        coro.send(None)
    assert str(info.value) == (
        "sleep(0) is a desugar.runtime future: it needs a driver that can wake its task, "
        "and none is running on this thread; run the program under "
        "desugar.runtime.block_on(...), asyncio.run(...) or trio.run(...)"
    )


# --------------------------------------------------------------------------
# Our futures under asyncio.run


def test_yield_now_under_asyncio_interleaves_tasks_as_asyncio_sleep_zero() -> None:
    async def main(pause: Callable[[], Any]) -> list[str]:
        log: list[str] = []
        await asyncio.gather(
            ticker("a", 3, log, pause), translated_await(ticker("b", 3, log, pause))
        )
        return log

    native = asyncio.run(main(lambda: asyncio.sleep(0)))
    assert native == ["a0", "b0", "a1", "b1", "a2", "b2", "a end", "b end"]
    assert asyncio.run(main(yield_now)) == native


def test_sleep_under_asyncio_takes_at_least_the_duration(impl: Impl) -> None:
    async def main() -> tuple[Any, float]:
        start = time.monotonic()
        value = await impl.value_after(0.05, "slept")
        return value, time.monotonic() - start

    value, elapsed = asyncio.run(main())
    assert value == "slept"
    assert elapsed >= 0.05


def test_join_under_asyncio_mixes_our_futures_with_asyncio_awaitables(impl: Impl) -> None:
    log: list[str] = []

    async def asyncio_side() -> str:
        await asyncio.sleep(0.02)
        log.append("asyncio done")
        return "asyncio"

    async def main() -> Any:
        return await join(
            impl.value_after(0.25, "ours", log, "ours"),  # (well after asyncio_side: a loaded
            asyncio_side(),  # machine must not swap the two)
            asyncio.sleep(0.01, "bare asyncio"),
            yield_now(),
        )

    assert asyncio.run(main()) == ("ours", "asyncio", "bare asyncio", None)
    assert [e for e in log if "done" in e] == ["asyncio done", "ours done"]


def test_select_and_timeout_under_asyncio(impl: Impl) -> None:
    log: list[str] = []

    async def main() -> Any:
        first = await select(impl.value_after(60, "slow", log, "slow"), asyncio.sleep(0.01, "fast"))
        try:
            await timeout(impl.value_after(60, "late", log, "late"), 0.01)
        except TimeoutError as error:
            second = str(error)
        return first, second

    start = time.monotonic()
    assert asyncio.run(main()) == ((1, "fast"), "future timed out after 0.01 s")
    assert log == ["slow finally", "late finally"]
    assert time.monotonic() - start < 60


def test_a_thread_waker_wakes_an_asyncio_task(impl: Impl) -> None:
    leaf = WokenByThread(0.03, "from thread")
    start = time.monotonic()
    assert asyncio.run(impl.await_(leaf)) == "from thread"
    assert time.monotonic() - start >= 0.03
    assert leaf.polls == 2
    assert leaf.waker_thread != threading.get_ident()


def test_cancelling_an_asyncio_task_drops_the_awaited_leaf(impl: Impl) -> None:
    gate = Gate()
    log: list[str] = []

    async def main() -> Any:
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(impl.guarded(gate, log), 0.01)
        return gate.polls, gate.closed, log

    assert asyncio.run(main()) == (1, 1, ["outer finally"])


def test_cancellation_reaches_the_innermost_asyncio_awaitable_as_natively(impl: Impl) -> None:
    async def main(each: Impl) -> list[str]:
        log: list[str] = []

        async def innermost() -> None:
            try:
                await asyncio.sleep(60)
            except asyncio.CancelledError:
                log.append("innermost cancelled")
                raise

        task = asyncio.ensure_future(each.guarded(each.await_(innermost()), log))
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return log

    assert (
        asyncio.run(main(impl))
        == asyncio.run(main(NATIVE))
        == [
            "innermost cancelled",
            "outer finally",
        ]
    )


def test_asyncio_futures_reach_asyncio_through_translated_awaits() -> None:
    async def main() -> Any:
        loop = asyncio.get_running_loop()
        fut = loop.create_future()
        loop.call_later(0.01, fut.set_result, "resolved")
        return await translated_await(translated_await(fut))

    assert asyncio.run(main()) == "resolved"


def test_spawn_under_asyncio_makes_an_asyncio_task() -> None:
    async def main() -> Any:
        coro_task = spawn(native_value_after(0.01, "coroutine"))
        leaf_task = spawn(sleep(0.01))
        assert isinstance(coro_task, asyncio.Task)
        assert isinstance(leaf_task, asyncio.Task)
        return await coro_task, await leaf_task

    assert asyncio.run(main()) == ("coroutine", None)


def test_current_context_under_asyncio_is_set_only_inside_a_combinators_poll() -> None:
    seen: list[Any] = []

    async def inner() -> int:
        seen.append(current_context())
        await sleep(0.01)  # polled with that Context, whose reactor is asyncio's loop
        seen.append(current_context())
        return 1

    async def main() -> Any:
        seen.append(current_context())
        result = await join(inner())
        seen.append(current_context())
        return result

    assert asyncio.run(main()) == (1,)
    assert seen[0] is None and seen[3] is None
    assert isinstance(seen[1], Context) and seen[1] is seen[2]


# --------------------------------------------------------------------------
# Our futures under trio.run


def test_yield_now_under_trio_lets_other_tasks_run_as_trio_sleep_zero() -> None:
    trio = need("trio")

    async def main(pause: Callable[[], Any]) -> tuple[bool, int]:
        flag = {"set": False}
        spins = {"n": 0}

        async def spinner() -> None:
            while not flag["set"] and spins["n"] < 1000:
                spins["n"] += 1
                await pause()

        async def setter() -> None:
            await trio.sleep(0)
            flag["set"] = True

        async with trio.open_nursery() as nursery:
            nursery.start_soon(translated_await, spinner())
            nursery.start_soon(setter)
        return flag["set"], spins["n"]

    native_set, native_spins = trio.run(main, lambda: trio.sleep(0))
    ours_set, ours_spins = trio.run(main, yield_now)
    assert native_set and ours_set
    assert 1 <= ours_spins < 1000 and 1 <= native_spins < 1000


def test_yield_now_under_trio_interleaves_tasks() -> None:
    trio = need("trio")

    async def main() -> list[str]:
        log: list[str] = []
        async with trio.open_nursery() as nursery:
            nursery.start_soon(ticker, "a", 3, log)
            nursery.start_soon(translated_await, ticker("b", 3, log))
        return log

    log = trio.run(main)
    assert sorted(log) == sorted(["a0", "a1", "a2", "a end", "b0", "b1", "b2", "b end"])
    assert [e for e in log if e[0] == "a"] == ["a0", "a1", "a2", "a end"]
    # each task got to run before the other had finished (trio's order varies)
    assert log.index("a0") < log.index("b end") and log.index("b0") < log.index("a end")


def test_sleep_under_trio_takes_at_least_the_duration(impl: Impl) -> None:
    trio = need("trio")

    async def main() -> tuple[Any, float]:
        start = time.monotonic()
        value = await impl.value_after(0.05, "slept")
        return value, time.monotonic() - start

    value, elapsed = trio.run(main)
    assert value == "slept"
    assert elapsed >= 0.05


def test_join_select_and_timeout_of_our_futures_under_trio(impl: Impl) -> None:
    trio = need("trio")
    log: list[str] = []

    async def main() -> Any:
        joined = await join(
            impl.value_after(0.25, "a", log, "a"),  # (well after b: a loaded machine
            impl.value_after(0.01, "b", log, "b"),  # must not swap the two)
            yield_now(),
        )
        selected = await select(
            impl.value_after(60, "slow", log, "slow"), impl.value_after(0.01, "fast")
        )
        try:
            await timeout(impl.value_after(60, "late", log, "late"), 0.01)
        except TimeoutError as error:
            timed_out = str(error)
        return joined, selected, timed_out

    start = time.monotonic()
    assert trio.run(main) == (("a", "b", None), (1, "fast"), "future timed out after 0.01 s")
    assert log == ["b done", "b finally", "a done", "a finally", "slow finally", "late finally"]
    assert time.monotonic() - start < 60


@pytest.mark.xfail(
    strict=True,
    reason="limitation: under trio.run, join/select/timeout cannot poll a trio awaitable "
    "(trio.sleep yields WaitTaskRescheduled, which only trio's task loop can wait on); it "
    "fails with a RuntimeError that says to await it directly and use trio's nurseries to "
    "run it concurrently. The same join works under asyncio for asyncio.sleep",
)
def test_join_of_a_trio_awaitable_under_trio_works_as_asyncios_under_asyncio() -> None:
    trio = need("trio")

    async def main() -> Any:
        return await join(native_value_after(0.01, "ours"), trio.sleep(0.01))

    assert trio.run(main) == ("ours", None)


def test_a_thread_waker_wakes_a_trio_task(impl: Impl) -> None:
    trio = need("trio")
    leaf = WokenByThread(0.03, "from thread")

    async def main() -> Any:
        return await impl.await_(leaf)

    start = time.monotonic()
    assert trio.run(main) == "from thread"
    assert time.monotonic() - start >= 0.03
    assert leaf.polls == 2
    assert leaf.waker_thread != threading.get_ident()


def test_cancelling_a_trio_task_drops_the_awaited_leaf(impl: Impl) -> None:
    trio = need("trio")
    gate = Gate()
    log: list[str] = []

    async def main() -> Any:
        with trio.move_on_after(0.01) as scope:
            await impl.guarded(gate, log)
        return scope.cancelled_caught

    assert trio.run(main) is True
    assert (gate.polls, gate.closed, log) == (1, 1, ["outer finally"])


def test_trio_awaitables_reach_trio_through_translated_awaits(impl: Impl) -> None:
    trio = need("trio")
    log: list[str] = []

    async def main() -> Any:
        await translated_await(translated_await(trio.sleep(0.01)))
        with trio.move_on_after(0.01):
            await impl.guarded(translated_await(trio.sleep(60)), log)
        return "done"

    start = time.monotonic()
    assert trio.run(main) == "done"
    assert log == ["outer finally"]
    assert 0.02 <= time.monotonic() - start < 60


def test_trio_walks_the_await_frames_of_a_translated_task_as_of_a_native_one() -> None:
    trio = need("trio")
    need("trio.testing")
    walks: dict[str, list[str]] = {}

    async def main() -> None:
        for impl in (NATIVE, TRANSLATED):
            async with trio.open_nursery() as nursery:
                inner = impl.await_(trio.sleep_forever())
                nursery.start_soon(impl.await_, inner)
                await trio.testing.wait_all_tasks_blocked()
                (child,) = nursery.child_tasks
                frames = [frame for frame, _ in child.iter_await_frames()]
                assert frames[0] is child.coro.cr_frame
                assert frames[1] is inner.cr_frame
                walks[impl.name] = [frame.f_code.co_name for frame in frames]
                nursery.cancel_scope.cancel()

    trio.run(main)
    assert walks["translated"] == walks["native"]
    assert walks["native"][:3] == ["await_", "await_", "sleep_forever"]


def test_spawn_under_trio_says_it_needs_block_on() -> None:
    trio = need("trio")

    async def main() -> str:
        coro = native_value_after(0, 1)
        try:
            spawn(coro)
        except RuntimeError as error:
            return str(error)
        finally:
            coro.close()
        return "not raised"

    assert trio.run(main) == NOT_IN_BLOCK_ON.format(what="spawn()")


def test_our_futures_in_trio_running_as_asyncios_guest() -> None:
    trio = need("trio")

    async def trio_main() -> Any:
        start = time.monotonic()
        joined = await join(
            native_value_after(0.02, "a"), translated_value_after(0.01, "b"), yield_now()
        )
        await trio.sleep(0)
        return joined, time.monotonic() - start

    async def host() -> Any:
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        trio.lowlevel.start_guest_run(
            trio_main,
            run_sync_soon_threadsafe=loop.call_soon_threadsafe,
            done_callback=done.set_result,
        )
        return (await done).unwrap()

    joined, elapsed = asyncio.run(host())
    assert joined == ("a", "b", None)
    assert elapsed >= 0.02


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_our_futures_under_anyio(backend: str, impl: Impl) -> None:
    anyio = need("anyio")
    if backend == "trio":
        need("trio")
    log: list[str] = []

    async def main() -> Any:
        start = time.monotonic()
        async with anyio.create_task_group() as group:  # yield_now between anyio tasks
            group.start_soon(ticker, "a", 2, log)
            group.start_soon(translated_await, ticker("b", 2, log))
        joined = await join(impl.value_after(0.02, "x"), impl.await_(yield_now()))
        await impl.await_(anyio.sleep(0.01))  # anyio's own awaitable through our awaits
        return joined, time.monotonic() - start

    joined, elapsed = anyio.run(main, backend=backend)
    assert joined == ("x", None)
    assert elapsed >= 0.03
    assert sorted(log) == ["a end", "a0", "a1", "b end", "b0", "b1"]
    assert log.index("a0") < log.index("b end") and log.index("b0") < log.index("a end")


# --------------------------------------------------------------------------
# Stream, aiter, anext, async_with


class Count(Stream):
    """Yields 1..n; before each item it is Pending once, waking itself."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.i = 0
        self.waited = False
        self.pending_polls = 0

    def poll_next(self, cx: Context) -> Any:
        if self.i >= self.n:
            return None
        if not self.waited:
            self.waited = True
            self.pending_polls += 1
            cx.waker().wake_by_ref()
            return Pending
        self.waited = False
        self.i += 1
        return Ready(self.i)


@pytest.mark.parametrize("runner", ["block_on", "asyncio", "trio"])
def test_a_stream_is_iterated_by_async_for(impl: Impl, runner: str) -> None:
    stream = Count(3)
    if runner == "block_on":
        result = block_on(impl.collect(stream))
    elif runner == "asyncio":
        result = asyncio.run(impl.collect(stream))
    else:
        result = need("trio").run(impl.collect, stream)
    assert result == [1, 2, 3]
    assert stream.pending_polls == 3  # each Pending was waited out, not skipped


def test_aiter_and_anext_step_a_stream_by_hand() -> None:
    stream = Count(1)
    assert rt.aiter(stream) is stream
    step = rt.anext(stream)
    assert isinstance(step, Awaitee)
    assert block_on(step) == 1
    with pytest.raises(StopAsyncIteration):
        block_on(rt.anext(stream))


def test_async_for_over_a_native_async_generator_as_natively(impl: Impl) -> None:
    async def agen() -> Any:
        for i in range(3):
            await yield_now()
            yield i * 10

    assert block_on(impl.collect(agen())) == [0, 10, 20]
    assert asyncio.run(impl.collect(agen())) == [0, 10, 20]


class AnextNotAwaitable:
    def __aiter__(self) -> AnextNotAwaitable:
        return self

    def __anext__(self) -> int:
        return 5


class AiterWithoutAnext:
    def __aiter__(self) -> int:
        return 5


class OnlyAenter:
    async def __aenter__(self) -> int:
        return 1


class AenterNotAwaitable:
    def __aenter__(self) -> int:
        return 5

    async def __aexit__(self, *exc_info: Any) -> None:
        pass


class AexitNotAwaitable:
    async def __aenter__(self) -> int:
        return 1

    def __aexit__(self, *exc_info: Any) -> int:
        return 5


@pytest.mark.parametrize(
    "statement, make",
    [
        ("collect", lambda: 42),
        ("collect", AiterWithoutAnext),
        ("collect", AnextNotAwaitable),
        ("enter", lambda: 42),
        ("enter", OnlyAenter),
        ("enter", AenterNotAwaitable),
        ("enter", AexitNotAwaitable),
    ],
)
def test_async_for_and_async_with_refuse_what_cpython_refuses(
    statement: str, make: Callable[[], Any]
) -> None:
    def error(impl: Impl) -> tuple[type, str]:
        function = getattr(impl, statement)
        coro = function(make()) if statement == "collect" else function(make(), [])
        found = _error_of(lambda: coro.send(None))
        return type(found), str(found)

    native = error(NATIVE)
    assert native[0] in (TypeError, AttributeError)  # AttributeError: 3.10's async with
    assert error(TRANSLATED) == native


class Manager:
    """An async context manager that logs its calls and suppresses KeyError if asked."""

    def __init__(self, value: Any, suppress: bool = False) -> None:
        self.value = value
        self.suppress = suppress
        self.log: list[Any] = []

    async def __aenter__(self) -> Any:
        await yield_now()
        self.log.append("enter")
        return self.value

    async def __aexit__(self, typ: Any, exc: Any, tb: Any) -> bool:
        await yield_now()
        self.log.append(("exit", typ, exc.args if exc is not None else None, tb is not None))
        return self.suppress


@pytest.mark.parametrize("value, suppress", [("v", False), ("raise", True), ("raise", False)])
def test_async_with_runs_aenter_and_aexit_as_natively(
    impl: Impl, value: str, suppress: bool
) -> None:
    outcomes = {}
    for each in (NATIVE, impl):
        manager = Manager(value, suppress)
        log: list[Any] = []
        try:
            result: Any = block_on(each.enter(manager, log))
        except KeyError as error:
            result = ("raised", error.args)
        outcomes[each.name] = (result, manager.log, log)
    assert outcomes[impl.name] == outcomes["native"]
    expected_exit = (
        ("exit", None, None, False) if value == "v" else ("exit", KeyError, ("in body",), True)
    )
    assert outcomes["native"][1] == ["enter", expected_exit]


def test_async_with_by_hand_gives_exit_and_the_awaitee_of_aenter() -> None:
    manager = Manager("value")
    exit_, entered = rt.async_with(manager)
    assert isinstance(entered, Awaitee)
    assert block_on(entered) == "value"
    assert block_on(exit_(None, None, None)) is False
    assert manager.log == ["enter", ("exit", None, None, False)]


# --------------------------------------------------------------------------
# Documentation and the public names


EXPECTED_ALL = [
    "Poll",
    "Ready",
    "Pending",
    "Future",
    "Pin",
    "Context",
    "Waker",
    "noop_waker",
    "current_context",
    "Awaitee",
    "GenFuture",
    "async_fn",
    "awaitable",
    "callback_fn",
    "callback_await",
    "callback_result",
    "into_future",
    "is_translated",
    "Executor",
    "block_on",
    "spawn",
    "JoinHandle",
    "yield_now",
    "sleep",
    "Sleep",
    "join",
    "select",
    "timeout",
    "Stream",
    "aiter",
    "anext",
    "async_for",
    "async_with",
    "Task",
    "Description",
    "polled_future",
    "is_leaf_poll",
    "is_runtime_code",
]


def test_every_public_name_has_a_docstring() -> None:
    missing = []
    for name in rt.__all__:
        obj = getattr(rt, name)
        if name == "Poll":
            continue  # a union alias: it cannot carry its own docstring
        if name == "Pending":
            doc = type(obj).__doc__  # an instance: its class carries the docstring
        else:
            # (3.10's C runtime calls a few steps written in Python through C: `__wrapped__`)
            assert inspect.isclass(obj) or inspect.isfunction(inspect.unwrap(obj)) or inspect.isbuiltin(obj), name
            doc = obj.__doc__
        if not (doc and doc.strip()):
            missing.append(name)
    assert missing == []
    assert rt.__doc__ and rt.__doc__.strip()
    for method in (Awaitee.poll, Awaitee.close, Future.poll, Future.close, JoinHandle.is_finished):
        assert method.__doc__ and method.__doc__.strip(), method


def test_all_lists_exactly_the_runtimes_public_names() -> None:
    assert sorted(rt.__all__) == sorted(EXPECTED_ALL)
    assert len(set(rt.__all__)) == len(rt.__all__)
    for name in rt.__all__:
        assert hasattr(rt, name), name


def test_star_import_binds_the_public_names_and_shadows_no_builtin() -> None:
    namespace: dict[str, Any] = {}
    exec("from desugar.runtime import *", namespace)
    namespace.pop("__builtins__")
    assert sorted(namespace) == sorted(EXPECTED_ALL)
    # the generated code takes no builtin from the runtime: it has none of their names
    import builtins

    for name in ("set", "iter", "isinstance", "type"):
        assert name not in namespace
        assert not hasattr(rt, name), name
    # (but `async for`'s own steps, with CPython's checks and errors: not the builtins;
    # and the two builtins generated code names, so that a module binding those names
    # changes nothing: under their own names, and not star-imported)
    same_names = sorted(name for name in vars(rt) if not name.startswith("_") and hasattr(builtins, name))
    assert same_names == ["BaseException", "StopAsyncIteration", "aiter", "anext"]
    assert rt.aiter is not getattr(builtins, "aiter", None) and rt.anext is not getattr(builtins, "anext", None)
    assert rt.BaseException is BaseException and rt.StopAsyncIteration is StopAsyncIteration
    # no builtin object under another name either
    exported = {
        id(getattr(rt, name)) for name in vars(rt)
        if not name.startswith("_") and name not in ("BaseException", "StopAsyncIteration")
    }
    assert not exported & {id(v) for v in vars(builtins).values()}


def test_into_iter_is_iter_with_its_errors() -> None:
    items = [1, 2]
    it = rt.into_iter(items)
    assert type(it) is type(iter(items)) and list(it) == items
    with pytest.raises(TypeError) as caught:
        rt.into_iter(3)
    assert str(caught.value) == "'int' object is not iterable"
    if sys.version_info >= (3, 11):  # (3.10's bare `raise` keeps the pure one's frame)
        frames = [f.name for f in traceback.extract_tb(caught.value.__traceback__)]
        assert frames == ["test_into_iter_is_iter_with_its_errors"]


@pytest.mark.parametrize(
    "kind",
    [ValueError, Exception, KeyError, (KeyError, ValueError), (), ((ValueError,),), int, (ValueError, 3)],
    ids=repr,
)
def test_exception_matches_is_the_test_of_a_native_except_clause(kind: Any) -> None:
    def native() -> str:
        try:
            try:
                raise ValueError("v")
            except kind:
                return "caught"
        except ValueError:
            return "not caught"
        except TypeError as error:
            return f"TypeError: {error}"

    def ours() -> str:
        try:
            return "caught" if rt.exception_matches(ValueError("v"), kind) else "not caught"
        except TypeError as error:
            return f"TypeError: {error}"

    assert ours() == native()


# --------------------------------------------------------------------------
# Shutdown: unjoined failures, dropping pending tasks


async def spawn_and_yield(fut: Any, times: int = 3) -> str:
    spawn(fut)
    for _ in range(times):
        await yield_now()
    return "main done"


def test_unjoined_failed_task_is_reported_on_stderr_when_block_on_exits(
    capsys: pytest.CaptureFixture[str], impl: Impl
) -> None:
    assert block_on(spawn_and_yield(impl.fail_after(0, ValueError("lost failure")))) == "main done"
    captured = capsys.readouterr()
    assert "desugar: a spawned task failed and was never joined" in captured.err
    assert "ValueError: lost failure" in captured.err
    assert "fail_after" in captured.err  # with its traceback
    assert captured.out == ""


def test_joined_failed_task_is_not_reported(capsys: pytest.CaptureFixture[str], impl: Impl) -> None:
    async def main() -> None:
        await spawn(impl.fail_after(0, ValueError("seen")))

    with pytest.raises(ValueError):
        block_on(main())
    assert capsys.readouterr().err == ""


def test_successful_unjoined_task_is_not_reported(
    capsys: pytest.CaptureFixture[str], impl: Impl
) -> None:
    assert block_on(spawn_and_yield(impl.value_after(0, "ignored"))) == "main done"
    assert capsys.readouterr().err == ""


def test_pending_spawned_tasks_are_dropped_when_main_future_completes(impl: Impl) -> None:
    log: list[str] = []
    start = time.monotonic()
    assert (
        block_on(spawn_and_yield(impl.value_after(60, "never", log, "stuck"), times=1))
        == "main done"
    )
    assert log == ["stuck finally"]  # dropped (closed), not run to its end
    assert time.monotonic() - start < 60


def test_dropping_a_pending_task_drops_the_leaf_it_awaits(impl: Impl) -> None:
    gate = Gate()
    assert block_on(spawn_and_yield(impl.await_(gate), times=1)) == "main done"
    assert (gate.polls, gate.closed) == (1, 1)


def test_a_spawned_task_never_polled_is_closed_silently(capsys: pytest.CaptureFixture[str]) -> None:
    log: list[str] = []

    async def main() -> str:
        spawn(native_value_after(0, "never started", log, "spawned"))
        return "main done"  # returns before the spawned task is ever polled

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert block_on(main()) == "main done"
        gc.collect()
    assert log == []
    assert [str(w.message) for w in caught] == []
    assert capsys.readouterr().err == ""


def test_block_on_returns_as_soon_as_main_completes_without_waiting_for_timers(impl: Impl) -> None:
    start = time.monotonic()
    assert block_on(timeout(impl.value_after(0, "quick"), 60)) == "quick"
    assert time.monotonic() - start < 60  # the 60 s timer was left behind


# --- the twins: the C runtime beside the pure-Python one ---------------------

C_RUNS = pytest.mark.skipif(
    _awaitee_impl.IMPLEMENTATION != "c",
    reason="checks what the C runtime does when it runs; this run uses the pure one",
)
C_BUILT = pytest.mark.skipif(twins()[1] is None, reason=NO_C_TWIN)


def _function_parts(fn: Any) -> dict:
    parts = {
        name: getattr(fn, name)
        for name in (
            "__name__", "__qualname__", "__module__", "__doc__", "__defaults__",
            "__kwdefaults__", "__closure__", "__annotations__", "__globals__", "__dict__",
        )
    }
    if sys.version_info >= (3, 12):
        parts["__type_params__"] = fn.__type_params__
    parts["flags"] = fn.__code__.co_flags
    parts["code"] = fn.__code__.replace(co_flags=0)
    return parts


@C_BUILT
def test_c_async_fn_builds_the_function_the_reference_builds() -> None:
    python, c = twins()
    namespace: dict = {"__name__": "prog"}
    exec(
        "def make(k):\n"
        f"    def gen{'[T]' if sys.version_info >= (3, 12) else ''}(a: int, b=1, *, c=k, d) -> str:\n"
        "        'the doc'\n"
        "        yield k\n"
        "    return gen\n",
        namespace,
    )
    first = python.async_fn(namespace["make"](5))  # fills the cache for this code
    second = c.async_fn(namespace["make"](6))  # the C path
    assert inspect.iscoroutinefunction(second) and _awaitee_impl.is_translated(second)
    a, b = _function_parts(first), _function_parts(second)
    assert a["__closure__"][0].cell_contents == 5 and b["__closure__"][0].cell_contents == 6
    assert a["__kwdefaults__"] == {"c": 5} and b["__kwdefaults__"] == {"c": 6}
    for key in ("__closure__", "__kwdefaults__"):
        a.pop(key), b.pop(key)
    if sys.version_info >= (3, 12):  # (each call of make() makes its own T)
        type_params = b.pop("__type_params__")
        assert [t.__name__ for t in a.pop("__type_params__")] == [t.__name__ for t in type_params] == ["T"]
    assert a == b
    assert b["__doc__"] == "the doc" and b["__defaults__"] == (1,) and b["__module__"] == "prog"
    assert list(b["__annotations__"]) == ["a", "return"]
    # a function with attributes, and what is not a function, take the reference path
    with_attrs = namespace["make"](7)
    with_attrs.marker = "m"
    assert c.async_fn(with_attrs).marker == "m"
    already = c.async_fn(namespace["make"](8))
    assert c.async_fn(already) is already


def _awaitables() -> list:
    python, c = twins()
    found = [pytest.param(_awaitee_impl.py_awaitable, id="python")]
    if c is not None:
        from desugar.runtime import _speedups

        found.append(pytest.param(_speedups.awaitable, id="c"))
    return found


@pytest.mark.parametrize("awaitable", _awaitables())
def test_awaitable_gives_a_coroutine_itself_and_anything_else_its_awaitee_stepped_as_await_steps_it(
    awaitable: Any,
) -> None:
    async def native(x):
        return x

    coro = native(1)
    assert awaitable(coro) is coro
    with pytest.raises(StopIteration) as stop:
        coro.send(None)
    assert stop.value.value == 1

    class Waits:
        def __await__(self):
            reply = yield "wait"
            return ("got", reply)

    stepped = awaitable(Waits())
    assert isinstance(stepped, (_awaitee_impl.PyAwaitee, rt.Awaitee))
    assert stepped.send(None) == "wait"  # (the first step is the first poll)
    with pytest.raises(StopIteration) as stop:
        stepped.send("reply")
    assert stop.value.value == ("got", "reply")

    with pytest.raises(TypeError, match=r"^object int can't be used in 'await' expression$"):
        awaitable(1)

    async def sleeper():
        await asyncio.sleep(0)

    suspended = sleeper()
    suspended.send(None)
    with pytest.raises(RuntimeError, match=r"^coroutine is being awaited already$"):
        awaitable(suspended)
    suspended.close()


def _specialized_call(fn: Any) -> str:
    """The instruction a warmed-up call of ``fn`` (one positional argument) became."""
    import dis
    import io

    def caller(times: list) -> None:
        for _ in times:
            fn(1).close()

    caller([None] * 200)
    listing = io.StringIO()
    dis.dis(caller, adaptive=True, file=listing)
    calls = [word for line in listing.getvalue().splitlines() for word in line.split() if word.startswith("CALL")]
    return calls[0]  # (fn(1); then .close())


@C_RUNS
@pytest.mark.skipif(sys.version_info < (3, 11), reason="3.10's interpreter specializes no call")
def test_calls_of_a_translated_async_def_are_specialized_as_a_native_ones() -> None:
    # On 3.13 a function made through the C API has no version, and a call of
    # it never specializes; the C `async_fn` gives it the one a `def` gives.
    namespace: dict = {}
    exec(
        "async def native(x):\n    return x\n"
        "def make():\n    def gen(x):\n        return x\n        yield\n    return gen\n",
        namespace,
    )
    first = rt.async_fn(namespace["make"]())  # (the reference path fills the cache)
    second = rt.async_fn(namespace["make"]())  # (the C path)
    expected = _specialized_call(namespace["native"])
    assert expected.startswith("CALL_PY") and _specialized_call(first) == _specialized_call(second) == expected


@C_RUNS
def test_c_runtime_steps_async_generators_without_their_asend() -> None:
    from desugar.runtime import _stream

    assert _stream.AGEN_STEPS

    async def numbers():
        yield 1

    g = numbers()
    first = rt.anext(g)  # the generator's first step: through its asend (its hooks run)
    assert type(first._it).__name__ == "async_generator_asend"
    assert list(first) == [] and first.value == 1
    later = rt.anext(g)  # hooks done: the awaitee holds the generator until a step waits
    assert type(later._it).__name__ == "async_generator_asend"  # (made when asked for)
    with pytest.raises(StopAsyncIteration):
        list(later)


STATES = ("FRESH", "ITERATING", "OFFERED", "RUNNING", "FINISHED", "DONE")


def _states(awaitee: Any) -> str:
    return STATES[awaitee._state]


def test_the_awaitee_states_are_numbered_alike_in_both_runtimes() -> None:
    assert [getattr(_awaitee_impl, name) for name in STATES] == list(range(6))


def test_both_awaitees_pass_through_the_same_states_in_the_poll_loop(twin: Twin) -> None:
    # `for _ds_poll in aw: yield from aw`, stepped by hand: the C awaitee's first step
    # is the first poll (ITERATING before it), the pure one's `iter()` is
    waits = twin.into_future(native_await(Script(["wait"], result="out")))
    assert _states(waits) == "FRESH"
    loop = iter(waits)
    assert next(loop) is Pending and _states(waits) == "OFFERED"  # the wait is kept
    assert iter(waits) is waits and _states(waits) == "RUNNING"  # the body's `yield from`
    assert waits.send(None) == "wait"  # the kept wait, handed over
    with pytest.raises(StopIteration):
        waits.send("reply")
    assert _states(waits) == "FINISHED" and waits.value == "out"
    assert next(loop, "ended") == "ended"  # (the C awaitee: DONE; the pure one's loop is a tuple's)
    with pytest.raises(RuntimeError, match="cannot reuse already awaited awaitable"):
        iter(waits).send(None)  # iterated anew after it finished: no quiet end
    assert _states(waits) == "DONE"
    at_once = twin.into_future(native_await(Script([], result="now")))
    assert list(at_once) == [] and _states(at_once) == "DONE" and at_once.value == "now"


def test_both_awaitees_pass_through_the_same_states_otherwise(twin: Twin) -> None:
    first = twin.into_future(native_await(Script(["wait"])))  # the `hir` style's first poll
    assert first.poll_with_tls_context() == "wait" and _states(first) == "RUNNING"
    assert first.send(None) == "wait"  # (kept, then handed over)
    first.close()
    assert _states(first) == "DONE"
    ready = twin.into_future(native_await(Script([])))
    assert ready.poll_with_tls_context() is Ready and _states(ready) == "DONE"
    native = twin.into_future(native_await(Script(["wait"])))
    assert native.__await__() is native and _states(native) == "RUNNING"  # a native `await`
    assert native.send(None) == "wait"
    assert native.throw(KeyError("x")) == "after catch" and _states(native) == "RUNNING"
    with pytest.raises(StopIteration):
        native.send(None)
    assert _states(native) == "FINISHED"
    failing = twin.into_future(native_await(Script(["wait"])))
    assert failing.__await__().send(None) == "wait"
    with pytest.raises(ValueError):
        failing.throw(ValueError("thrown"))
    assert _states(failing) == "DONE"


@C_BUILT
def test_frameless_raises_what_the_function_raises_without_the_runtimes_leading_entries() -> None:
    """3.10's C runtime calls its Python protocol steps through `frameless`: the
    traceback of what they raise starts at the user's frame, as natively."""
    from desugar.runtime import _speedups

    def users_method():
        raise KeyError("user")

    def step(obj, *, how):  # stands for a runtime step: a Python frame of the runtime's
        if callable(how):
            return how()
        if how == "own":
            raise TypeError("protocol")
        return (obj, how)

    runtime_step = types.FunctionType(step.__code__, {"__name__": "desugar.runtime._x", "callable": callable})
    wrapped = _speedups.frameless(runtime_step)
    assert wrapped(1, how="ok") == (1, "ok")
    assert inspect.unwrap(wrapped) is runtime_step and wrapped.__name__ == "step"
    for how, names in ((users_method, ["users_method"]), ("own", [])):
        with pytest.raises((KeyError, TypeError)) as caught:
            wrapped(1, how=how)
        below = [entry.name for entry in traceback.extract_tb(caught.value.__traceback__)][1:]
        assert below == names  # (the first entry is this test's frame)
    with pytest.raises(TypeError) as caught:
        _speedups.frameless(step)(1, how="own")  # not the runtime's: its entry stays
    assert [entry.name for entry in traceback.extract_tb(caught.value.__traceback__)][1:] == ["step"]


@C_BUILT
def test_the_c_runtime_imports_its_helpers_and_takes_no_setup() -> None:
    from desugar.runtime import _speedups

    assert _speedups.C_API == _awaitee_impl.C_API
    assert [name for name in dir(_speedups) if name.startswith(("set", "_set"))] == []
    python, c = twins()
    # what is not a coroutine or an async generator goes to the pure helpers it imported

    class Later:
        def __await__(self):
            return (yield "later")

    for into_future_ in (python.into_future, c.into_future):
        aw = into_future_(Later())
        assert next(iter(aw)) is Pending and iter(aw).send(None) == "later"
    assert c.type_lookup(Later, "__await__", None) is python.type_lookup(Later, "__await__", None)

    class Numbers:
        def __init__(self) -> None:
            self.left = [1, 2]

        def __aiter__(self) -> Any:
            return self

        async def __anext__(self) -> int:
            if not self.left:
                raise StopAsyncIteration
            return self.left.pop(0)

    for twin in (python, c):
        assert block_on(twin.anext(Numbers())) == 1
        assert type(twin.async_for(Numbers())).__name__ == "AsyncFor"
        assert list(twin.into_iter("ab")) == ["a", "b"]
    step = c.anext(Numbers())  # (through py_anext)
    assert step._it.__qualname__.endswith("Numbers.__anext__")
    step.close()


def test_a_c_runtime_built_from_other_sources_is_refused_whole(tmp_path: Path) -> None:
    """A stale ``_speedups`` (its ``C_API`` is not the Python side's) is not half used:
    the pure runtime runs, and stderr says how to rebuild."""
    import shutil
    import subprocess

    package = Path(desugar.__file__).resolve().parent
    copy = tmp_path / "desugar"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__", "_speedups*"))
    fake = copy / "runtime" / "_speedups.py"  # a module of that name with an older C_API
    fake.write_text("C_API = 1\nclass Awaitee: pass\n")
    script = "from desugar.runtime import _awaitee as a; print(a.IMPLEMENTATION)"
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    env.pop("DESUGAR_PURE_PYTHON", None)
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, cwd=tmp_path)
    assert result.stdout == "python\n", result.stderr
    assert "was built from other sources than this desugar" in result.stderr
    assert "pip install -e ." in result.stderr


# --- the collector and the awaitees of a suspended chain ----------------------

_GATED_CHAIN = '''
class Gate:
    def __await__(self):
        yield self  # waits until the chain is dropped


async def inner(gate, box, log):
    try:
        await gate
    finally:
        log.append("inner closed")


async def outer(gate, box, log):
    try:
        await inner(gate, box, log)
    finally:
        log.append("outer closed")
'''


def test_a_cycle_through_the_awaitees_of_a_suspended_chain_is_collected() -> None:
    import weakref

    namespace: dict = {"__name__": "gated"}
    exec(compile(desugar.translate(_GATED_CHAIN, "gated.py"), "gated.py", "exec"), namespace)
    log: list[str] = []
    box: list = []
    gate = namespace["Gate"]()
    coro = namespace["outer"](gate, box, log)
    assert coro.send(None) is gate  # suspended two levels deep, through two awaitees
    box.append(coro)  # the innermost frame refers to the outermost coroutine: a cycle
    ref = weakref.ref(coro)
    del coro, box
    gc.collect()
    assert ref() is None  # the collector saw the edges from each awaitee to what it awaits
    assert log == ["inner closed", "outer closed"]


@C_RUNS
def test_the_c_awaitee_is_tracked_by_the_collector_only_once_it_waits() -> None:
    import weakref

    async def at_once() -> int:
        return 1

    awaitee = _awaitee_impl.into_future(at_once())
    assert not gc.is_tracked(awaitee)  # made, not polled: it refers to no cycle
    assert [step for step in awaitee] == []  # the first poll completes
    assert not gc.is_tracked(awaitee)
    assert awaitee.value == 1

    namespace: dict = {"__name__": "gated"}
    exec(compile(desugar.translate(_GATED_CHAIN, "gated.py"), "gated.py", "exec"), namespace)
    gate = namespace["Gate"]()
    coro = namespace["outer"](gate, [], [])
    assert coro.send(None) is gate
    waiting = coro.cr_await
    assert type(waiting) is _awaitee_impl.Awaitee and gc.is_tracked(waiting)
    owners = [ref for ref in gc.get_referents(waiting) if isinstance(ref, weakref.ref)]
    # the weak reference to the awaiting coroutine has no callback: nothing for the collector
    assert [ref() for ref in owners] == [coro] and not gc.is_tracked(owners[0])
    coro.close()

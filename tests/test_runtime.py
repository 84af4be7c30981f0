"""The futures runtime: Poll, wakers, GenFuture, the executor and its combinators.

Generator futures here are written by hand in the compiler's output format:
``cx = yield`` first, then for each await a poll loop

    while True:
        p = fut.poll(cx)
        if p is not Pending:
            break
        cx = yield Pending

using ``p.value``, and finally ``return`` the output.
"""

from __future__ import annotations

import asyncio
import copy
import inspect
import pickle
import threading
import time
from typing import Any

import pytest

import desugar.runtime as rt
from desugar.runtime import (
    Context,
    Executor,
    Future,
    GenFuture,
    JoinHandle,
    Pending,
    Pin,
    Ready,
    Sleep,
    Waker,
    async_fn,
    block_on,
    from_generator,
    into_future,
    join,
    noop_waker,
    select,
    sleep,
    spawn,
    timeout,
    yield_now,
)
from desugar.runtime._poll import _PendingType

NOT_IN_BLOCK_ON = (
    "{what} must run inside desugar.runtime.block_on(...): "
    "no executor is running on this thread"
)


def hand_cx() -> Context:
    return Context(noop_waker())


# --------------------------------------------------------------------------
# Hand-written generator futures used by many tests


@async_fn
def value_after(seconds: float, value: Any, log: list[str] | None = None, name: str = "") -> Any:
    """Sleep ``seconds``, then return ``value``; logs ``name finally`` when dropped or done."""
    cx = yield
    try:
        fut = sleep(seconds)
        while True:
            p = fut.poll(cx)
            if p is not Pending:
                break
            cx = yield Pending
        if log is not None:
            log.append(f"{name} done")
        return value
    finally:
        if log is not None:
            log.append(f"{name} finally")


@async_fn
def fail_after(seconds: float, error: BaseException, log: list[str] | None = None) -> Any:
    cx = yield
    fut = sleep(seconds)
    while True:
        p = fut.poll(cx)
        if p is not Pending:
            break
        cx = yield Pending
    if log is not None:
        log.append(f"raise {error!r}")
    raise error


@async_fn
def await_one(fut: Any) -> Any:
    """``return await fut``."""
    cx = yield
    fut = into_future(fut)
    while True:
        p = fut.poll(cx)
        if p is not Pending:
            break
        cx = yield Pending
    return p.value


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


class GrabWaker(Future):
    """Ready at once, recording the waker it was polled with."""

    def __init__(self, into: list[Waker]) -> None:
        self.into = into

    def poll(self, cx: Context) -> Any:
        self.into.append(cx.waker())
        return Ready(None)


@async_fn
def grab_two_wakers(into: list[Waker]) -> None:
    cx = yield
    for _ in range(2):
        fut = GrabWaker(into)
        while True:
            p = fut.poll(cx)
            if p is not Pending:
                break
            cx = yield Pending
        # poll again on a fresh wake so the second waker comes from another poll
        y = yield_now()
        while True:
            p = y.poll(cx)
            if p is not Pending:
                break
            cx = yield Pending


def test_will_wake_is_true_within_a_task_and_false_across_tasks() -> None:
    a_wakers: list[Waker] = []
    b_wakers: list[Waker] = []

    @async_fn
    def main() -> None:
        cx = yield
        ha, hb = spawn(grab_two_wakers(a_wakers)), spawn(grab_two_wakers(b_wakers))
        for h in (ha, hb):
            while True:
                p = h.poll(cx)
                if p is not Pending:
                    break
                cx = yield Pending

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


# --------------------------------------------------------------------------
# Waking from another thread


class WokenByThread(Future):
    """Pending until a ``threading.Timer`` wakes the saved waker ~50 ms later."""

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


def test_waking_from_another_thread_completes_block_on_with_the_value() -> None:
    fut = WokenByThread(0.05, "from thread")
    start = time.monotonic()
    assert block_on(fut) == "from thread"
    elapsed = time.monotonic() - start
    assert fut.timer is not None
    fut.timer.join()
    assert elapsed >= 0.045
    assert elapsed < 2.0
    assert fut.polls == 2  # once to start, once after the wake: no busy polling
    assert fut.waker_thread is not None
    assert fut.waker_thread != threading.get_ident()


def test_thread_waker_wakes_a_generator_future_awaiting_the_leaf() -> None:
    leaf = WokenByThread(0.03, 7)
    assert block_on(await_one(leaf)) == 7
    assert leaf.polls == 2


# --------------------------------------------------------------------------
# GenFuture / from_generator, polled by hand


def two_waits(log: list[Any]) -> Any:
    cx = yield
    log.append(("start", cx))
    cx = yield Pending
    log.append(("resumed", cx))
    cx = yield Pending
    log.append(("resumed", cx))
    return "output"


def test_from_generator_primes_to_first_yield_and_runs_nothing_else() -> None:
    log: list[Any] = []
    fut = from_generator(two_waits(log))
    assert type(fut) is GenFuture
    assert isinstance(fut, Future)
    assert log == []


def test_gen_future_polled_by_hand_yields_pending_then_ready_output() -> None:
    log: list[Any] = []
    fut = from_generator(two_waits(log))
    cx1, cx2, cx3 = hand_cx(), hand_cx(), hand_cx()
    assert fut.poll(cx1) is Pending
    assert fut.poll(cx2) is Pending
    assert fut.poll(cx3) == Ready("output")
    # each poll's Context is the value of the generator's yield
    assert log == [("start", cx1), ("resumed", cx2), ("resumed", cx3)]


def test_gen_future_class_is_the_same_as_from_generator() -> None:
    fut = GenFuture(two_waits([]))
    cx = hand_cx()
    assert [fut.poll(cx), fut.poll(cx), fut.poll(cx)] == [Pending, Pending, Ready("output")]


def test_polling_gen_future_after_completion_raises_resumed_after_completion() -> None:
    fut = from_generator(two_waits([]))
    cx = hand_cx()
    while fut.poll(cx) is Pending:
        pass
    with pytest.raises(RuntimeError, match="resumed after completion") as info:
        fut.poll(cx)
    assert str(info.value) == (
        "`async fn` resumed after completion: two_waits was polled again "
        "after it returned Ready; await each future once"
    )
    with pytest.raises(RuntimeError, match="resumed after completion"):
        fut.poll(cx)


def raises_on_second_poll() -> Any:
    cx = yield
    cx = yield Pending
    raise ValueError("boom")


def test_polling_gen_future_after_it_raised_raises_resumed_after_panicking() -> None:
    fut = from_generator(raises_on_second_poll())
    cx = hand_cx()
    assert fut.poll(cx) is Pending
    with pytest.raises(ValueError, match="^boom$"):
        fut.poll(cx)
    with pytest.raises(RuntimeError, match="resumed after panicking") as info:
        fut.poll(cx)
    assert str(info.value) == (
        "`async fn` resumed after panicking: raises_on_second_poll was polled "
        "again after it raised"
    )


def test_gen_future_repr_names_the_generator() -> None:
    assert repr(from_generator(two_waits([]))) == "<GenFuture two_waits>"


def test_gen_future_close_runs_the_generators_finally() -> None:
    log: list[str] = []

    def guarded() -> Any:
        cx = yield
        try:
            log.append("waiting")
            cx = yield Pending
            log.append("never")
        finally:
            log.append("finally")

    fut = from_generator(guarded())
    assert fut.poll(hand_cx()) is Pending
    fut.close()
    assert log == ["waiting", "finally"]


# --------------------------------------------------------------------------
# async_fn


def _documented_gen(a: int, b: int = 2, *, c: str = "c") -> Any:
    """The docstring of the async fn."""
    cx = yield
    return (a, b, c)


def test_async_fn_wrapper_keeps_name_qualname_doc_module_and_wrapped() -> None:
    wrapper = async_fn(_documented_gen)
    assert wrapper.__name__ == "_documented_gen"
    assert wrapper.__qualname__ == "_documented_gen"
    assert wrapper.__doc__ == "The docstring of the async fn."
    assert wrapper.__module__ == __name__
    assert wrapper.__wrapped__ is _documented_gen
    assert inspect.signature(wrapper) == inspect.signature(_documented_gen)


def test_async_fn_call_returns_a_gen_future_with_the_arguments_bound() -> None:
    wrapper = async_fn(_documented_gen)
    fut = wrapper(1, c="z")
    assert type(fut) is GenFuture
    assert repr(fut) == "<GenFuture _documented_gen>"
    assert fut.poll(hand_cx()) == Ready((1, 2, "z"))


def test_async_fn_nested_function_keeps_local_qualname() -> None:
    @async_fn
    def inner() -> Any:
        cx = yield
        return None

    assert inner.__qualname__ == (
        "test_async_fn_nested_function_keeps_local_qualname.<locals>.inner"
    )


# --------------------------------------------------------------------------
# block_on


def test_block_on_returns_the_futures_value() -> None:
    assert block_on(value_after(0, {"k": 1})) == {"k": 1}
    assert block_on(sleep(0)) is None


def test_block_on_propagates_the_same_exception_object() -> None:
    error = KeyError("missing")
    with pytest.raises(KeyError) as info:
        block_on(fail_after(0, error))
    assert info.value is error
    assert info.value.args == ("missing",)


def test_block_on_can_run_again_after_a_failure() -> None:
    with pytest.raises(ZeroDivisionError, match="^nope$"):
        block_on(fail_after(0, ZeroDivisionError("nope")))
    assert block_on(value_after(0, "again")) == "again"


def test_nested_block_on_inside_a_task_raises_runtime_error_saying_what_to_do() -> None:
    @async_fn
    def nested() -> Any:
        cx = yield
        return block_on(sleep(0))

    with pytest.raises(RuntimeError) as info:
        block_on(nested())
    assert str(info.value) == (
        "block_on() cannot be called from inside a task: "
        "await the future instead, or spawn() it"
    )
    # the outer executor was cleaned up: block_on works afterwards
    assert block_on(value_after(0, 5)) == 5


def test_block_on_of_a_non_awaitable_raises_type_error_and_leaves_no_executor() -> None:
    with pytest.raises(TypeError, match=r"^object int can't be used in 'await' expression$"):
        block_on(42)
    with pytest.raises(RuntimeError, match=r"block_on"):
        spawn(value_after(0, 1))


@async_fn
def level_three() -> Any:
    cx = yield
    raise LookupError("deep")


@async_fn
def level_two() -> Any:
    cx = yield
    fut = level_three()
    while True:
        p = fut.poll(cx)
        if p is not Pending:
            break
        cx = yield Pending
    return p.value


@async_fn
def level_one() -> Any:
    cx = yield
    y = yield_now()  # the failure happens on a later poll, from the executor
    while True:
        p = y.poll(cx)
        if p is not Pending:
            break
        cx = yield Pending
    fut = level_two()
    while True:
        p = fut.poll(cx)
        if p is not Pending:
            break
        cx = yield Pending
    return p.value


def test_traceback_of_deep_exception_shows_every_generator_frame_in_order() -> None:
    with pytest.raises(LookupError, match="^deep$") as info:
        block_on(level_one())
    names = []
    tb = info.value.__traceback__
    while tb is not None:
        names.append(tb.tb_frame.f_code.co_name)
        tb = tb.tb_next
    ours = [n for n in names if n.startswith("level_")]
    assert ours == ["level_one", "level_two", "level_three"]
    assert names[-1] == "level_three"
    assert names.index("block_on") < names.index("level_one")


# --------------------------------------------------------------------------
# spawn / JoinHandle


def test_spawn_returns_join_handle_whose_await_gives_the_result() -> None:
    seen: list[Any] = []

    @async_fn
    def main() -> Any:
        cx = yield
        handle = spawn(value_after(0.01, "spawned result"))
        seen.append(type(handle))
        seen.append(handle.is_finished())
        while True:
            p = handle.poll(cx)
            if p is not Pending:
                break
            cx = yield Pending
        seen.append(handle.is_finished())
        return p.value

    assert block_on(main()) == "spawned result"
    assert seen == [JoinHandle, False, True]


def test_spawned_tasks_exception_is_reraised_by_its_join_handle() -> None:
    error = ValueError("task failed")

    @async_fn
    def main() -> Any:
        cx = yield
        handle = spawn(fail_after(0.01, error))
        try:
            while True:
                p = handle.poll(cx)
                if p is not Pending:
                    break
                cx = yield Pending
        except ValueError as caught:
            return ("caught", caught is error, str(caught), handle.is_finished())
        return "not raised"

    assert block_on(main()) == ("caught", True, "task failed", True)


def test_join_handle_failure_propagates_out_of_block_on_when_not_caught() -> None:
    with pytest.raises(OSError, match="^disk$"):
        block_on(await_one_spawned(fail_after(0, OSError("disk"))))


@async_fn
def await_one_spawned(fut: Any) -> Any:
    cx = yield
    handle = spawn(fut)
    while True:
        p = handle.poll(cx)
        if p is not Pending:
            break
        cx = yield Pending
    return p.value


def test_spawn_accepts_a_native_coroutine() -> None:
    async def native() -> str:
        return "native spawned"

    assert block_on(await_one_spawned(native())) == "native spawned"


def test_spawn_outside_block_on_raises_runtime_error_naming_block_on() -> None:
    with pytest.raises(RuntimeError, match=r"block_on") as info:
        spawn(value_after(0, 1))
    assert str(info.value) == NOT_IN_BLOCK_ON.format(what="spawn()")


def test_spawn_in_another_thread_during_block_on_still_needs_its_own_block_on() -> None:
    errors: list[BaseException] = []

    def other_thread() -> None:
        try:
            spawn(value_after(0, 1))
        except RuntimeError as e:
            errors.append(e)

    @async_fn
    def main() -> Any:
        cx = yield
        t = threading.Thread(target=other_thread)
        t.start()
        t.join()
        return "ok"

    assert block_on(main()) == "ok"
    assert [str(e) for e in errors] == [NOT_IN_BLOCK_ON.format(what="spawn()")]


# --------------------------------------------------------------------------
# yield_now


def test_yield_now_is_pending_once_waking_itself_then_ready() -> None:
    calls: list[int] = []
    cx = Context(Waker(lambda: calls.append(1)))
    fut = yield_now()
    assert fut.poll(cx) is Pending
    assert calls == [1]
    assert fut.poll(cx) == Ready(None)
    assert calls == [1]


@async_fn
def ticker(name: str, n: int, log: list[str]) -> str:
    cx = yield
    for i in range(n):
        log.append(f"{name}{i}")
        fut = yield_now()
        while True:
            p = fut.poll(cx)
            if p is not Pending:
                break
            cx = yield Pending
    log.append(f"{name} end")
    return name


def test_yield_now_interleaves_two_tasks_in_a_deterministic_order() -> None:
    log: list[str] = []

    @async_fn
    def main() -> Any:
        cx = yield
        ha = spawn(ticker("a", 3, log))
        hb = spawn(ticker("b", 3, log))
        log.append("spawned")
        results = []
        for h in (ha, hb):
            while True:
                p = h.poll(cx)
                if p is not Pending:
                    break
                cx = yield Pending
            results.append(p.value)
        log.append("joined")
        return results

    assert block_on(main()) == ["a", "b"]
    assert log == [
        "spawned", "a0", "b0", "a1", "b1", "a2", "b2", "a end", "b end", "joined",
    ]


def test_task_spinning_on_yield_now_does_not_starve_timers() -> None:
    # Regression: the executor used to drain the ready queue before firing
    # timers, so a task that kept yielding never let a sleeper wake up.
    done: list[str] = []

    @async_fn
    def sleeper() -> None:
        cx = yield
        fut = sleep(0.01)
        while True:
            p = fut.poll(cx)
            if p is not Pending:
                break
            cx = yield Pending
        done.append("slept")

    @async_fn
    def main() -> int:
        cx = yield
        spawn(sleeper())
        spins = 0
        give_up = time.monotonic() + 1.0
        while not done and time.monotonic() < give_up:
            spins += 1
            fut = yield_now()
            while True:
                p = fut.poll(cx)
                if p is not Pending:
                    break
                cx = yield Pending
        return spins

    start = time.monotonic()
    spins = block_on(main())
    assert done == ["slept"]
    assert spins >= 1
    assert time.monotonic() - start < 0.5


# --------------------------------------------------------------------------
# sleep


def test_spawned_sleepers_finish_in_order_of_duration() -> None:
    finished: list[float] = []

    @async_fn
    def sleeper(seconds: float) -> float:
        cx = yield
        fut = sleep(seconds)
        while True:
            p = fut.poll(cx)
            if p is not Pending:
                break
            cx = yield Pending
        finished.append(seconds)
        return seconds

    @async_fn
    def main() -> list[float]:
        cx = yield
        handles = [spawn(sleeper(s)) for s in (0.03, 0.01, 0.02)]
        out = []
        for h in handles:
            while True:
                p = h.poll(cx)
                if p is not Pending:
                    break
                cx = yield Pending
            out.append(p.value)
        return out

    assert block_on(main()) == [0.03, 0.01, 0.02]
    assert finished == [0.01, 0.02, 0.03]


def test_block_on_sleep_takes_at_least_the_duration() -> None:
    start = time.monotonic()
    assert block_on(sleep(0.05)) is None
    elapsed = time.monotonic() - start
    assert 0.05 <= elapsed < 1.0


def test_sleep_polled_outside_block_on_raises_runtime_error_naming_block_on() -> None:
    fut = sleep(0.01)  # creating it is fine; polling it needs an executor
    with pytest.raises(RuntimeError, match=r"block_on") as info:
        fut.poll(hand_cx())
    assert str(info.value) == NOT_IN_BLOCK_ON.format(what="sleep()")


def test_sleep_zero_is_ready_on_first_poll_even_by_hand() -> None:
    assert sleep(0).poll(hand_cx()) == Ready(None)


def test_sleep_is_a_sleep_future_with_readable_repr() -> None:
    fut = sleep(0.25)
    assert type(fut) is Sleep
    assert isinstance(fut, Future)
    assert repr(fut) == "sleep(0.25)"


# --------------------------------------------------------------------------
# join


def test_join_gives_outputs_in_argument_order() -> None:
    result = block_on(join(value_after(0.03, "a"), value_after(0.01, "b"), value_after(0.02, "c")))
    assert result == ("a", "b", "c")


def test_join_runs_futures_concurrently() -> None:
    start = time.monotonic()
    result = block_on(join(value_after(0.05, 1), value_after(0.05, 2), value_after(0.05, 3)))
    elapsed = time.monotonic() - start
    assert result == (1, 2, 3)
    assert 0.05 <= elapsed < 0.12  # ~max (0.05), not the sum (0.15)


def test_join_of_nothing_is_an_empty_tuple() -> None:
    assert block_on(join()) == ()


def test_join_rejects_a_non_awaitable_argument_with_type_error() -> None:
    with pytest.raises(TypeError, match=r"^object str can't be used in 'await' expression$"):
        join(sleep(0), "not a future")


def test_join_failure_drops_the_others_and_propagates() -> None:
    log: list[str] = []
    start = time.monotonic()
    with pytest.raises(ValueError, match="^b failed$"):
        block_on(
            join(
                value_after(5, "a", log, "a"),
                fail_after(0.01, ValueError("b failed"), log),
                value_after(5, "c", log, "c"),
            )
        )
    assert log == ["raise ValueError('b failed')", "a finally", "c finally"]
    assert time.monotonic() - start < 1.0


# --------------------------------------------------------------------------
# select


def test_select_gives_index_and_value_of_first_to_finish_and_drops_the_loser() -> None:
    log: list[str] = []
    result = block_on(select(value_after(5, "slow", log, "slow"), value_after(0.01, "fast", log, "fast")))
    assert result == (1, "fast")
    assert log == ["fast done", "fast finally", "slow finally"]


def test_select_prefers_the_lowest_index_when_several_are_ready() -> None:
    log: list[str] = []
    result = block_on(select(value_after(0, "first", log, "x"), value_after(0, "second", log, "y")))
    assert result == (0, "first")
    # "y" was never polled, so its generator is still before its try: closing it
    # is silent; "x" finished normally.
    assert log == ["x done", "x finally"]


def test_select_with_no_futures_raises_value_error() -> None:
    with pytest.raises(ValueError) as info:
        select()
    assert str(info.value) == "select() needs at least one future"


def test_select_failure_drops_the_others_and_propagates() -> None:
    log: list[str] = []
    with pytest.raises(ArithmeticError, match="^bad$"):
        block_on(select(value_after(5, "a", log, "a"), fail_after(0.01, ArithmeticError("bad"), log)))
    assert log == ["raise ArithmeticError('bad')", "a finally"]


# --------------------------------------------------------------------------
# timeout


def test_timeout_returns_the_value_when_in_time() -> None:
    assert block_on(timeout(value_after(0.01, "in time"), 1.0)) == "in time"


def test_timeout_raises_timeout_error_and_drops_the_slow_future() -> None:
    log: list[str] = []
    start = time.monotonic()
    with pytest.raises(TimeoutError) as info:
        block_on(timeout(value_after(5, "late", log, "slow"), 0.02))
    elapsed = time.monotonic() - start
    assert type(info.value) is TimeoutError
    assert str(info.value) == "future timed out after 0.02 s"
    assert log == ["slow finally"]
    assert 0.02 <= elapsed < 1.0


def test_timeout_lets_the_inner_futures_exception_through() -> None:
    with pytest.raises(KeyError, match="inner"):
        block_on(timeout(fail_after(0, KeyError("inner")), 1.0))


# --------------------------------------------------------------------------
# into_future and native coroutines


def test_into_future_passes_our_futures_through_unchanged() -> None:
    gen_fut = value_after(0, 1)
    sleeper = sleep(0)
    y = yield_now()
    j = join()
    thread_fut = WokenByThread(1, None)
    for fut in (gen_fut, sleeper, y, j, thread_fut):
        assert into_future(fut) is fut
    gen_fut.close()


def test_into_future_of_join_handle_is_identity() -> None:
    seen: list[bool] = []

    @async_fn
    def main() -> None:
        cx = yield
        h = spawn(value_after(0, 1))
        seen.append(into_future(h) is h)

    block_on(main())
    assert seen == [True]


def test_into_future_adapts_a_native_coroutine_awaiting_our_futures() -> None:
    async def native() -> str:
        await sleep(0.01)
        got = await value_after(0, "from gen future")
        return f"native got {got}"

    coro = native()
    fut = into_future(coro)
    assert isinstance(fut, Future)
    assert fut is not coro
    assert block_on(fut) == "native got from gen future"


def test_block_on_runs_a_native_coroutine_directly() -> None:
    async def native() -> int:
        await sleep(0.01)
        return 42

    start = time.monotonic()
    assert block_on(native()) == 42
    assert time.monotonic() - start >= 0.01


def test_native_coroutine_can_catch_an_exception_from_our_future() -> None:
    async def native() -> str:
        try:
            await fail_after(0.01, ValueError("inner failure"))
        except ValueError as e:
            return f"caught {e}"
        return "not raised"

    assert block_on(native()) == "caught inner failure"


def test_generator_future_can_await_a_native_coroutine() -> None:
    async def native(x: int) -> int:
        await yield_now()
        return x * 2

    assert block_on(await_one(native(21))) == 42


def test_native_coroutine_awaiting_asyncio_raises_runtime_error_pointing_to_asyncio_run() -> None:
    loop = asyncio.new_event_loop()
    try:
        pending_future = loop.create_future()

        async def uses_asyncio() -> None:
            await pending_future

        with pytest.raises(RuntimeError, match=r"asyncio\.run") as info:
            block_on(uses_asyncio())
    finally:
        loop.close()
    message = str(info.value)
    assert "is an asyncio awaitable: it waits on <Future pending>" in message
    assert message.endswith(
        "run the program under asyncio.run(...) instead of desugar.runtime.block_on(...)"
    )


def test_asyncio_sleep_zero_is_a_bare_yield_and_works_under_block_on() -> None:
    async def yields_once() -> str:
        await asyncio.sleep(0)
        return "done"

    assert block_on(yields_once()) == "done"


def test_into_future_of_non_awaitable_raises_type_error_like_python() -> None:
    with pytest.raises(TypeError) as info:
        into_future(42)
    assert str(info.value) == "object int can't be used in 'await' expression"

    async def native_await_int() -> None:
        await 42  # type: ignore[misc]

    coro = native_await_int()
    with pytest.raises(TypeError) as native_info:
        coro.send(None)
    assert str(native_info.value) == str(info.value)


def test_into_future_of_none_names_nonetype() -> None:
    with pytest.raises(TypeError, match=r"^object NoneType can't be used in 'await' expression$"):
        into_future(None)


# --------------------------------------------------------------------------
# Documentation


def test_every_public_name_has_a_docstring() -> None:
    missing = []
    for name in rt.__all__:
        obj = getattr(rt, name)
        if name == "Poll":
            # a typing.Union alias: it cannot carry its own docstring
            continue
        if name == "Pending":
            doc = type(obj).__doc__  # an instance: its class carries the docstring
        else:
            assert inspect.isclass(obj) or inspect.isfunction(obj), name
            doc = obj.__doc__
        if not (doc and doc.strip()):
            missing.append(name)
    assert missing == []
    assert rt.__doc__ and rt.__doc__.strip()


def test_all_lists_exactly_the_runtimes_public_names() -> None:
    assert sorted(rt.__all__) == sorted(
        [
            "Poll", "Ready", "Pending", "Future", "Pin", "Context", "Waker", "noop_waker",
            "GenFuture", "from_generator", "async_fn", "into_future",
            "Executor", "block_on", "spawn", "JoinHandle", "yield_now", "sleep", "Sleep",
            "join", "select", "timeout", "Stream", "GenStream", "async_gen",
        ]
    )
    assert len(set(rt.__all__)) == len(rt.__all__)
    for name in rt.__all__:
        assert hasattr(rt, name), name
    assert inspect.isclass(Executor)


# --------------------------------------------------------------------------
# Shutdown: unjoined failures, dropping pending tasks


@async_fn
def spawn_and_yield(fut: Any, times: int = 3) -> str:
    cx = yield
    spawn(fut)
    for _ in range(times):
        y = yield_now()
        while True:
            p = y.poll(cx)
            if p is not Pending:
                break
            cx = yield Pending
    return "main done"


def test_unjoined_failed_task_is_reported_on_stderr_when_block_on_exits(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert block_on(spawn_and_yield(fail_after(0, ValueError("lost failure")))) == "main done"
    captured = capsys.readouterr()
    assert "desugar: a spawned task failed and was never joined" in captured.err
    assert "ValueError: lost failure" in captured.err
    assert captured.out == ""


def test_joined_failed_task_is_not_reported(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ValueError):
        block_on(await_one_spawned(fail_after(0, ValueError("seen"))))
    assert capsys.readouterr().err == ""


def test_successful_unjoined_task_is_not_reported(capsys: pytest.CaptureFixture[str]) -> None:
    assert block_on(spawn_and_yield(value_after(0, "ignored"))) == "main done"
    assert capsys.readouterr().err == ""


def test_pending_spawned_tasks_are_dropped_when_main_future_completes() -> None:
    log: list[str] = []
    start = time.monotonic()
    assert block_on(spawn_and_yield(value_after(10, "never", log, "stuck"), times=1)) == "main done"
    assert log == ["stuck finally"]
    assert time.monotonic() - start < 1.0


def test_block_on_returns_as_soon_as_main_completes_without_waiting_for_timers() -> None:
    start = time.monotonic()
    assert block_on(timeout(value_after(0, "quick"), 10)) == "quick"
    assert time.monotonic() - start < 1.0

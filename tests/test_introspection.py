"""The runtime's objects describe themselves: what dumps and diagrams ask them.

`Executor.current()` and ``tasks()``, `Executor.is_task_poll` and
``polled_task``, `Future.describe` (a `Description`), `Awaitee.awaited`,
`polled_future`, `is_leaf_poll` and `is_runtime_code`; the awaitee's on both
the C and the pure-Python implementation.
"""

from __future__ import annotations

import sys
from typing import Any

import pytest

import desugar.backtrace
import desugar.runtime as rt
from desugar.runtime import (
    Description,
    Executor,
    Future,
    Pending,
    Ready,
    Task,
    block_on,
    is_leaf_poll,
    is_runtime_code,
    join,
    polled_future,
    select,
    sleep,
    spawn,
    timeout,
    yield_now,
)
from support import Twin


class Never(Future):
    """A future of the program's own: pending for ever."""

    def poll(self, cx: Any) -> Any:
        return Pending


def test_no_executor_is_current_outside_block_on() -> None:
    assert Executor.current() is None


def test_the_current_executor_lists_its_unfinished_tasks_in_spawn_order() -> None:
    seen = {}

    async def child(n: int) -> int:
        await yield_now()
        return n

    async def main() -> None:
        executor = Executor.current()
        first, second = spawn(child(1)), spawn(child(2))
        seen["during"] = [type(task.future).__name__ for task in executor.tasks()]
        seen["tasks"] = executor.tasks()
        seen["all_tasks"] = all(type(task) is Task for task in executor.tasks())
        await join(first, second)
        seen["after"] = len(executor.tasks())
        seen["done"] = [task.done for task in seen["tasks"]]

    block_on(main())
    assert seen["during"] == ["Awaitee", "Awaitee", "Awaitee"]  # main, then its two children
    assert seen["all_tasks"] is True
    assert seen["after"] == 1  # main itself
    assert seen["done"] == [False, True, True]
    assert Executor.current() is None


def test_the_executor_names_the_frame_that_polls_a_task_and_the_task() -> None:
    seen = {}

    async def main() -> None:
        frame = sys._getframe()
        while frame is not None and not Executor.is_task_poll(frame.f_code):
            frame = frame.f_back
        assert frame is not None
        seen["task"] = Executor.polled_task(frame)
        seen["tasks"] = Executor.current().tasks()
        seen["other"] = Executor.polled_task(sys._getframe())

    block_on(main())
    assert seen["task"] is seen["tasks"][0]
    assert seen["other"] is None
    assert not Executor.is_task_poll(test_no_executor_is_current_outside_block_on.__code__)


def test_sleep_describes_its_seconds_and_its_deadline_once_polled() -> None:
    future = sleep(0.25)
    said = future.describe()
    assert type(said) is Description
    assert (said.name, said.seconds, said.deadline, said.futures, said.task) == (
        "sleep", 0.25, None, (), None,
    )
    seen = {}

    async def main() -> None:
        await future
        seen["deadline"] = future.describe().deadline

    block_on(main())
    assert isinstance(seen["deadline"], float)
    assert repr(sleep(1).describe()) == "Description('sleep', seconds=1)"


def test_join_describes_its_futures_a_finished_one_as_none() -> None:
    quick, slow = yield_now(), Never()
    joined = join(quick, slow)
    assert joined.describe().name == "join"
    assert [type(f).__name__ for f in joined.describe().futures] == ["_YieldNow", "Never"]

    async def main() -> Any:
        return await select(joined, sleep(0.01))

    assert block_on(main())[0] == 1  # (the sleep won; the join was dropped)
    assert joined.describe().futures == (None, slow)


def test_select_and_timeout_describe_what_they_race() -> None:
    a, b = Never(), Never()
    said = select(a, b).describe()
    assert (said.name, said.futures) == ("select", (a, b))
    said = timeout(a, 1.5).describe()
    assert (said.name, said.futures, said.seconds) == ("timeout", (a,), 1.5)
    assert repr(said) == f"Description('timeout', futures=({a!r},), seconds=1.5)"


def test_yield_now_a_join_handle_and_a_programs_future_describe_themselves() -> None:
    assert yield_now().describe().name == "yield_now"
    assert Never().describe().name == "Never"  # (a future of the program's: its class)
    seen = {}

    async def child() -> None:
        await yield_now()

    async def main() -> None:
        handle = spawn(child())
        said = handle.describe()
        seen["said"] = (said.name, said.task is Executor.current().tasks()[1])
        await handle

    block_on(main())
    assert seen["said"] == ("JoinHandle", True)


def test_an_awaitee_says_what_it_awaits_and_none_once_done(twin: Twin) -> None:
    async def answer() -> int:
        return 42

    coro = answer()
    it = twin.Awaitee(coro)
    assert it.awaited() is coro
    assert it.poll(rt.Context(rt.noop_waker())) == Ready(42)
    assert it.awaited() is None


def test_into_future_gives_an_awaitee_that_says_what_it_awaits(twin: Twin) -> None:
    async def answer() -> int:
        return 42

    coro = answer()
    it = twin.into_future(coro)
    assert it.awaited() is coro
    it.close()
    assert coro.cr_frame is None  # (closed with it)


def test_the_frame_awaiting_a_future_names_the_future_it_polls() -> None:
    future = Never()
    seen = {}

    async def waits() -> None:
        await future

    async def main() -> None:
        coro = waits()
        task = spawn(coro)
        await yield_now()
        loop = coro.cr_await  # (the generator that polls the future)
        seen["future"] = polled_future(loop.gi_frame)
        seen["own"] = polled_future(sys._getframe())
        seen["code"] = is_leaf_poll(loop.gi_frame.f_code)
        del task

    block_on(main())
    assert seen["future"] is future
    assert seen["own"] is None
    assert seen["code"] is False  # (the loop polls a leaf; it is none)


def test_a_leaf_futures_poll_frame_names_the_future_itself() -> None:
    future = sleep(0)
    seen = []

    def profile(frame: Any, event: str, arg: Any) -> None:
        if event == "call" and is_leaf_poll(frame.f_code):
            seen.append(polled_future(frame))

    async def main() -> None:
        sys.setprofile(profile)
        try:
            await future
        finally:
            sys.setprofile(None)

    block_on(main())
    assert seen and all(polled is future for polled in seen)


def test_only_the_leaf_futures_polls_are_leaf_polls() -> None:
    leaves = [rt.Sleep, rt.JoinHandle, type(yield_now()), type(join()), type(select(Never()))]
    leaves.append(type(timeout(Never(), 1)))
    assert all(is_leaf_poll(kind.poll.__code__) for kind in leaves)
    assert not is_leaf_poll(Never.poll.__code__)
    assert not is_leaf_poll(rt.Executor.run.__code__)


def test_runtime_code_is_the_runtimes_own_and_no_one_elses() -> None:
    assert is_runtime_code(rt.Sleep.poll.__code__)
    assert is_runtime_code(block_on.__code__)
    assert is_runtime_code(Executor.run.__code__)
    assert not is_runtime_code(Never.poll.__code__)
    assert not is_runtime_code(desugar.backtrace.format_tasks.__code__)  # (desugar's, not the runtime's)

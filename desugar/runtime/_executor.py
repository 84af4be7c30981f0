"""A small executor: `block_on`, `spawn` and `JoinHandle`, with a timer reactor.

How a task runs (the poll chain)::

    block_on(foo())
      Executor.run ── polls the task's outermost future
        Awaitee.poll(cx) of foo()      sets the task's Context and resumes foo,
          foo ── yield from awaitee    suspended in its poll loop: its awaitee
            bar ── yield from awaitee  resumes what it awaits ...
              Sleep.poll(cx)           ... down to a leaf, which returns Pending
                                       after handing cx.waker() to the reactor.

The leaf's `Pending` is yielded upwards through each ``yield from``, so the
stack unwinds back to the executor. When the timer fires, the waker queues the task and the
executor polls the outermost future again: the whole chain is rebuilt on the
stack, so an exception raised in the leaf shows every async caller.
"""

from __future__ import annotations

import itertools
import sys
import threading
import time
from collections import deque
TYPE_CHECKING = False
if TYPE_CHECKING:  # typing is not imported at run time (import cost)
    from typing import Any

from desugar.runtime._future import Description, Future, leaf
from desugar.runtime._awaitee import as_future
from desugar.runtime._poll import Pending, Poll, Ready
from desugar.runtime._waker import Context, Waker
from desugar.runtime._waker import task as slot

_local = threading.local()


def current_executor(what: str) -> Executor:
    """The executor running on this thread, or a RuntimeError naming ``what``."""
    executor = getattr(_local, "executor", None)
    if executor is None:
        raise RuntimeError(
            f"{what} must run inside desugar.runtime.block_on(...): "
            "no executor is running on this thread"
        )
    return executor


class Task:
    """One spawned future and what its `JoinHandle` needs to know.

    ``future`` is what it polls (None once done), ``done`` whether it has
    completed or failed.
    """

    __slots__ = (
        "future", "executor", "cx", "scheduled", "done", "result", "error",
        "join_wakers", "retrieved",
    )

    def __init__(self, future: Future, executor: Executor) -> None:
        self.future = future
        self.executor = executor
        self.cx = Context(Waker(self.wake), executor)
        self.scheduled = False
        self.done = False
        self.result: Any = None
        self.error: BaseException | None = None
        self.join_wakers: list[Waker] = []
        self.retrieved = False

    def wake(self) -> None:
        self.executor._schedule(self)

    def finish(self, result: Any, error: BaseException | None) -> None:
        self.done = True
        self.result = result
        self.error = error
        self.future = None  # type: ignore[assignment]
        wakers, self.join_wakers = self.join_wakers, []
        for waker in wakers:
            waker.wake()


_Task = Task  # (the older name)


class Executor:
    """A single-threaded executor with a ready queue and a timer heap.

    Tasks are polled on the thread that called :func:`block_on`; wakers may be
    called from any thread.
    """

    def __init__(self) -> None:
        self._ready: deque[Task] = deque()
        self._lock = threading.Lock()
        self._wakeup = threading.Condition(self._lock)
        self._timers: list[tuple[float, int, Waker]] = []
        self._seq = itertools.count()
        self._tasks: list[Task] = []

    @staticmethod
    def current() -> Executor | None:
        """The executor running on this thread (inside `block_on`), or None."""
        return getattr(_local, "executor", None)

    def tasks(self) -> list[Task]:
        """Its unfinished tasks, in the order they were spawned."""
        return [task for task in self._tasks if not task.done]

    @staticmethod
    def is_task_poll(code: Any) -> bool:
        """True for the code of the frame in which an executor polls a task (a resumption)."""
        return code is _POLL_CODE

    @staticmethod
    def polled_task(frame: Any) -> Task | None:
        """The task a frame of `is_task_poll` code is polling (None for other frames)."""
        return frame.f_locals.get("task") if frame.f_code is _POLL_CODE else None

    def _schedule(self, task: Task) -> None:
        with self._lock:
            if task.scheduled or task.done:
                return
            task.scheduled = True
            self._ready.append(task)
            self._wakeup.notify()

    def spawn(self, future: Any) -> Task:
        """Queue ``future`` as a new task; returns the task record."""
        task = Task(as_future(future), self)
        self._tasks.append(task)
        self._schedule(task)
        return task

    def add_timer(self, deadline: float, waker: Waker) -> None:
        """Wake ``waker`` once ``time.monotonic()`` reaches ``deadline``."""
        from heapq import heappush  # (imported when first needed: it costs a C module's load)

        heappush(self._timers, (deadline, next(self._seq), waker))

    def _fire_timers(self) -> None:
        timers = self._timers
        if not timers:
            return
        from heapq import heappop

        now = time.monotonic()
        while timers and timers[0][0] <= now:
            heappop(timers)[2].wake()

    def _poll(self, task: Task) -> None:
        slot.cx = cx = task.cx  # the task's Context, for the leaf futures its chain polls
        try:
            poll = task.future.poll(cx)
        except RuntimeError as error:
            task.finish(None, _explained(error))
        except BaseException as error:  # the task failed: keep it for its JoinHandle
            task.finish(None, error)
        else:
            if poll is not Pending:
                task.finish(poll.value, None)

    def run(self, future: Any) -> Any:
        """Poll ``future`` and every spawned task until ``future`` completes; return its output."""
        main = self.spawn(future)
        ready = self._ready
        while True:
            # One pass over the tasks ready now, then the timers: a task that
            # keeps waking itself (yield_now) must not starve the timers.
            for _ in range(len(ready)):
                with self._lock:
                    task = ready.popleft()
                    task.scheduled = False
                if not task.done:
                    self._poll(task)
                    if main.done:
                        return self._outcome(main)
            self._fire_timers()
            with self._lock:
                if not ready:
                    timeout = self._timers[0][0] - time.monotonic() if self._timers else None
                    if timeout is None or timeout > 0:
                        self._wakeup.wait(timeout)

    @staticmethod
    def _outcome(main: Task) -> Any:
        main.retrieved = True
        if main.error is not None:
            error = main.error
            main.error = None
            raise error
        return main.result

    def shutdown(self) -> None:
        """Drop every unfinished task (closing its future) and report lost errors."""
        for task in self._tasks:
            if not task.done:
                close = getattr(task.future, "close", None)
                if close is not None:
                    close()
                task.done = True
            elif task.error is not None and not task.retrieved:
                import traceback

                print("desugar: a spawned task failed and was never joined:", file=sys.stderr)
                traceback.print_exception(task.error, file=sys.stderr)
        self._tasks.clear()


_POLL_CODE = Executor._poll.__code__


def _explained(error: RuntimeError) -> RuntimeError:
    """asyncio's bare "no running event loop", raised under `block_on`, with what to do."""
    if error.args != ("no running event loop",):
        return error
    clear = RuntimeError(
        "an asyncio awaitable needs a running asyncio event loop (asyncio said: no running "
        "event loop); run the program under asyncio.run(...) instead of "
        "desugar.runtime.block_on(...)"
    )
    clear.__cause__ = error
    return clear.with_traceback(error.__traceback__)


def block_on(future: Any) -> Any:
    """Run ``future`` to completion on this thread and return its output.

    Spawned tasks run while it does; when ``future`` completes, tasks still
    pending are dropped. An exception raised by ``future`` propagates, its
    traceback showing the whole await chain.
    """
    if getattr(_local, "executor", None) is not None:
        raise RuntimeError(
            "block_on() cannot be called from inside a task: "
            "await the future instead, or spawn() it"
        )
    executor = Executor()
    _local.executor = executor
    try:
        return executor.run(future)
    finally:
        _local.executor = None
        slot.cx = None
        executor.shutdown()


@leaf
class JoinHandle(Future):
    """The handle of a spawned task; awaiting it gives the task's result or raises its exception."""

    __slots__ = ("_task",)

    def __init__(self, task: Task) -> None:
        self._task = task

    def poll(self, cx: Context) -> Poll:
        task = self._task
        if task.done:
            task.retrieved = True
            if task.error is not None:
                raise task.error
            return Ready(task.result)
        waker = cx.waker()
        if not any(w.will_wake(waker) for w in task.join_wakers):
            task.join_wakers.append(waker.clone())
        return Pending

    def is_finished(self) -> bool:
        """True once the task has completed or failed."""
        return self._task.done

    def describe(self) -> Description:
        """``JoinHandle``, awaiting its task."""
        return Description("JoinHandle", task=self._task)


def spawn(future: Any) -> Future:
    """Run ``future`` as a new task; await the handle for its result.

    Inside `block_on` the task runs on our executor (a `JoinHandle`); under
    ``asyncio.run`` it becomes an asyncio task (awaiting it gives the result).
    """
    executor = getattr(_local, "executor", None)
    if executor is None:
        import asyncio

        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            current_executor("spawn()")  # raises the message that says what to do
            raise
        if isinstance(future, Future):
            future = _awaited(future)
        return loop.create_task(future)
    return JoinHandle(executor.spawn(future))


async def _awaited(future: Any) -> Any:
    """A coroutine that awaits ``future`` (asyncio tasks run coroutines)."""
    return await future


_READY_NONE = Ready(None)


@leaf
class _YieldNow(Future):
    __slots__ = ("_yielded",)

    def __init__(self) -> None:
        self._yielded = False

    def poll(self, cx: Context) -> Poll:
        if self._yielded:
            return _READY_NONE
        self._yielded = True
        cx.waker().wake_by_ref()
        return Pending

    def describe(self) -> Description:
        """``yield_now``."""
        return Description("yield_now")


def yield_now() -> Future:
    """A future that is `Pending` once (waking itself), letting other tasks run."""
    return _YieldNow()


def _drop(future: Any) -> None:
    close = getattr(future, "close", None)
    if close is not None:
        close()


@leaf
class _Join(Future):
    __slots__ = ("_futures", "_results", "_left")

    def __init__(self, futures: tuple[Any, ...]) -> None:
        self._futures: list[Any] = [as_future(f) for f in futures]
        self._results: list[Any] = [None] * len(futures)
        self._left = len(futures)

    def poll(self, cx: Context) -> Poll:
        futures = self._futures
        for i, future in enumerate(futures):
            if future is None:
                continue
            try:
                poll = future.poll(cx)
            except BaseException:
                futures[i] = None
                for other in futures:
                    if other is not None:
                        _drop(other)
                raise
            if poll is not Pending:
                self._results[i] = poll.value
                futures[i] = None
                self._left -= 1
        if self._left:
            return Pending
        return Ready(tuple(self._results))

    def describe(self) -> Description:
        """``join``, and its futures (each one finished: None)."""
        return Description("join", futures=tuple(self._futures))

    def close(self) -> None:
        for future in self._futures:
            if future is not None:
                _drop(future)


def join(*futures: Any) -> Future:
    """Poll all ``futures`` concurrently; ready with a tuple of their outputs, in order.

    If one raises, the others are dropped and the exception propagates.
    """
    return _Join(futures)


@leaf
class _Select(Future):
    __slots__ = ("_futures",)

    def __init__(self, futures: tuple[Any, ...]) -> None:
        if not futures:
            raise ValueError("select() needs at least one future")
        self._futures = [as_future(f) for f in futures]

    def poll(self, cx: Context) -> Poll:
        futures = self._futures
        for i, future in enumerate(futures):
            try:
                poll = future.poll(cx)
            except BaseException:
                self._drop_all_but(i)
                raise
            if poll is not Pending:
                self._drop_all_but(i)
                return Ready((i, poll.value))
        return Pending

    def describe(self) -> Description:
        """``select``, and its futures."""
        return Description("select", futures=tuple(self._futures))

    def _drop_all_but(self, index: int) -> None:
        for j, other in enumerate(self._futures):
            if j != index:
                _drop(other)

    def close(self) -> None:
        self._drop_all_but(-1)


def select(*futures: Any) -> Future:
    """Poll ``futures`` in order; ready with ``(index, output)`` of the first to complete.

    The others are dropped (closed).
    """
    return _Select(futures)

"""How our futures are driven as coroutines: by `block_on`'s adapter or by asyncio.

A `Future` is also a ``collections.abc.Coroutine`` (``send``, ``throw``,
``close``, ``__await__``), so ``asyncio.run``, ``create_task`` and ``gather``
take translated futures, and native coroutines can ``await`` them. Who calls
``send`` decides what it means:

* our adapter (`into_future` of a native coroutine, under `block_on`) sets the
  current `Context` in a thread-local while it drives the coroutine; ``send``
  polls with it and yields `Pending` back to the adapter;
* otherwise an asyncio task is driving: ``send`` polls with a `Context` whose
  waker completes an asyncio future, and yields that future to the task, which
  sleeps until the waker is called (from any thread).
"""

from __future__ import annotations

import threading
TYPE_CHECKING = False
if TYPE_CHECKING:  # typing is not imported at run time (import cost)
    from typing import Any

from desugar.runtime._poll import Pending, Poll
from desugar.runtime._waker import Context, Waker

_driving = threading.local()  # .cx: the Context of the adapter driving a coroutine


def adapter_context() -> Context | None:
    """The Context of the `block_on` adapter driving the current coroutine, if any."""
    return getattr(_driving, "cx", None)


class DrivenBy:
    """Context manager: ``cx`` is the Context for futures awaited by a coroutine we drive."""

    __slots__ = ("cx", "previous")

    def __init__(self, cx: Context) -> None:
        self.cx = cx
        self.previous: Context | None = None

    def __enter__(self) -> None:
        self.previous = getattr(_driving, "cx", None)
        _driving.cx = self.cx

    def __exit__(self, *exc: Any) -> None:
        _driving.cx = self.previous


class AsyncioDriver:
    """The state of one of our futures driven directly by an asyncio task.

    When the whole await chain waits on a single asyncio future (the usual
    case for an unchanged asyncio program), that future itself is yielded to
    the task, so the task wakes exactly when it would natively, and
    ``Task.cancel()`` cancels that future as it would natively. Once anything
    else holds the task's waker (our timers, `join`, several asyncio futures at
    once), the task waits on a future of ours that any waker completes.
    """

    __slots__ = ("loop", "cx", "waiting", "woken", "thread", "leaf", "shared")

    def __init__(self) -> None:
        import asyncio

        try:
            self.loop = asyncio.get_running_loop()
        except RuntimeError:
            raise RuntimeError(
                "a desugar future was driven as a coroutine outside any event loop: "
                "run it with desugar.runtime.block_on(...) or asyncio.run(...)"
            ) from None
        self.thread = threading.get_ident()
        self.cx = Context(_DriverWaker(self), self)
        self.waiting: Any = None  # our asyncio future the task sleeps on
        self.leaf: Any = None  # the one asyncio future the chain waits on, this round
        self.woken = False
        self.shared = False  # the waker was cloned: something else may wake the task

    def add_timer(self, deadline: float, waker: Waker) -> None:
        """Wake ``waker`` at ``deadline`` (``time.monotonic()``, which is asyncio's clock)."""
        self.loop.call_at(deadline, waker.wake)

    def wait_on(self, cx: Context, future: Any) -> bool:
        """Let the task wait on ``future`` itself, if it is the chain's only one."""
        if cx is self.cx and self.leaf is None and not self.shared:
            self.leaf = future
            return True
        return False

    def wake(self) -> None:
        if threading.get_ident() == self.thread:
            self._wake()
        else:
            self.loop.call_soon_threadsafe(self._wake)

    def _wake(self) -> None:
        waiting = self.waiting
        if waiting is None:
            self.woken = True
        elif not waiting.done():
            waiting.set_result(None)

    def suspend(self) -> Any:
        """What to yield to the task after a `Pending`: a future, or None to run again soon."""
        if self.woken:
            self.woken = False
            return None
        leaf = self.leaf
        if leaf is not None and not self.shared:
            leaf._asyncio_future_blocking = True
            return leaf
        waiting = self.loop.create_future()
        waiting._asyncio_future_blocking = True
        self.waiting = waiting
        if leaf is not None:
            leaf.add_done_callback(lambda _done: self.wake())
        return waiting

    def resume(self) -> Context:
        self.waiting = None
        self.leaf = None
        self.woken = False
        return self.cx


class _DriverWaker(Waker):
    """The waker of an asyncio-driven chain: cloning it means another source may wake the task."""

    __slots__ = ("_driver",)

    def __init__(self, driver: AsyncioDriver) -> None:
        super().__init__(driver.wake)
        self._driver = driver

    def clone(self) -> Waker:
        self._driver.shared = True
        return Waker(self._wake)


def exception_from(typ: Any, val: Any = None, tb: Any = None) -> BaseException:
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


def step(future: Any, error: BaseException | None) -> Any:
    """One ``send``/``throw`` of a future driven as a coroutine (see the module docstring)."""
    from desugar.runtime._gen_future import throw_into

    cx = adapter_context()
    driver = None
    if cx is None:
        driver = getattr(future, "_driver", None)
        if driver is None:
            driver = future._driver = AsyncioDriver()
        cx = driver.resume()
    if error is not None:
        throw_into(future, error)
    poll: Poll = future.poll(cx)
    if poll is Pending:
        return Pending if driver is None else driver.suspend()
    raise StopIteration(poll.value)

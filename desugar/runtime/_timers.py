"""`sleep`, a leaf future backed by the executor's timer heap, and `timeout`, which races one."""

from __future__ import annotations

import time

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing is not imported at run time (import cost)
    from typing import Any

from desugar.runtime._awaitee import as_future
from desugar.runtime._executor import _drop, current_executor
from desugar.runtime._future import Description, Future, leaf
from desugar.runtime._poll import Pending, Poll, Ready
from desugar.runtime._waker import Context, Waker


@leaf
class Sleep(Future):
    """Ready once ``seconds`` have passed since it was first polled."""

    __slots__ = ("_seconds", "_deadline", "_waker")

    def __init__(self, seconds: float) -> None:
        self._seconds = seconds
        self._deadline: float | None = None
        self._waker: Waker | None = None

    def poll(self, cx: Context) -> Poll:
        now = time.monotonic()
        if self._deadline is None:
            self._deadline = now + self._seconds
        if now >= self._deadline:
            return Ready(None)
        waker = cx.waker()
        if self._waker is None or not self._waker.will_wake(waker):
            # A new waker, or the timer fired (clocks may fire a little early):
            # arm a timer that wakes the task at the deadline.
            self._waker = waker.clone()
            reactor = cx.reactor
            if reactor is None:
                reactor = current_executor("sleep()")
            reactor.add_timer(self._deadline, Waker(self._fired))
        return Pending

    def describe(self) -> Description:
        """``sleep``, its seconds, and its deadline (None before its first poll)."""
        return Description("sleep", seconds=self._seconds, deadline=self._deadline)

    def _fired(self) -> None:
        waker, self._waker = self._waker, None
        if waker is not None:
            waker.wake()

    def __repr__(self) -> str:
        return f"sleep({self._seconds!r})"


def sleep(seconds: float) -> Sleep:
    """A future that is ready after ``seconds`` (timed from its first poll)."""
    return Sleep(seconds)


@leaf
class _Timeout(Future):
    __slots__ = ("_future", "_sleep", "_seconds")

    def __init__(self, future: Any, seconds: float) -> None:
        self._future = as_future(future)
        self._sleep = sleep(seconds)
        self._seconds = seconds

    def poll(self, cx: Context) -> Poll:
        poll = self._future.poll(cx)
        if poll is not Pending:
            return poll
        if self._sleep.poll(cx) is not Pending:
            _drop(self._future)
            raise TimeoutError(f"future timed out after {self._seconds} s")
        return Pending

    def describe(self) -> Description:
        """``timeout``, its seconds, and the future it races (with its sleep, not shown)."""
        return Description("timeout", futures=(self._future,), seconds=self._seconds)

    def close(self) -> None:
        _drop(self._future)


def timeout(future: Any, seconds: float) -> Future:
    """Ready with ``future``'s output, or raise ``TimeoutError`` after ``seconds`` (dropping it)."""
    return _Timeout(future, seconds)

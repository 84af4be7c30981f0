"""Polling a `Future` under a foreign driver: asyncio, trio (also as asyncio's guest).

A translated coroutine is a real coroutine: whatever drives it (an asyncio
task, trio, a hand-written ``send`` loop) sees exactly what the innermost
awaited object yields, as through native ``await``. Only the runtime's own
leaf futures (`Future` subclasses: ``sleep``, ``yield_now``, ``join``, ...)
need a `Context`, whose waker must wake the driver's task. `drive` polls such
a future with a `Context` made for the running driver and, while it is
`Pending`, waits the way that driver waits:

* asyncio: on an ``asyncio.Future`` that the waker completes (from any thread);
  if the future woke itself while polled (``yield_now``), a bare ``yield``,
  which is asyncio's ``sleep(0)``;
* trio: in ``trio.lowlevel.wait_task_rescheduled``, the waker calling
  ``reschedule`` (through the run's token from other threads); a
  self-wake is a ``cancel_shielded_checkpoint``.

A thrown exception (a cancellation) or a close drops the future.
"""

from __future__ import annotations

import sys
import threading

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing is not imported at run time (import cost)
    from typing import Any, Generator

from desugar.runtime._poll import Pending
from desugar.runtime._waker import Context, Waker


class AsyncioReactor:
    """Timers of leaf futures polled under an asyncio loop run on that loop."""

    __slots__ = ("loop",)

    def __init__(self, loop: Any) -> None:
        self.loop = loop

    def add_timer(self, deadline: float, waker: Waker) -> None:
        """Wake ``waker`` at ``deadline`` (``time.monotonic()``, which is asyncio's clock)."""
        self.loop.call_at(deadline, waker.wake)


class TrioReactor:
    """Timers of leaf futures polled inside ``trio.run``: a system task per timer."""

    __slots__ = ()

    def add_timer(self, deadline: float, waker: Waker) -> None:
        import time

        import trio

        async def fire() -> None:
            await trio.sleep(max(0.0, deadline - time.monotonic()))
            waker.wake()

        trio.lowlevel.spawn_system_task(fire)


class _Wakeup:
    """The state a waker of a foreign driver's task shares with `drive`."""

    __slots__ = ("woken", "waiting", "thread", "wake_here", "wake_there")

    def __init__(self) -> None:
        self.woken = False  # woken while not waiting: poll again at once
        self.waiting: Any = None  # what the task waits on, set while it waits
        self.thread = threading.get_ident()

    def wake(self) -> None:
        if threading.get_ident() == self.thread:
            self.wake_here()
        else:
            self.wake_there()


def _trio_task() -> Any:
    """trio's current task, if a trio task is running on this thread."""
    trio = sys.modules.get("trio")
    if trio is None:
        return None
    try:
        return trio.lowlevel.current_task()
    except RuntimeError:
        return None


def _asyncio_loop() -> Any:
    asyncio = sys.modules.get("asyncio")
    if asyncio is None:
        return None
    return asyncio._get_running_loop()


def _no_driver(future: Any) -> RuntimeError:
    return RuntimeError(
        f"{future!r} is a desugar.runtime future: it needs a driver that can wake its task, "
        "and none is running on this thread; run the program under "
        "desugar.runtime.block_on(...), asyncio.run(...) or trio.run(...)"
    )


def drive(future: Any) -> Generator[Any, Any, Any]:
    """Poll ``future`` to completion under the foreign driver running now."""
    state = _Wakeup()
    trio_task = _trio_task()
    if trio_task is not None:
        import trio

        token = trio.lowlevel.current_trio_token()

        def wake_trio() -> None:
            if state.waiting is not None:
                state.waiting = None
                trio.lowlevel.reschedule(trio_task)
            else:
                state.woken = True

        state.wake_here = wake_trio
        state.wake_there = lambda: token.run_sync_soon(wake_trio)
        cx = Context(Waker(state.wake), TrioReactor())
    else:
        loop = _asyncio_loop()
        if loop is None:
            raise _no_driver(future)

        def wake_asyncio() -> None:
            waiting = state.waiting
            if waiting is None:
                state.woken = True
            elif not waiting.done():
                waiting.set_result(None)

        state.wake_here = wake_asyncio
        state.wake_there = lambda: loop.call_soon_threadsafe(wake_asyncio)
        cx = Context(Waker(state.wake), AsyncioReactor(loop))
    while True:
        poll = future.poll(cx)
        if poll is not Pending:
            return poll.value
        try:
            if state.woken:
                state.woken = False
                if trio_task is not None:
                    yield from trio.lowlevel.cancel_shielded_checkpoint().__await__()
                else:
                    yield  # asyncio's sleep(0): run again soon
            elif trio_task is not None:
                state.waiting = True

                def abort(_raise_cancel: Any) -> Any:
                    state.waiting = None
                    return trio.lowlevel.Abort.SUCCEEDED

                yield from trio.lowlevel.wait_task_rescheduled(abort).__await__()
            else:
                state.waiting = waiting = loop.create_future()
                try:
                    yield from waiting
                finally:
                    state.waiting = None
        except BaseException:
            future.close()
            raise

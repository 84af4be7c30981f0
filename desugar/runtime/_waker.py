"""`Waker` and `Context`: how a pending future asks to be polled again.

The task's `Context` lives in a per-thread slot (`task`), set by whoever polls
with a new one (the executor, `join`, a bridge to a foreign driver), as the
2019 lowering in the article passed it through thread-local storage
(``poll_with_tls_context``). The resume argument of a translated coroutine is
thereby free to carry what its driver sends, so any driver can run it.

The article: Nick Fitzgerald, "Async Stack Traces in Rust" (2019),
https://fitzgeraldnick.com/2019/08/27/async-stacks-in-rust.html
"""

from __future__ import annotations

import threading

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing is not imported at run time (import cost)
    from typing import Callable


class Waker:
    """A handle that schedules its task to be polled again.

    A future that returns `Pending` keeps ``cx.waker()`` (or a clone) and calls
    :meth:`wake` when it can make progress. Waking is thread-safe for the
    runtime's executor: any thread may wake a task.
    """

    __slots__ = ("_wake",)

    def __init__(self, wake: Callable[[], None]) -> None:
        self._wake = wake

    def wake(self) -> None:
        """Wake the task (Rust's by-value ``wake``; in Python the waker stays usable)."""
        self._wake()

    def wake_by_ref(self) -> None:
        """Wake the task without giving up this waker."""
        self._wake()

    def clone(self) -> Waker:
        """Return a waker that wakes the same task."""
        return Waker(self._wake)

    def will_wake(self, other: Waker) -> bool:
        """True if ``other`` wakes the same task as this waker, so it need not be replaced."""
        return self._wake == other._wake

    def __repr__(self) -> str:
        return f"<Waker {self._wake!r}>"


def noop_waker() -> Waker:
    """A waker that does nothing when woken (for polling by hand)."""
    return Waker(_noop)


def _noop() -> None:
    return None


class Context:
    """The task context passed to every ``poll``; ``cx.waker()`` is the task's waker.

    ``reactor`` runs timers (``add_timer(deadline, waker)``): the executor, or
    a bridge to the event loop of a foreign driver.
    """

    __slots__ = ("_waker", "reactor")

    def __init__(self, waker: Waker, reactor: object = None) -> None:
        self._waker = waker
        self.reactor = reactor

    @classmethod
    def from_waker(cls, waker: Waker) -> Context:
        """Build a context around ``waker`` (Rust's ``Context::from_waker``)."""
        return cls(waker)

    def waker(self) -> Waker:
        """The waker of the task being polled."""
        return self._waker

    def __repr__(self) -> str:
        return f"<Context waker={self._waker!r}>"


class _TaskSlot(threading.local):
    cx: Context | None = None


task = _TaskSlot()
"""``task.cx``: the `Context` of the task being polled on this thread, or None
when a foreign driver (asyncio, trio, a hand-written loop) runs the coroutine."""


def current_context() -> Context | None:
    """The `Context` of the task our executor (or a `poll`) is polling on this thread, if any."""
    return task.cx

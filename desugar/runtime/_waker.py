"""`Waker` and `Context`: how a pending future asks to be polled again."""

from __future__ import annotations

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
    """The task context passed to every ``poll``; ``cx.waker()`` is the task's waker."""

    __slots__ = ("_waker", "reactor")

    def __init__(self, waker: Waker, reactor: object = None) -> None:
        self._waker = waker
        self.reactor = reactor  # who runs timers: the executor, or an asyncio loop
    @classmethod
    def from_waker(cls, waker: Waker) -> Context:
        """Build a context around ``waker`` (Rust's ``Context::from_waker``)."""
        return cls(waker)

    def waker(self) -> Waker:
        """The waker of the task being polled."""
        return self._waker

    def __repr__(self) -> str:
        return f"<Context waker={self._waker!r}>"

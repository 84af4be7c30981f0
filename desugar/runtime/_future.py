"""`Future` (the trait) and `Pin`."""

from __future__ import annotations

import abc
TYPE_CHECKING = False
if TYPE_CHECKING:  # typing is not imported at run time (import cost)
    from typing import Any

from desugar.runtime import _bridge
from desugar.runtime._poll import Pending, Poll
from desugar.runtime._waker import Context


class Future(abc.ABC):
    """Anything that can be polled: ``poll(cx)`` returns `Ready(value)` or `Pending`.

    Subclass it to write a leaf future by hand. A future that returns `Pending`
    must arrange for ``cx.waker()`` to be woken when polling again may make
    progress; otherwise its task is never polled again.
    """

    __slots__ = ("_driver",)

    @abc.abstractmethod
    def poll(self, cx: Context) -> Poll:
        """Try to make progress; return `Ready(value)` or `Pending`.

        Raise an exception to fail the future.
        """

    # --- the coroutine protocol (see desugar.runtime._bridge) ----------------
    def __await__(self) -> Future:
        """Let native coroutines await this future, under `block_on` or asyncio."""
        return self

    __iter__ = __await__  # as asyncio.Future: `yield from future` in a custom __await__


    def __next__(self) -> Any:
        """Poll once as a coroutine step (asyncio's C ``Task`` calls this)."""
        # The common case of _bridge.step, inline: an asyncio task drives us again.
        if _bridge._driving.__dict__.get("cx") is not None:
            return _bridge.step(self, None)
        try:
            driver = self._driver
        except AttributeError:  # the first step
            return _bridge.step(self, None)
        poll = self.poll(driver.resume())
        if poll is Pending:
            return driver.suspend()
        raise StopIteration(poll.value)

    def send(self, value: Any) -> Any:
        """Poll once as a coroutine step; ``value`` is ignored (asyncio sends None)."""
        return self.__next__()

    def throw(self, typ: Any, val: Any = None, tb: Any = None) -> Any:
        """Raise an exception where the future waits (``Task.cancel()`` calls this)."""
        return _bridge.step(self, _bridge.exception_from(typ, val, tb))

    def close(self) -> None:
        """Drop the future (a leaf future has nothing to clean up)."""


class Pin:
    """Rust's ``Pin``: the promise that a future is not moved while it is polled.

    Python objects never move, so pinning costs nothing: ``Pin.new_unchecked``
    returns the future itself. Translated code leaves it out for speed; it is
    here for hand-written futures that poll other futures and want to read as
    Rust does. Polling a translated future after it completed raises
    ``RuntimeError("`async fn` resumed after completion")``, as Rust panics.
    """

    __slots__ = ()

    @staticmethod
    def new_unchecked(future: Any) -> Any:
        """Return ``future`` itself, pinned (for free, as Python objects never move)."""
        return future


class _SubscriptKey:
    """``subscript_key[1:2, ...]`` is the key that ``x[1:2, ...]`` passes to ``__getitem__``."""

    __slots__ = ()

    def __getitem__(self, key: Any) -> Any:
        return key


subscript_key = _SubscriptKey()
"""Evaluates subscript syntax to its key, so the compiler can read it once (``a[i:j] += ...``)."""

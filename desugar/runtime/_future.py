"""`Future` (the trait), `Pin`, and what awaiting a `Future` runs.

A `Future` is polled with a `Context`: ``poll(cx)`` returns `Ready(value)` or
`Pending`. Awaiting one (from translated code or from a native coroutine)
runs `poll_leaf`, a coroutine-like generator that polls it with the task's
`Context` and yields `Pending` to the executor while it waits; under a foreign
driver (asyncio, trio) it polls with a `Context` whose waker wakes that
driver's task, and yields what that driver waits on (see `_bridge`).

The article: Nick Fitzgerald, "Async Stack Traces in Rust" (2019),
https://fitzgeraldnick.com/2019/08/27/async-stacks-in-rust.html
"""

from __future__ import annotations

import abc
import os

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing is not imported at run time (import cost)
    from typing import Any, Generator

from desugar.runtime import _bridge
from desugar.runtime._poll import Pending, Poll
from desugar.runtime._waker import Context, task


class Future(abc.ABC):
    """Anything that can be polled: ``poll(cx)`` returns `Ready(value)` or `Pending`.

    Subclass it to write a leaf future by hand. A future that returns `Pending`
    must arrange for ``cx.waker()`` to be woken when polling again may make
    progress; otherwise its task is never polled again. ``close()`` drops it
    (Rust's ``Drop``): a future that owns other futures closes them.
    """

    __slots__ = ()

    @abc.abstractmethod
    def poll(self, cx: Context) -> Poll:
        """Try to make progress; return `Ready(value)` or `Pending`.

        Raise an exception to fail the future.
        """

    def __await__(self) -> Generator[Any, Any, Any]:
        """Await the future from any coroutine, under `block_on`, asyncio or trio."""
        return poll_leaf(self)

    def close(self) -> None:
        """Drop the future (a leaf future has nothing to clean up)."""

    def describe(self) -> Description:
        """What the future waits on (see `Description`); a leaf's own futures override it."""
        return Description(type(self).__name__)


class Description:
    """What a runtime future says of itself (`Future.describe`), for dumps and diagrams.

    ``name`` is the runtime function that made it (``"sleep"``, ``"join"``,
    ``"select"``, ``"timeout"``, ``"yield_now"``), else its class's name;
    ``futures`` the futures it polls (a finished one of a `join` is None);
    ``seconds`` a timer's duration (`sleep`, `timeout`); ``deadline`` a
    sleep's ``time.monotonic()`` deadline (None before its first poll);
    ``task`` the task a `JoinHandle` awaits.
    """

    __slots__ = ("name", "futures", "seconds", "deadline", "task")

    def __init__(
        self, name: str, *, futures: tuple[Any, ...] = (), seconds: float | None = None,
        deadline: float | None = None, task: Any = None,
    ) -> None:
        self.name = name
        self.futures = futures
        self.seconds = seconds
        self.deadline = deadline
        self.task = task

    def __repr__(self) -> str:
        fields = ", ".join(
            f"{field}={getattr(self, field)!r}" for field in self.__slots__[1:]
            if getattr(self, field) not in (None, ())
        )
        return f"Description({self.name!r}{', ' if fields else ''}{fields})"


_LEAF_POLLS: set[Any] = set()


def leaf(cls: Any) -> Any:
    """Class decorator: ``cls`` is one of the runtime's leaf futures (what a program awaits)."""
    _LEAF_POLLS.add(cls.poll.__code__)
    return cls


_RUNTIME_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def is_runtime_code(code: Any) -> bool:
    """True for a code object of the runtime's own (its frames are never the program's)."""
    return os.path.abspath(code.co_filename).startswith(_RUNTIME_DIR)


def is_leaf_poll(code: Any) -> bool:
    """True for the ``poll`` of one of the runtime's leaf futures (`sleep`, `join`, ...)."""
    return code in _LEAF_POLLS


def polled_future(frame: Any) -> Any:
    """The runtime future a frame polls: the future awaiting it waits on, for the frame of
    the loop that awaits a `Future`; the future itself, for a leaf's ``poll``; else None."""
    code = frame.f_code
    if code is _POLL_LEAF:
        return frame.f_locals.get("future")
    if code in _LEAF_POLLS:
        return frame.f_locals.get("self")
    return None


def poll_leaf(future: Any) -> Generator[Any, Any, Any]:
    """Poll ``future`` until it is ready: the iterator that awaiting a `Future` drives.

    Under the runtime's executor it polls with the task's `Context` and yields
    `Pending`; under any other driver, `_bridge.drive` takes over. It is a
    plain generator, not a ``types.coroutine`` one: ``__await__`` may not
    return a coroutine. An exception
    thrown in while it waits (a cancellation) or its closing drops ``future``.
    """
    cx = task.cx
    if cx is None:
        return (yield from _bridge.drive(future))
    while True:
        poll = future.poll(cx)
        if poll is not Pending:
            return poll.value  # type: ignore[union-attr]
        try:
            yield Pending
        except BaseException:
            future.close()
            raise
        cx = task.cx
        if cx is None:  # pragma: no cover - moved to another driver mid-await
            return (yield from _bridge.drive(future))


_POLL_LEAF = poll_leaf.__code__


class Pin:
    """Rust's ``Pin``: the promise that a future is not moved while it is polled.

    Python objects never move, so pinning costs nothing: ``Pin.new_unchecked``
    returns the future itself. The default output style leaves it out for
    speed; the ``hir`` style pins each awaitee, as the article's HIR does,
    and hand-written futures that poll other futures may, to read as Rust does.
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

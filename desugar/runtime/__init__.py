"""The futures runtime translated modules import: Rust's names and meanings.

`Poll` (`Ready`/`Pending`), `Future`, `Pin`, `Context`, `Waker`, `async_fn`,
`into_future` (the `Awaitee` an ``await`` polls; ``GenFuture`` is its older
name), and an executor: `block_on`, `spawn` -> `JoinHandle`, `yield_now`,
`sleep`, `join`, `select`, `timeout`; and the callback lowering's
`callback_fn`, `callback_await` and `callback_result` (a promise trampoline,
see `_callback`).

Introspection (what dumps and diagrams ask, see `Future.describe`):
`Executor.current()` and its ``tasks()``, `Task`, `Description`,
`Awaitee.awaited`, `polled_future`, `is_leaf_poll` and `is_runtime_code`.
"""

from desugar.runtime._executor import Executor as Executor
from desugar.runtime._executor import JoinHandle as JoinHandle
from desugar.runtime._executor import Task as Task
from desugar.runtime._executor import block_on as block_on
from desugar.runtime._executor import join as join
from desugar.runtime._executor import select as select
from desugar.runtime._executor import spawn as spawn
from desugar.runtime._executor import yield_now as yield_now
from desugar.runtime._future import Description as Description
from desugar.runtime._future import Future as Future
from desugar.runtime._future import is_leaf_poll as is_leaf_poll
from desugar.runtime._future import is_runtime_code as is_runtime_code
from desugar.runtime._future import polled_future as polled_future
from desugar.runtime._future import Pin as Pin
from desugar.runtime._future import subscript_key as subscript_key
from desugar.runtime._awaitee import Awaitee as Awaitee
from desugar.runtime._awaitee import Awaitee as GenFuture
from desugar.runtime._awaitee import async_fn as async_fn
from desugar.runtime._awaitee import awaitable as awaitable
from desugar.runtime._awaitee import into_future as into_future
from desugar.runtime._awaitee import is_translated as is_translated
from desugar.runtime._awaitee import poll_with_tls_context as poll_with_tls_context
from desugar.runtime._callback import callback_await as callback_await
from desugar.runtime._callback import callback_fn as callback_fn
from desugar.runtime._callback import callback_result as callback_result
from desugar.runtime._names import comprehension as comprehension
from desugar.runtime._names import comprehension_self as comprehension_self
from desugar.runtime._poll import Pending as Pending
from desugar.runtime._poll import Poll as Poll
from desugar.runtime._poll import Ready as Ready
from desugar.runtime._stream import Stream as Stream
from desugar.runtime._stream import aiter as aiter
from desugar.runtime._stream import END as END
from desugar.runtime._stream import anext as anext
from desugar.runtime._stream import anext_or_end as anext_or_end
from desugar.runtime._stream import async_for as async_for
from desugar.runtime._stream import async_with as async_with
from desugar.runtime._stream import exception_matches as exception_matches
from desugar.runtime._stream import Caught as Caught
from desugar.runtime._stream import exiting as exiting
from desugar.runtime._stream import reraise as reraise
from desugar.runtime._except_star import ExceptStar as ExceptStar
from desugar.runtime._stream import into_iter as into_iter
from sys import exc_info as exc_info  # (a compact `async with`'s handler: what __aexit__ gets)
from desugar.runtime._timers import Sleep as Sleep
from desugar.runtime._timers import sleep as sleep
from desugar.runtime._timers import timeout as timeout
from desugar.runtime._waker import Context as Context
from desugar.runtime._waker import Waker as Waker
from desugar.runtime._waker import current_context as current_context
from desugar.runtime._waker import noop_waker as noop_waker

import builtins as _builtins

# The builtins that generated code names (``except _ds_rt.BaseException``) are
# read from here, so a module that binds `BaseException` or `StopAsyncIteration`
# does not change what its translation does: natively `async with` and `async
# for` look nothing up by name. (Not in `__all__`: a star import would shadow them.)
BaseException = _builtins.BaseException
StopAsyncIteration = _builtins.StopAsyncIteration

__all__ = [
    "Poll", "Ready", "Pending", "Future", "Pin", "Context", "Waker", "noop_waker",
    "current_context", "Awaitee", "GenFuture", "async_fn", "awaitable", "into_future", "is_translated",
    "Executor", "block_on", "spawn", "JoinHandle", "yield_now", "sleep", "Sleep",
    "join", "select", "timeout", "Stream", "aiter", "anext", "async_for", "async_with",
    "callback_fn", "callback_await", "callback_result",
    "Task", "Description", "polled_future", "is_leaf_poll", "is_runtime_code",
]

"""The ``yield-from`` style: ``expr.await`` as one ``yield from``, CPython's own poll loop.

::

    _ds_awaited = yield from _ds_rt.awaitable(expr)   # loop { match poll(pin) {
                                                      #   Ready(x) => break x, Pending => yield () } }

``yield from`` is the loop rustc writes, run by the interpreter: it resumes
what is awaited (a poll), hands each wait to whoever drives the coroutine
(``Pending => yield``) and resumes it with each reply, and ends with the
value (``Ready(x) => break x``). `_ds_rt.awaitable` is ``IntoFuture``: a
coroutine, translated or native, is stepped as it is, so an await of one costs
what a native ``await`` costs (the interpreter resumes it in its own loop, with
no frame or object of the runtime between the two frames, and its
``cr_await`` chain, cancellation, close and tracebacks are the native ones);
anything else is stepped through its awaitee, as in the default style (see
`desugar.runtime._awaitee`). The loop is not spelled out: the default style
(``poll``) and ``hir`` show it; this one is what a measured await costs least.

In an async generator (which stays native) the suspension is ``await``. An
``async def`` becomes what the default style makes of it, and ``async for`` is
its ``for`` over a stream.

The article: Nick Fitzgerald, "Async Stack Traces in Rust" (2019),
https://fitzgeraldnick.com/2019/08/27/async-stacks-in-rust.html
"""

from __future__ import annotations

import libcst as cst

from desugar.compiler.build import Stmts, name, release, rt, simple
from desugar.compiler.styles import AwaitSite
from desugar.compiler.styles.poll import PollStyle

AWAITED = "_ds_awaited"
"""The awaited value, once ``yield from`` has ended."""

RESULT = name(AWAITED)
RELEASE = release(AWAITED)


class YieldFromStyle(PollStyle):
    """The ``yield from`` of the module docstring; the default style's ``async def``."""

    name = "yield-from"
    result = RESULT
    release = RELEASE
    temporaries = (AWAITED,)

    def await_(self, site: AwaitSite) -> Stmts:
        return self.commented(self.step(site.awaited, site.async_gen), site)

    def step(self, awaited: cst.BaseExpression, async_gen: bool) -> Stmts:
        """The statement that awaits ``awaited``; its value is then `RESULT`."""
        statements: Stmts = []
        if isinstance(awaited, cst.Await):  # (`await await f()`: the inner one first)
            statements += self.step(awaited.expression, async_gen)
            awaited = RESULT
        call = cst.Call(func=rt("awaitable"), args=[cst.Arg(awaited)])
        value: cst.BaseExpression = (
            cst.Await(expression=call) if async_gen else cst.Yield(value=cst.From(item=call))
        )
        statements.append(simple(cst.Assign(targets=[cst.AssignTarget(name(AWAITED))], value=value)))
        return statements


STYLE = YieldFromStyle()

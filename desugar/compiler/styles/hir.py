"""The ``hir`` style: ``expr.await`` as the article's HIR dump spells it, line by line.

::

    _ds_awaitee = _ds_rt.into_future(expr)        # let mut pinned = expr;  (IntoFuture)
    while True:                                   # loop {
        match _ds_rt.poll_with_tls_context(       #     match future::poll_with_tls_context(
            _ds_rt.Pin.new_unchecked(_ds_awaitee) #         unsafe { Pin::new_unchecked(&mut pinned) }
        ):                                        #     ) {
            case _ds_rt.Ready():                  #         Poll::Ready(()) => break,
                break
            case _ds_rt.Pending:                  #         Poll::Pending => yield (),
                yield from _ds_awaitee
    ... _ds_awaitee.value ...

Each round of the loop polls the awaitee and matches the result. The first
poll resumes what is awaited once; if it waits, the suspension is ``yield
from`` the awaitee, as in the default style (see `desugar.compiler.styles.poll`):
the driver sees exactly what the innermost awaited object yields, and what it
sends, throws (a cancellation) or closes reaches that object first, with the
traceback, ``__context__`` and ``cr_await`` chain of a native ``await``. Once
the awaitee completes, the next poll is `Ready` and the loop ends. The output
is not moved out by the ``match`` (a name bound there would keep it alive in
the frame, and in a traceback of it): it is read once, as ``_ds_awaitee.value``.

In an async generator the suspension is ``await _ds_awaitee``. An ``async
def`` becomes what the default style makes of it.

The article: Nick Fitzgerald, "Async Stack Traces in Rust" (2019),
https://fitzgeraldnick.com/2019/08/27/async-stacks-in-rust.html
"""

from __future__ import annotations

import libcst as cst

from desugar.compiler.build import Stmts
from desugar.compiler.names import AWAITEE, RUNTIME
from desugar.compiler.styles.poll import RESULT, PollStyle


def _loop(suspension: str) -> Stmts:
    # Built once and shared by every await, as the default style's loop is.
    module = cst.parse_module(
        "while True:\n"
        f"    match {RUNTIME}.poll_with_tls_context({RUNTIME}.Pin.new_unchecked({AWAITEE})):\n"
        f"        case {RUNTIME}.Ready():\n"
        "            break\n"
        f"        case {RUNTIME}.Pending:\n"
        f"            {suspension}\n"
    )
    return list(module.body)


LOOP = _loop(f"yield from {AWAITEE}")
"""A coroutine's poll loop."""

ASYNC_GEN_LOOP = _loop(f"await {AWAITEE}")
"""An async generator's poll loop."""


class HirStyle(PollStyle):
    """The poll loop of the module docstring; the default style's ``async def``."""

    name = "hir"
    streams = False  # (each step an await, spelled as the article's HIR spells one)

    def poll_loop(self, awaited: cst.BaseExpression, async_gen: bool, awaitee: bool = False) -> Stmts:
        statements: Stmts = []
        if isinstance(awaited, cst.Await):  # (`await await f()`: the inner one first)
            statements += self.poll_loop(awaited.expression, async_gen)
            awaited = RESULT
        statements += [self.awaitee(awaited, awaitee), *(ASYNC_GEN_LOOP if async_gen else LOOP)]
        return statements


STYLE = HirStyle()

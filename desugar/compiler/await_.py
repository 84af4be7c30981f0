"""`expr.await` as the seed article's HIR lowers it: the awaitee, a poll, a `Pending` test, a yield.

::

    _ds_awaitee = _ds_rt.into_future(expr)                    # match IntoFuture::into_future(expr) {
    if _ds_awaitee.poll_with_tls_context() is not _ds_rt.Ready: #   mut pinned => loop { match poll_with_tls_context(pin) {
        yield from _ds_awaitee                                 #     Poll::Ready(x) => break x, Poll::Pending => {} }
    ... _ds_awaitee.value ...                                  #   yield (); } }

If the first poll is not `Ready`, it is what the innermost awaited object
waits on, and the coroutine suspends in ``yield from`` the awaitee, which
hands it to the driver and polls again at each resumption until what it
awaits completes (see `desugar.runtime._awaitee`). The task's `Context` is in
a per-thread slot, as in the article's ``poll_with_tls_context``. Pinning is
free in Python (objects never move), so the awaitee is polled directly; see
`desugar.runtime.Pin`.

In an async generator (which stays a native async generator, so its items
are yielded as natively) the suspension is spelled ``await _ds_awaitee``:
there ``yield`` gives an item to the consumer, and ``await`` is how Python
hands a value to the driver instead; the awaitee is the same.
"""

from __future__ import annotations

import libcst as cst

from desugar.compiler.names import AWAITEE, POLL as POLL_NAME, RUNTIME


def _name(value: str) -> cst.Name:
    return cst.Name(value)


def _rt(attr: str) -> cst.Attribute:
    return cst.Attribute(value=_name(RUNTIME), attr=_name(attr))


def simple(*small: cst.BaseSmallStatement) -> cst.SimpleStatementLine:
    return cst.SimpleStatementLine(body=list(small))


def _poll(suspension: str) -> list[cst.BaseStatement]:
    # The statements never change, so they are built once and shared by every
    # await (libcst nodes are immutable; code generation walks shared nodes fine).
    module = cst.parse_module(
        f"for {POLL_NAME} in {AWAITEE}:\n"
        f"    {suspension}\n"
    )
    return list(module.body)


POLL = _poll(f"yield from {AWAITEE}")
"""A coroutine's poll and suspension."""

ASYNC_GEN_POLL = _poll(f"await {AWAITEE}")
"""An async generator's poll and suspension."""

RESULT = cst.Attribute(value=_name(AWAITEE), attr=_name("value"))
"""The awaited value once the loop has ended: ``_ds_awaitee.value``."""

DEAD_YIELD = cst.If(
    test=_name("False"),
    body=cst.IndentedBlock(
        body=[simple(cst.Expr(cst.Yield()))],
        header=cst.TrailingWhitespace(
            whitespace=cst.SimpleWhitespace("  "),
            comment=cst.Comment("# never runs: makes the function a generator, as async makes a coroutine"),
        ),
    ),
)
"""Ends an ``async def`` that never awaits, so it still returns a coroutine."""


def release(*names: str) -> cst.SimpleStatementLine:
    """``del a, b``: drop generated temporaries as soon as the value is used."""
    targets = [
        cst.Element(_name(n), comma=cst.MaybeSentinel.DEFAULT) for n in names
    ]
    target: cst.BaseDelTarget = _name(names[0]) if len(names) == 1 else cst.Tuple(
        elements=targets, lpar=[], rpar=[]
    )
    return simple(cst.Del(target=target))


RELEASE = release(AWAITEE)


def into_future(awaited: cst.BaseExpression) -> cst.SimpleStatementLine:
    """``_ds_awaitee = _ds_rt.into_future(awaited)``."""
    return simple(
        cst.Assign(
            targets=[cst.AssignTarget(_name(AWAITEE))],
            value=cst.Call(func=_rt("into_future"), args=[cst.Arg(awaited)]),
        )
    )


def poll_loop(awaited: cst.BaseExpression, async_gen: bool = False) -> list[cst.BaseStatement]:
    """The statements that await ``awaited``; the value is then `RESULT`.

    ``awaited`` may itself be an ``await`` (``await await f()``): the inner one
    is lowered first.
    """
    statements: list[cst.BaseStatement] = []
    if isinstance(awaited, cst.Await):
        statements += poll_loop(awaited.expression, async_gen)
        awaited = RESULT
    statements += [into_future(awaited), *(ASYNC_GEN_POLL if async_gen else POLL)]
    return statements

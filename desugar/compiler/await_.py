"""`expr.await` as rustc lowers it: an explicit poll loop.

::

    _ds_awaitee = _ds_rt.into_future(expr)   # match IntoFuture::into_future(expr) {
    for _ds_poll in _ds_awaitee:              #   mut __awaitee => loop { match poll(...) {
        yield from _ds_awaitee                #     Poll::Pending => { _task_context = yield (); }
    ... _ds_awaitee.value ...                 #     Poll::Ready(result) => break result } } }

Each iteration of the ``for`` polls the awaitee once (see
`desugar.runtime._awaitee`); every poll that gives `Pending` suspends the
coroutine, handing the driver what the innermost awaited object waits on, and
the driver's reply (a value, an exception thrown in, a close) goes back to the
awaitee for its next poll. The context for the runtime's own leaf futures is
the task's, in a per-thread slot, as the seed article's
``poll_with_tls_context``. Pinning is free in Python (objects never move), so
the loop iterates the awaitee directly; see `desugar.runtime.Pin`.

In an async generator (which stays a native async generator, so its items
are yielded as natively) the suspension is spelled ``await _ds_awaitee``:
there, ``await`` is the only way Python hands a value to the driver rather
than to the consumer; the poll loop around it is the same.
"""

from __future__ import annotations

import libcst as cst

from desugar.compiler.names import AWAITEE, POLL, RUNTIME


def _name(value: str) -> cst.Name:
    return cst.Name(value)


def _rt(attr: str) -> cst.Attribute:
    return cst.Attribute(value=_name(RUNTIME), attr=_name(attr))


def simple(*small: cst.BaseSmallStatement) -> cst.SimpleStatementLine:
    return cst.SimpleStatementLine(body=list(small))


def _loop(suspension: cst.BaseExpression) -> cst.For:
    # The loop never changes, so it is built once and shared by every await
    # (libcst nodes are immutable; code generation walks shared nodes fine).
    return cst.For(
        target=_name(POLL),
        iter=_name(AWAITEE),
        body=cst.IndentedBlock(body=[simple(cst.Expr(suspension))]),
    )


POLL_LOOP = _loop(cst.Yield(value=cst.From(item=_name(AWAITEE))))
"""The poll loop of a coroutine: ``for _ds_poll in _ds_awaitee: yield from _ds_awaitee``."""

ASYNC_GEN_POLL_LOOP = _loop(cst.Await(expression=_name(AWAITEE)))
"""The poll loop of an async generator: ``for _ds_poll in _ds_awaitee: await _ds_awaitee``."""

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
    statements += [into_future(awaited), ASYNC_GEN_POLL_LOOP if async_gen else POLL_LOOP]
    return statements

"""`expr.await` as the seed article's HIR lowers it: an explicit poll loop.

::

    _ds_awaitee = _ds_rt.into_future(expr)             # match IntoFuture::into_future(expr) {
    while True:                                         #   mut pinned => loop {
        _ds_poll = _ds_awaitee.poll_with_tls_context()  #     match poll_with_tls_context(pin) {
        if _ds_poll is _ds_rt.Ready:                    #       Poll::Ready(x) => break x,
            break
        try:                                            #       Poll::Pending => {}
            _ds_awaitee.sent = yield _ds_poll           #     }
        except BaseException as _ds_thrown:             #     yield ();
            _ds_awaitee.thrown = _ds_thrown             #   }
    ... _ds_awaitee.value ...                           # }

Each poll resumes what is awaited once (see `desugar.runtime._awaitee`). A
poll that is not `Ready` is what the innermost awaited object waits on: the
coroutine yields it to its driver, and what the driver sends back or throws
in goes to the awaitee for its next poll. The task's `Context` is in a
per-thread slot, as in the article's ``poll_with_tls_context``. Pinning is
free in Python (objects never move), so the loop polls the awaitee directly;
see `desugar.runtime.Pin`.

In an async generator (which stays a native async generator, so its items
are yielded as natively) the suspension is spelled
``_ds_awaitee.sent = await _ds_rt.suspend(_ds_poll)``: there, ``yield`` gives
an item to the consumer, and ``await`` is how Python hands a value to the
driver instead; the poll loop around it is the same.
"""

from __future__ import annotations

import libcst as cst

from desugar.compiler.names import AWAITEE, POLL, RUNTIME, THROWN


def _name(value: str) -> cst.Name:
    return cst.Name(value)


def _rt(attr: str) -> cst.Attribute:
    return cst.Attribute(value=_name(RUNTIME), attr=_name(attr))


def simple(*small: cst.BaseSmallStatement) -> cst.SimpleStatementLine:
    return cst.SimpleStatementLine(body=list(small))


def _loop(suspension: str) -> cst.BaseCompoundStatement:
    # The loop never changes, so it is built once and shared by every await
    # (libcst nodes are immutable; code generation walks shared nodes fine).
    return cst.parse_statement(
        f"while True:\n"
        f"    {POLL} = {AWAITEE}.poll_with_tls_context()\n"
        f"    if {POLL} is {RUNTIME}.Ready:\n"
        f"        break\n"
        f"    try:\n"
        f"        {AWAITEE}.sent = {suspension}\n"
        f"    except BaseException as {THROWN}:\n"
        f"        {AWAITEE}.thrown = {THROWN}\n"
    )


POLL_LOOP = _loop(f"yield {POLL}")
"""The poll loop of a coroutine."""

ASYNC_GEN_POLL_LOOP = _loop(f"await {RUNTIME}.suspend({POLL})")
"""The poll loop of an async generator."""

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

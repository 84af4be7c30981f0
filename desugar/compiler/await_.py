"""`expr.await` as rustc lowers it: an explicit poll loop.

::

    _ds_awaitee = _ds_rt.into_future(expr)      # IntoFuture::into_future(expr)
    while True:                                  # loop {
        _ds_poll = _ds_awaitee.poll(_ds_task_context)   # Future::poll(pin, cx)
        if _ds_poll is not _ds_rt.Pending:       #   Poll::Ready(result) => break result,
            break
        try:
            _ds_task_context = yield _ds_rt.Pending  # Poll::Pending => {}  _task_context = yield ();
        except BaseException as _ds_thrown:      # a throw()/close() goes to the awaitee first
            _ds_rt.throw_into(_ds_awaitee, _ds_thrown)
    ... _ds_poll.value ...                       # }

Pinning is free in Python (objects never move), so the loop polls the awaitee
directly; see `desugar.runtime.Pin`.
"""

from __future__ import annotations

import libcst as cst

from desugar.compiler.names import AWAITEE, POLL, RUNTIME, TASK_CONTEXT, THROWN


def _name(value: str) -> cst.Name:
    return cst.Name(value)


def _rt(attr: str) -> cst.Attribute:
    return cst.Attribute(value=_name(RUNTIME), attr=_name(attr))


def simple(*small: cst.BaseSmallStatement) -> cst.SimpleStatementLine:
    return cst.SimpleStatementLine(body=list(small))


# The loop never changes, so it is built once and shared by every await
# (libcst nodes are immutable; code generation walks shared nodes fine).
POLL_LOOP = cst.While(
    test=cst.Name("True"),
    body=cst.IndentedBlock(
        body=[
            simple(
                cst.Assign(
                    targets=[cst.AssignTarget(_name(POLL))],
                    value=cst.Call(
                        func=cst.Attribute(value=_name(AWAITEE), attr=_name("poll")),
                        args=[cst.Arg(_name(TASK_CONTEXT))],
                    ),
                )
            ),
            cst.If(
                test=cst.Comparison(
                    left=_name(POLL),
                    comparisons=[cst.ComparisonTarget(cst.IsNot(), _rt("Pending"))],
                ),
                body=cst.IndentedBlock(body=[simple(cst.Break())]),
            ),
            None,  # the suspension, below
        ]
    ),
)


def suspend(awaitee: str) -> cst.Try:
    """``_task_context = yield Pending``, passing what is thrown in on to ``awaitee``.

    An exception thrown into the suspended generator (a task's cancellation)
    or its closing (a drop) reaches the innermost future first and unwinds
    outwards, as through a native ``await``; the ``try`` costs nothing until then.
    """
    return cst.Try(
        body=cst.IndentedBlock(
            body=[
                simple(
                    cst.Assign(
                        targets=[cst.AssignTarget(_name(TASK_CONTEXT))],
                        value=cst.Yield(value=_rt("Pending")),
                    )
                )
            ]
        ),
        handlers=[
            cst.ExceptHandler(
                type=_name("BaseException"),
                name=cst.AsName(name=_name(THROWN)),
                body=cst.IndentedBlock(
                    body=[
                        simple(
                            cst.Expr(
                                cst.Call(
                                    func=_rt("throw_into"),
                                    args=[cst.Arg(_name(awaitee)), cst.Arg(_name(THROWN))],
                                )
                            )
                        )
                    ]
                ),
            )
        ],
    )


POLL_LOOP = POLL_LOOP.with_changes(
    body=POLL_LOOP.body.with_changes(body=[*POLL_LOOP.body.body[:2], suspend(AWAITEE)])
)

RESULT = cst.Attribute(value=_name(POLL), attr=_name("value"))
"""The awaited value once the loop has ended: ``_ds_poll.value``."""

PRIME = simple(
    cst.Assign(targets=[cst.AssignTarget(_name(TASK_CONTEXT))], value=cst.Yield())
)
"""``_ds_task_context = yield``: the first poll's Context arrives here."""


def release(*names: str) -> cst.SimpleStatementLine:
    """``del a, b``: drop generated temporaries as soon as the value is used."""
    targets = [
        cst.Element(_name(n), comma=cst.MaybeSentinel.DEFAULT) for n in names
    ]
    target: cst.BaseDelTarget = _name(names[0]) if len(names) == 1 else cst.Tuple(
        elements=targets, lpar=[], rpar=[]
    )
    return simple(cst.Del(target=target))


RELEASE = release(AWAITEE, POLL)


def poll_loop(awaited: cst.BaseExpression) -> list[cst.BaseStatement]:
    """The statements that await ``awaited``; the value is then `RESULT`.

    ``awaited`` may itself be an ``await`` (``await await f()``): the inner one
    is lowered first.
    """
    statements: list[cst.BaseStatement] = []
    if isinstance(awaited, cst.Await):
        statements += poll_loop(awaited.expression)
        statements.append(
            simple(
                cst.Assign(targets=[cst.AssignTarget(_name(POLL))], value=RESULT)
            )
        )
        awaited = _name(POLL)
    pin = simple(
        cst.Assign(
            targets=[cst.AssignTarget(_name(AWAITEE))],
            value=cst.Call(func=_rt("into_future"), args=[cst.Arg(awaited)]),
        )
    )
    statements += [pin, POLL_LOOP]
    return statements

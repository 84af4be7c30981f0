"""The ``callback`` lowerings: ``await`` as a request yielded to a promise trampoline, as JavaScript does.

::

    _ds_awaited = _ds_rt.callback_result((yield _ds_rt.callback_await(expr)))
    ... _ds_awaited ...                # yieldedPromise.then(x => gen.next(x), e => gen.throw(e))

An ``async def`` becomes a generator function decorated
``@_ds_rt.callback_fn`` (``--lowering callback``) or
``@_ds_rt.callback_fn(async_stacks=True)`` (``--lowering
callback-async-stacks``): its call returns a real coroutine whose driver runs
the generator as a job on a microtask queue; the job is resumed with the
awaited value (or has the error thrown in) by a callback when what it awaits
settles, so only the youngest async frame is on the stack (see
`desugar.runtime._callback`). The ``async_stacks`` variant captures the
awaiter's async stack at each await, bounded in depth.

In an async generator (which stays a native async generator) an await is the
poll lowering's loop, its value then moved to ``_ds_awaited``: the callback
lowering is of coroutines only.

This module gives both lowerings (`CALLBACK`, `ASYNC_STACKS`); a style
(poll|hir) is a spelling of the poll lowering and does not apply here.
"""

from __future__ import annotations

import libcst as cst

from desugar.compiler.build import Stmts, name, release, rt, simple
from desugar.compiler.names import AWAITEE
from desugar.compiler.styles import AwaitSite, Style
from desugar.compiler.styles.poll import DEAD_YIELD, RELEASE as POLL_RELEASE, RESULT as POLL_RESULT
from desugar.compiler.styles.poll import STYLE as POLL, flat_await, function_with

AWAITED = "_ds_awaited"
"""The awaited value, once the trampoline has resumed the generator."""

RESULT = name(AWAITED)
RELEASE = release(AWAITED)


def _decorator(async_stacks: bool) -> cst.Decorator:
    if not async_stacks:
        return cst.Decorator(decorator=rt("callback_fn"))
    return cst.Decorator(
        decorator=cst.Call(
            func=rt("callback_fn"),
            args=[cst.Arg(keyword=name("async_stacks"), value=name("True"),
                          equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")))],
        )
    )


class CallbackStyle(Style):
    """The request and trampoline of the module docstring."""

    result = RESULT
    release = RELEASE
    temporaries = (AWAITED,)

    def __init__(self, name_: str, async_stacks: bool) -> None:
        self.name = name_
        self.async_stacks = async_stacks
        self.decorator = _decorator(async_stacks)

    def await_(self, site: AwaitSite) -> Stmts:
        return self.commented(
            self.request(site.awaited, site.async_gen, site.awaitee, site.compact), site
        )

    def request(
        self, awaited: cst.BaseExpression, async_gen: bool, awaitee: bool = False, compact: bool = False
    ) -> Stmts:
        """The statements that await ``awaited``; its value is then `RESULT`."""
        statements: Stmts = []
        if isinstance(awaited, cst.Await):  # (`await await f()`: the inner one first)
            statements += self.request(awaited.expression, async_gen, compact=compact)
            awaited = RESULT
        if async_gen:  # the poll lowering's loop, its value moved to `_ds_awaited`
            statements += (flat_await if compact else POLL.poll_loop)(awaited, True, awaitee)
            statements.append(simple(cst.Assign(targets=[cst.AssignTarget(name(AWAITED))], value=POLL_RESULT)))
            statements.append(POLL_RELEASE)
            return statements
        value = cst.Call(func=rt("callback_await"), args=[cst.Arg(awaited)])
        request = cst.Yield(value=value, lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
        resumed = cst.Call(func=rt("callback_result"), args=[cst.Arg(request)])
        statements.append(simple(cst.Assign(targets=[cst.AssignTarget(name(AWAITED))], value=resumed)))
        return statements

    def async_def(self, node: cst.FunctionDef, body: Stmts, *, async_gen: bool, polls: bool) -> cst.FunctionDef:
        if async_gen:
            return function_with(node, body, list(node.decorators), node.asynchronous)
        if not polls:
            body.append(DEAD_YIELD)
        return function_with(node, body, [*node.decorators, self.decorator], None)


CALLBACK = CallbackStyle("callback", False)
ASYNC_STACKS = CallbackStyle("callback-async-stacks", True)

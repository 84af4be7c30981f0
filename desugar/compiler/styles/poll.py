"""The default style: ``expr.await`` as a loop over the awaitee's polls.

::

    _ds_awaitee = _ds_rt.into_future(expr)   # match IntoFuture::into_future(expr) { mut pinned =>
    for _ds_poll in _ds_awaitee:             #   loop { match poll_with_tls_context(pin) {
        yield from _ds_awaitee               #     Ready(x) => break x, Pending => yield () } } }
    ... _ds_awaitee.value ...

The loop's ``iter()`` (or, with the C runtime, its first step) is the first
poll. If what is awaited completes at once, the loop runs no step; if it
waits, the coroutine suspends in ``yield from`` the awaitee, which hands that
wait to the driver and polls again at each resumption until what it awaits
completes (see `desugar.runtime._awaitee`). The task's `Context` is in a
per-thread slot, as in the article's ``poll_with_tls_context``. Pinning is free
in Python (objects never move), so the awaitee is polled directly; the ``hir``
style spells it out.

In an async generator (which stays a native async generator, so its items
are yielded as natively) the suspension is spelled ``await _ds_awaitee``:
there ``yield`` gives an item to the consumer, and ``await`` is how Python
hands a value to the driver instead; the awaitee is the same.

An ``async def`` becomes a generator function decorated ``@_ds_rt.async_fn``
(which marks its code a coroutine's), ending in a dead ``yield`` if it never
awaits; an async generator stays an ``async def``.

The article: Nick Fitzgerald, "Async Stack Traces in Rust" (2019),
https://fitzgeraldnick.com/2019/08/27/async-stacks-in-rust.html
"""

from __future__ import annotations

import libcst as cst

from desugar.compiler.build import Stmts, name, release, rt, simple
from desugar.compiler.names import AWAITEE, POLL as POLL_NAME, RUNTIME
from desugar.compiler.styles import AwaitSite, Style


def _poll(suspension: str) -> Stmts:
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

FLAT = list(cst.parse_module(f"yield from {AWAITEE}.__await__()\n").body)
"""A coroutine's await with no loop (the compact shapes: `desugar.compiler.blocks`): ``__await__``
makes the awaitee's first step its first poll, as a native ``await`` of it does."""

ASYNC_GEN_FLAT = list(cst.parse_module(f"await {AWAITEE}\n").body)
"""An async generator's await with no loop."""

RESULT = cst.Attribute(value=name(AWAITEE), attr=name("value"))
"""The awaited value once the loop has ended: ``_ds_awaitee.value``."""

RELEASE = release(AWAITEE)

DEAD_YIELD = cst.If(
    test=name("False"),
    body=cst.IndentedBlock(
        body=[simple(cst.Expr(cst.Yield()))],
        header=cst.TrailingWhitespace(
            whitespace=cst.SimpleWhitespace("  "),
            comment=cst.Comment("# never runs: makes the function a generator, as async makes a coroutine"),
        ),
    ),
)
"""Ends an ``async def`` that never awaits, so it still returns a coroutine."""

ASYNC_FN = cst.Decorator(decorator=cst.Attribute(value=cst.Name(RUNTIME), attr=cst.Name("async_fn")))


def into_future(awaited: cst.BaseExpression) -> cst.SimpleStatementLine:
    """``_ds_awaitee = _ds_rt.into_future(awaited)``."""
    return simple(
        cst.Assign(
            targets=[cst.AssignTarget(name(AWAITEE))],
            value=cst.Call(func=rt("into_future"), args=[cst.Arg(awaited)]),
        )
    )


class PollStyle(Style):
    """The poll loop of the module docstring."""

    name = "poll"
    streams = True
    result = RESULT
    release = RELEASE
    temporaries = (AWAITEE,)

    def await_(self, site: AwaitSite) -> Stmts:
        if site.compact:
            return self.commented(flat_await(site.awaited, site.async_gen, site.awaitee), site)
        return self.commented(self.poll_loop(site.awaited, site.async_gen, site.awaitee), site)

    def poll_loop(self, awaited: cst.BaseExpression, async_gen: bool, awaitee: bool = False) -> Stmts:
        """The statements that await ``awaited``; the value is then `RESULT`.

        ``awaited`` may itself be an ``await`` (``await await f()``): the inner one
        is lowered first.
        """
        statements: Stmts = []
        if isinstance(awaited, cst.Await):
            statements += self.poll_loop(awaited.expression, async_gen)
            awaited = RESULT
        statements += [self.awaitee(awaited, awaitee), *(ASYNC_GEN_POLL if async_gen else POLL)]
        return statements

    @staticmethod
    def awaitee(awaited: cst.BaseExpression, ready: bool = False) -> cst.SimpleStatementLine:
        """``_ds_awaitee = _ds_rt.into_future(awaited)`` (``= awaited`` if it is an awaitee already)."""
        if ready:
            return simple(cst.Assign(targets=[cst.AssignTarget(name(AWAITEE))], value=awaited))
        return into_future(awaited)

    def async_def(self, node: cst.FunctionDef, body: Stmts, *, async_gen: bool, polls: bool) -> cst.FunctionDef:
        if async_gen:  # a native async generator: its items are yielded as natively
            decorators = list(node.decorators)
            asynchronous = node.asynchronous
        else:  # a generator function that `async_fn` turns into a coroutine function
            if not polls:
                body.append(DEAD_YIELD)
            decorators = [*node.decorators, ASYNC_FN]
            asynchronous = None
        return function_with(node, body, decorators, asynchronous)


def flat_await(awaited: cst.BaseExpression, async_gen: bool, awaitee: bool = False) -> Stmts:
    """The statements that await ``awaited`` with no loop (no block); the value is then `RESULT`."""
    statements: Stmts = []
    if isinstance(awaited, cst.Await):
        statements += flat_await(awaited.expression, async_gen)
        awaited = RESULT
    statements += [PollStyle.awaitee(awaited, awaitee), *(ASYNC_GEN_FLAT if async_gen else FLAT)]
    return statements


def function_with(node: cst.FunctionDef, body: Stmts, decorators, asynchronous) -> cst.FunctionDef:
    """``node`` with ``body`` (an indented block, a one-line suite becoming one), decorators and ``async``."""
    suite = node.body
    new_body = (
        suite.with_changes(body=body)
        if isinstance(suite, cst.IndentedBlock)
        else cst.IndentedBlock(body=body, header=suite.trailing_whitespace)
    )
    return node.with_changes(asynchronous=asynchronous, decorators=decorators, body=new_body)


STYLE = PollStyle()

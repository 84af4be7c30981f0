"""``async for`` (rustc's ``for await``): a ``for`` over a stream of items, or a loop awaiting ``__anext__``."""

from __future__ import annotations

import libcst as cst

from desugar.compiler.build import Stmts, assign, block, name, one_line, release, rt, simple
from desugar.compiler.lowering.base import LoweringBase
from desugar.compiler.lowering.common import statements_of
from desugar.compiler.names import PREFIX


class AsyncForLowering(LoweringBase):
    """``async for``: called by the ``for`` statement's lowering once its parts are lowered."""

    def async_for(self, stmt: cst.For, iterable, target, body) -> Stmts:
        """``async for``: each round, ``type(it).__anext__(it)`` polled until ``StopAsyncIteration``.

        The styles whose `streams` is set (the default, ``poll``) write a ``for``
        over the stream of items `_ds_rt.async_for` makes::

            _ds_iter1 = _ds_rt.async_for(iterable)
            try:
                for _ds_item2 in _ds_iter1:        # a step: poll type(it).__anext__(it)
                    if _ds_item2 is _ds_iter1:     # Pending: the step waits
                        yield from _ds_iter1       # hand the wait over, until the step ends
                        continue
                    target = _ds_item2
                    del _ds_item2
                    ...
            finally:
                del _ds_iter1

        A step that waits returns the stream itself (which no iterator yields
        as an item); see `desugar.runtime._stream.AsyncFor`. The others write
        a loop that awaits ``_ds_rt.anext(it)`` each round, as they spell an
        await, until it raises ``StopAsyncIteration``.

        The iterator lives in a local that is deleted however the loop ends, as
        natively it lives on the stack: an async generator left by ``break`` or
        by an exception is dropped (and finalized) when the loop is left.
        """
        compact = self.ctx.compact  # no `try`/`finally` (see `desugar.compiler.blocks`)
        if self.streams():
            return self._stream_for(stmt, iterable, target, body)
        it, out, flag = self._loop_head(stmt, iterable, "aiter")
        end: Stmts = [simple(cst.Break())]
        if flag:
            end.insert(0, assign(flag, name("True")))
        if compact:  # no `try`: the step's awaitable gives `_ds_rt.END` at the end
            step = cst.Call(func=rt("anext_or_end"), args=[cst.Arg(name(it))])
            ended = cst.Comparison(
                left=self.style.result,
                comparisons=[cst.ComparisonTarget(operator=cst.Is(), comparator=rt("END"))],
            )
            head: Stmts = [*self.emit_await(step, None), cst.If(test=ended, body=block(end))]
        else:
            step = cst.Call(func=rt("anext"), args=[cst.Arg(name(it))])
            head = [
                cst.Try(  # (`__anext__()` itself may raise StopAsyncIteration, too)
                    body=block(self.emit_await(step, None, awaitee=True)),
                    handlers=[cst.ExceptHandler(type=rt("StopAsyncIteration"), body=block(end))],
                )
            ]
        loop = [
            *head,
            assign(target, self.style.result),  # type: ignore[arg-type]
            self.style.release,
        ]
        inner = statements_of(body)
        loop_stmt = cst.While(test=name("True"), body=block([*loop, *inner]))
        if compact:
            out += [loop_stmt, release(it)]
        else:
            out.append(cst.Try(body=block([loop_stmt]), finalbody=cst.Finally(body=block([release(it)]))))
        if flag:
            out.append(cst.If(test=name(flag), body=self.suite(stmt.orelse.body)))  # type: ignore[union-attr]
        return out

    def streams(self) -> bool:
        """Is ``async for`` a ``for`` over a stream here (the style's, or the compact shape's)?"""
        return self.style.streams or self.ctx.compact and _polls(self.style)

    def _loop_head(self, stmt: cst.For, iterable, first_step: str) -> tuple[str, Stmts, str | None]:
        """The iterator's local, ``it = _ds_rt.<first_step>(iterable)`` under its comment,
        and the flag an ``else`` clause needs (None without one), set to False."""
        it = self.label("iter")
        source = iterable
        if not (isinstance(iterable, cst.Name) and iterable.value == f"{PREFIX}iter"):
            # (an async comprehension's first iterator arrives already made)
            source = cst.Call(func=rt(first_step), args=[cst.Arg(iterable)])
        out: Stmts = [assign(it, source)]
        comment = self.comment(stmt.iter)
        if comment is not None:
            text = f"# line {self.ctx.positions(stmt.iter)}: async for ... in {one_line(stmt.iter)}"
            out[0] = out[0].with_changes(leading_lines=[cst.EmptyLine(comment=cst.Comment(text))])
        flag = self.label("exhausted") if stmt.orelse is not None else None
        if flag:
            out.append(assign(flag, name("False")))
        return it, out, flag

    def _stream_for(self, stmt: cst.For, iterable, target, body) -> Stmts:
        it, out, flag = self._loop_head(stmt, iterable, "async_for")
        item = self.label("item")
        self.polls += 1
        hand_over = (
            cst.Await(expression=name(it)) if self.async_gen else cst.Yield(value=cst.From(item=name(it)))
        )
        wait = cst.If(
            test=cst.Comparison(
                left=name(item),
                comparisons=[cst.ComparisonTarget(operator=cst.Is(), comparator=name(it))],
            ),
            body=cst.IndentedBlock(
                body=[simple(cst.Expr(hand_over)), simple(cst.Continue())],
                header=cst.TrailingWhitespace(
                    whitespace=cst.SimpleWhitespace("  "),
                    comment=cst.Comment("# Pending: the step waits"),
                ),
            ),
        )
        loop = [wait, assign(target, name(item)), release(item)]
        inner = statements_of(body)
        for_stmt = cst.For(
            target=name(item),
            iter=name(it),
            body=block([*loop, *inner]),
            orelse=cst.Else(body=block([assign(flag, name("True"))])) if flag else None,
        )
        if self.ctx.compact:  # released when the loop ends or breaks; else with the frame
            out += [for_stmt, release(it)]
        else:
            out.append(cst.Try(body=block([for_stmt]), finalbody=cst.Finally(body=block([release(it)]))))
        if flag:
            out.append(cst.If(test=name(flag), body=self.suite(stmt.orelse.body)))  # type: ignore[union-attr]
        return out


def _polls(style) -> bool:
    """Does ``style`` spell the poll lowering (its coroutines can ``yield from`` a stream)?"""
    from desugar.compiler.styles.poll import PollStyle

    return isinstance(style, PollStyle)

"""``async for`` (rustc's ``for await``): a loop awaiting ``__anext__`` until ``StopAsyncIteration``."""

from __future__ import annotations

import libcst as cst

from desugar.compiler.build import Stmts, assign, block, name, one_line, release, rt, simple
from desugar.compiler.lowering.base import LoweringBase
from desugar.compiler.lowering.common import statements_of
from desugar.compiler.names import PREFIX


class AsyncForLowering(LoweringBase):
    """``async for``: called by the ``for`` statement's lowering once its parts are lowered."""

    def async_for(self, stmt: cst.For, iterable, target, body) -> Stmts:
        """``async for``: await ``type(it).__anext__(it)`` each round until ``StopAsyncIteration``.

        The iterator lives in a local that is deleted however the loop ends, as
        natively it lives on the stack: an async generator left by ``break`` or
        by an exception is dropped (and finalized) when the loop is left.
        """
        it = self.label("iter")
        source = iterable
        if not (isinstance(iterable, cst.Name) and iterable.value == f"{PREFIX}iter"):
            # (an async comprehension's first iterator arrives already from __aiter__)
            source = cst.Call(func=rt("aiter"), args=[cst.Arg(iterable)])
        out: Stmts = [assign(it, source)]
        comment = self.comment(stmt.iter)
        if comment is not None:
            text = f"# line {self.ctx.positions(stmt.iter)}: async for ... in {one_line(stmt.iter)}"
            out[0] = out[0].with_changes(leading_lines=[cst.EmptyLine(comment=cst.Comment(text))])
        flag = self.label("exhausted") if stmt.orelse is not None else None
        if flag:
            out.append(assign(flag, name("False")))
        end: Stmts = [simple(cst.Break())]
        if flag:
            end.insert(0, assign(flag, name("True")))
        step = cst.Call(func=rt("anext"), args=[cst.Arg(name(it))])
        loop = [
            cst.Try(  # (`__anext__()` itself may raise StopAsyncIteration, too)
                body=block(self.emit_await(step, None, awaitee=True)),
                handlers=[cst.ExceptHandler(type=name("StopAsyncIteration"), body=block(end))],
            ),
            assign(target, self.style.result),  # type: ignore[arg-type]
            self.style.release,
        ]
        inner = statements_of(body)
        out.append(
            cst.Try(
                body=block([cst.While(test=name("True"), body=block([*loop, *inner]))]),
                finalbody=cst.Finally(body=block([release(it)])),
            )
        )
        if flag:
            out.append(cst.If(test=name(flag), body=self.suite(stmt.orelse.body)))  # type: ignore[union-attr]
        return out


"""``async with``, as the language reference spells it out: ``__aenter__``, the body, ``__aexit__``."""

from __future__ import annotations

import libcst as cst

from desugar.compiler.build import Stmts, assign, block, name, negate, one_line, release, rt, simple
from desugar.compiler.lowering.base import LoweringBase
from desugar.compiler.lowering.common import split_with, statements_of
from desugar.compiler.names import PREFIX


class AsyncWithLowering(LoweringBase):
    """``async with``: called by the ``with`` statement's lowering."""

    def async_with(self, stmt: cst.With, items: list[cst.WithItem]) -> Stmts:
        """``async with`` as the language reference spells it out."""
        if len(items) > 1:
            stmt = split_with(stmt, items, 1)
        item = stmt.items[0]
        pre, mgr_expr = self.expr(item.item)
        self.labels += 1
        aexit, aenter, hit, value, error = (
            f"{PREFIX}{w}{self.labels}" for w in ("aexit", "aenter", "hit", "value", "error")
        )
        # (the manager is held by its bound `__aexit__` only, as on CPython's stack)
        lookup = assign(
            cst.Tuple([cst.Element(name(aexit)), cst.Element(name(aenter))], lpar=[], rpar=[]),
            cst.Call(func=rt("async_with"), args=[cst.Arg(mgr_expr)]),
        )
        out: Stmts = [*pre, lookup]
        comment = self.comment(item.item)
        if comment is not None:
            text = f"# line {self.ctx.positions(item.item)}: async with {one_line(item.item)}"
            out[len(pre)] = out[len(pre)].with_changes(leading_lines=[cst.EmptyLine(comment=cst.Comment(text))])
        out += self.emit_await(name(aenter), None)
        out.append(assign(value, self.style.result))
        out.append(self.style.release)
        out.append(assign(hit, name("False")))
        body = self.suite(stmt.body)
        inner = statements_of(body)
        stores: Stmts = []
        if item.asname is not None:
            self.reset()
            stores = self.store(item.asname.name, name(value))
        # (`aexit` is `__aexit__` bound as natively; `aexit(error)` passes what
        # `sys.exc_info()` is in the handler)
        exit_with_exc = cst.Call(func=name(aexit), args=[cst.Arg(name(error))])
        exit_clean = cst.Call(func=name(aexit), args=[cst.Arg(name("None"))] * 3)
        handler_body: Stmts = [
            assign(hit, name("True")),
            *self.emit_await(exit_with_exc, None),
            cst.If(
                test=negate(self.style.result),
                body=block([simple(cst.Raise())]),
            ),
            self.style.release,  # (suppressed)
        ]
        final_body: Stmts = [
            cst.If(
                test=negate(name(hit)),
                body=block([*self.emit_await(exit_clean, None), self.style.release]),
            ),
            # Natively the bound __aexit__ lives on the stack: gone once the statement
            # is done, as the __aenter__ value is but for the `as` target.
            release(aexit, aenter, value, hit),
        ]
        if comment is not None:  # the exit runs at the `async with` line, as natively
            exit_comment = cst.EmptyLine(comment=cst.Comment(f"{text} (exit)"))
            handler_body[0] = handler_body[0].with_changes(leading_lines=[exit_comment])
            final_body[0] = final_body[0].with_changes(leading_lines=[exit_comment])
        out.append(
            cst.Try(
                body=block([*stores, *inner]),
                handlers=[
                    cst.ExceptHandler(
                        body=block(handler_body), type=rt("BaseException"), name=cst.AsName(name=name(error))
                    )
                ],
                finalbody=cst.Finally(body=block(final_body)),
            )
        )
        return out


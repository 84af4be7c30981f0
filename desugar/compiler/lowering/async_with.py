"""``async with``, as the language reference spells it out: ``__aenter__``, the body, ``__aexit__``."""

from __future__ import annotations

import libcst as cst

from desugar.compiler.build import Stmts, assign, block, name, negate, one_line, release, rt, simple
from desugar.compiler.lowering.base import LoweringBase
from desugar.compiler.lowering.common import split_with, statements_of
from desugar.compiler.names import AWAITEE, PREFIX


class AsyncWithLowering(LoweringBase):
    """``async with``: called by the ``with`` statement's lowering."""

    def async_with(self, stmt: cst.With, items: list[cst.WithItem]) -> Stmts:
        """``async with`` as the language reference spells it out."""
        if len(items) > 1:
            stmt = split_with(stmt, items, 1)
        if self.ctx.compact and not _jumps_out(stmt.body):
            return self._async_with_compact(stmt)
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

    def _async_with_compact(self, stmt: cst.With) -> Stmts:
        """``async with`` in one block, as natively (see `desugar.compiler.blocks`)::

            _ds_aexit1, _ds_aenter1 = _ds_rt.async_with(mgr)
            ...                                  # await _ds_aenter1
            try:
                target = <the value>
                body
            except _ds_rt.BaseException:         # `__aexit__` gets sys.exc_info()
                ...                              # await _ds_aexit1(*_ds_rt.exc_info())
                if not <the result>:
                    raise
            else:
                ...                              # await _ds_aexit1(None, None, None)

        For a body that no ``return``, ``break`` or ``continue`` leaves (which
        only a ``finally`` could see): it completes, or raises. The manager and
        its ``__aexit__`` are released once the exit's awaitable is made, as
        natively they leave the stack while it is awaited.
        """
        item = stmt.items[0]
        pre, mgr_expr = self.expr(item.item)
        self.labels += 1
        aexit, aenter, value = (f"{PREFIX}{w}{self.labels}" for w in ("aexit", "aenter", "value"))
        lookup = assign(
            cst.Tuple([cst.Element(name(aexit)), cst.Element(name(aenter))], lpar=[], rpar=[]),
            cst.Call(func=rt("async_with"), args=[cst.Arg(mgr_expr)]),
        )
        out: Stmts = [*pre, lookup]
        comment = self.comment(item.item)
        text = ""
        if comment is not None:
            text = f"# line {self.ctx.positions(item.item)}: async with {one_line(item.item)}"
            out[len(pre)] = out[len(pre)].with_changes(leading_lines=[cst.EmptyLine(comment=cst.Comment(text))])
        out += self.emit_await(name(aenter), None, awaitee=True)
        stores: Stmts = []
        if item.asname is not None:
            out.append(assign(value, self.style.result))
            self.reset()
            stores = [*self.store(item.asname.name, name(value)), release(value)]
        else:
            out.append(simple(cst.Expr(self.style.result)))  # (read: the awaitee forgets it)
        out += [self.style.release, release(aenter)]
        body = statements_of(self.suite(stmt.body))

        def exit_(args: list[cst.Arg]) -> Stmts:
            call = cst.Call(func=name(aexit), args=args)
            stmts = self.emit_await(call, None, awaitee=True)
            at = 1 if self.style.temporaries == (AWAITEE,) else len(stmts)  # after the awaitable is made
            stmts[at:at] = [release(aexit)]
            if text:
                stmts[0] = stmts[0].with_changes(leading_lines=[cst.EmptyLine(comment=cst.Comment(f"{text} (exit)"))])
            return stmts

        exc_info = [cst.Arg(cst.Call(func=rt("exc_info")), star="*")]
        handler = [
            *exit_(exc_info),
            cst.If(test=negate(self.style.result), body=block([simple(cst.Raise())])),
            self.style.release,  # (suppressed)
        ]
        clean = [*exit_([cst.Arg(name("None"))] * 3), self.style.release]
        out.append(
            cst.Try(
                body=block([*stores, *body]),
                handlers=[cst.ExceptHandler(body=block(handler), type=rt("BaseException"))],
                orelse=cst.Else(body=block(clean)),
            )
        )
        return out


def _jumps_out(suite: cst.BaseSuite) -> bool:
    """Does a ``return``, or a ``break``/``continue`` of a loop around it, leave ``suite``?"""
    stack: list[tuple[cst.CSTNode, bool]] = [(suite, False)]  # (node, inside a loop of the suite)
    while stack:
        node, in_loop = stack.pop()
        if isinstance(node, cst.Return):
            return True
        if isinstance(node, (cst.Break, cst.Continue)) and not in_loop:
            return True
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda, cst.BaseExpression)):
            continue  # (scopes of their own; an expression holds no statement)
        if isinstance(node, (cst.For, cst.While)):
            stack.append((node.body, True))
            if node.orelse is not None:
                stack.append((node.orelse, in_loop))
            continue
        stack.extend((child, in_loop) for child in node.children)
    return False

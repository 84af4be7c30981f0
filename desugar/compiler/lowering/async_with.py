"""``async with``, as the language reference spells it out: ``__aenter__``, the body, ``__aexit__``."""

from __future__ import annotations

import libcst as cst

from typing import Callable

from desugar.compiler.build import Stmts, assign, block, name, negate, one_line, release, rt, simple
from desugar.compiler.lowering.base import LoweringBase
from desugar.compiler.lowering.common import is_temp, split_with, statements_of
from desugar.compiler.names import AWAITEE, PREFIX


class AsyncWithLowering(LoweringBase):
    """``async with``: called by the ``with`` statement's lowering."""

    def async_with(self, stmt: cst.With, items: list[cst.WithItem]) -> Stmts:
        """``async with`` as the language reference spells it out."""
        if len(items) > 1:
            stmt = split_with(stmt, items, 1)
        if self.ctx.compact and _exits_inline(stmt):
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
        if is_temp(mgr_expr):  # (held by its bound `__aexit__` only)
            out.append(release(mgr_expr.value))  # type: ignore[attr-defined]
        out = self.guarded(out)
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

        A ``return``, ``break`` or ``continue`` that leaves the body (which no
        ``except`` sees) exits first, as CPython's own code for it does: the
        value of ``return`` is computed, then ``__aexit__(None, None, None)``
        is awaited, then the jump is made; ``_ds_hit1`` keeps the handler from
        calling ``__aexit__`` again if that exit raises. Only a jump that no
        loop, ``try`` or ``with`` separates from the body is so rewritten
        (`_exits_inline`): those would have to run their own exits first. The
        manager and its ``__aexit__`` are released once the exit's awaitable
        is made, as natively they leave the stack while it is awaited.
        """
        item = stmt.items[0]
        pre, mgr_expr = self.expr(item.item)
        self.labels += 1
        aexit, aenter, value, hit, returned = (
            f"{PREFIX}{w}{self.labels}" for w in ("aexit", "aenter", "value", "hit", "returned")
        )
        lookup = assign(
            cst.Tuple([cst.Element(name(aexit)), cst.Element(name(aenter))], lpar=[], rpar=[]),
            cst.Call(func=rt("async_with"), args=[cst.Arg(mgr_expr)]),
        )
        out: Stmts = [*pre, lookup]
        if is_temp(mgr_expr):  # (held by its bound `__aexit__` only)
            out.append(release(mgr_expr.value))  # type: ignore[attr-defined]
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
        jumps = _Jumps(self.ctx.compact_withs)
        body = jumps.rewrite(
            body,
            lambda: [assign(hit, name("True")), *exit_([cst.Arg(name("None"))] * 3), self.style.release],
            returned,
        )
        if jumps.found:
            out.append(assign(hit, name("False")))
            handler.insert(0, cst.If(test=name(hit), body=block([simple(cst.Raise())])))
        clean = [*exit_([cst.Arg(name("None"))] * 3), self.style.release]
        if self.ctx.positions(item.item) in self.ctx.tight_withs:
            return out + self._async_with_tight(stores, body, jumps.found, hit, aexit, exit_, text)
        statement = cst.Try(
            body=block([*stores, *body]),
            handlers=[cst.ExceptHandler(body=block(handler), type=rt("BaseException"))],
            orelse=cst.Else(body=block(clean)),
        )
        self.ctx.compact_withs.add(id(statement))
        self.keep.append(statement)
        out.append(statement)
        return out


    def _async_with_tight(
        self, stores: Stmts, body: Stmts, jumps: bool, hit: str, aexit: str,
        exit_: Callable[[list[cst.Arg]], Stmts], text: str,
    ) -> Stmts:
        """A compact ``async with`` at the deepest block CPython allows: a ``with`` around the body.

        A ``try``/``except`` there would nest its handler two blocks deeper than
        CPython's limit; a ``with`` nests one, as natively (`_ds_rt.Caught`)::

            _ds_caught1 = _ds_rt.Caught()
            with _ds_caught1:                    # keeps the body's exception
                target = <the value>
                body
            if _ds_caught1.error is None:
                ...                              # await _ds_aexit1(None, None, None)
            else:                                # (a jump's exit that raised: _ds_hit1)
                ...                              # await _ds_rt.exiting(_ds_aexit1, _ds_caught1)
                if not <the result>:             # (the exception handled while it runs)
                    _ds_rt.reraise(_ds_caught1)
        """
        caught = hit.replace("hit", "caught")
        out: Stmts = [assign(caught, cst.Call(func=rt("Caught")))]
        if jumps:
            out.append(assign(hit, name("False")))
        error = cst.Attribute(name(caught), cst.Name("error"))
        is_none = cst.Comparison(left=error, comparisons=[cst.ComparisonTarget(cst.Is(), name("None"))])
        again = simple(cst.Expr(cst.Call(func=rt("reraise"), args=[cst.Arg(name(caught))])))
        call = cst.Call(func=rt("exiting"), args=[cst.Arg(name(aexit)), cst.Arg(name(caught))])
        exiting = self.emit_await(call, None, awaitee=True)
        at = 1 if self.style.temporaries == (AWAITEE,) else len(exiting)
        exiting[at:at] = [release(aexit)]
        if text:
            exiting[0] = exiting[0].with_changes(leading_lines=[cst.EmptyLine(comment=cst.Comment(f"{text} (exit)"))])
        failed: Stmts = [
            *exiting,
            cst.If(test=negate(self.style.result), body=block([again])),
            self.style.release,
        ]
        if jumps:
            failed.insert(0, cst.If(test=name(hit), body=block([again])))
        statement = cst.With(items=[cst.WithItem(name(caught))], body=block([*stores, *body]))
        self.ctx.compact_withs.add(id(statement))
        self.keep.append(statement)
        out.append(statement)
        out.append(
            cst.If(
                test=is_none,
                body=block([*exit_([cst.Arg(name("None"))] * 3), self.style.release]),
                orelse=cst.Else(body=block(failed)),
            )
        )
        out.append(release(caught))
        return out


class _Jumps:
    """Rewrite the jumps that leave a compact ``async with``'s lowered body to exit first."""

    def __init__(self, compact_withs: set[int]) -> None:
        self.compact_withs = compact_withs  # the `try` statements of the compact `async with`s inside
        self.found = False

    def rewrite(self, stmts: Stmts, exit_: Callable[[], Stmts], returned: str, in_loop: bool = False) -> Stmts:
        out: Stmts = []
        for stmt in stmts:
            out += self.statement(stmt, exit_, returned, in_loop)
        return out

    def suite(self, suite: cst.BaseSuite, exit_: Callable[[], Stmts], returned: str, in_loop: bool) -> cst.BaseSuite:
        body = self.rewrite(statements_of(suite), exit_, returned, in_loop)
        return suite.with_changes(body=body) if isinstance(suite, cst.IndentedBlock) else block(body)

    def statement(self, stmt: cst.BaseStatement, exit_: Callable[[], Stmts], returned: str, in_loop: bool) -> Stmts:
        if isinstance(stmt, cst.SimpleStatementLine):
            for at, small in enumerate(stmt.body):
                jump = isinstance(small, cst.Return) or isinstance(small, (cst.Break, cst.Continue)) and not in_loop
                if not jump:
                    continue
                self.found = True
                before: Stmts = [stmt.with_changes(body=list(stmt.body[:at]))] if at else []
                if isinstance(small, cst.Return) and small.value is not None:
                    before.append(assign(returned, small.value))
                    small = small.with_changes(value=name(returned))
                last = simple(small.with_changes(semicolon=cst.MaybeSentinel.DEFAULT))
                out = [*before, *exit_(), last]
                out[0] = out[0].with_changes(leading_lines=[*stmt.leading_lines, *out[0].leading_lines])
                return out
            return [stmt]
        if isinstance(stmt, cst.If):
            orelse = stmt.orelse
            if isinstance(orelse, cst.If):
                orelse = self.statement(orelse, exit_, returned, in_loop)[0]  # type: ignore[assignment]
            elif isinstance(orelse, cst.Else):
                orelse = orelse.with_changes(body=self.suite(orelse.body, exit_, returned, in_loop))
            return [stmt.with_changes(body=self.suite(stmt.body, exit_, returned, in_loop), orelse=orelse)]
        if isinstance(stmt, cst.Match):
            cases = [c.with_changes(body=self.suite(c.body, exit_, returned, in_loop)) for c in stmt.cases]
            return [stmt.with_changes(cases=cases)]
        if isinstance(stmt, cst.While):  # (its `break` and `continue` are its own)
            return [stmt.with_changes(body=self.suite(stmt.body, exit_, returned, True))]
        if isinstance(stmt, (cst.Try, cst.With)) and id(stmt) in self.compact_withs:  # an inner one: exits first
            rewritten = stmt.with_changes(body=self.suite(stmt.body, exit_, returned, in_loop))
            self.compact_withs.add(id(rewritten))  # (still one, for the `async with`s around this one)
            return [rewritten]
        return [stmt]  # (no jump out of it: see `_exits_inline`)


def _exits_inline(stmt: cst.With, known: dict[int, bool] | None = None) -> bool:
    """Can the jumps that leave ``stmt``'s body be rewritten to exit first?

    Only if none of them is inside a ``for`` loop (its iterator is dropped
    before the exit, natively), a ``try`` or a ``with`` (their own exits run
    first), but an inner ``async with`` that qualifies (its exit runs first,
    inline too). ``while`` loops and ``if``/``match`` are crossed freely.
    """
    if known is None:
        known = {}  # id(inner async with) -> does it qualify (its node alive in stmt)
    stack: list[tuple[cst.CSTNode, bool, bool]] = [(stmt.body, False, False)]  # (node, in a loop, crossed)
    while stack:
        node, in_loop, crossed = stack.pop()
        if isinstance(node, cst.Return) or isinstance(node, (cst.Break, cst.Continue)) and not in_loop:
            if crossed:
                return False
            continue
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda, cst.BaseExpression)):
            continue
        if isinstance(node, cst.While):
            stack.append((node.body, True, crossed))
            if node.orelse is not None:
                stack.append((node.orelse, in_loop, crossed))
            continue
        if isinstance(node, cst.For):
            stack.append((node.body, True, True))  # (a `return` there crosses the loop)
            if node.orelse is not None:
                stack.append((node.orelse, in_loop, crossed))
            continue
        if isinstance(node, cst.With) and node.asynchronous is not None and len(node.items) == 1 and _qualifies(node, known):
            stack.append((node.body, in_loop, crossed))
            continue
        if isinstance(node, (cst.With, cst.Try, cst.TryStar)):
            stack.extend((child, in_loop, True) for child in node.children)
            continue
        stack.extend((child, in_loop, crossed) for child in node.children)
    return True


def _qualifies(stmt: cst.With, known: dict[int, bool]) -> bool:
    """`_exits_inline` of an inner ``async with``, found once per outer one's walk:
    the walk goes on into its body, whose own inner ones it would ask again
    (twice as many questions per level of nesting)."""
    found = known.get(id(stmt))
    if found is None:
        found = known[id(stmt)] = _exits_inline(stmt, known)
    return found

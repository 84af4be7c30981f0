"""Statements and blocks (rustc's ``block.rs``): simple and compound statements that await.

Each statement is lowered on its own (its temporaries numbered from 1), in
the order CPython runs its parts: assignment targets after values (but
augmented targets read first), ``elif`` tests only after the tests before,
``while`` tests before each round, ``except`` types and ``match`` guards only
when reached. Statements that do not await are kept as written.
"""

from __future__ import annotations

from typing import Sequence

import libcst as cst

from desugar.compiler.build import Stmts, assign, block, merge_releases, name, negate, one_line, release, rt, simple
from desugar.compiler.lowering.base import LoweringBase
from desugar.compiler.lowering.common import is_temp, split_with, statements_of
from desugar.compiler.names import AUG_KEY, AUG_TARGET, AUG_VALUE, PREFIX


class StatementLowering(LoweringBase):
    """Blocks, suites, simple statements, and ``if``/``while``/``for``/``with``/``try``/``match``."""

    # ------------------------------------------------------------------
    # Statements
    def block(self, stmts: Sequence[cst.BaseStatement]) -> Stmts:
        out: Stmts = []
        for stmt in stmts:
            out += self.statement(stmt)
        return out

    def suite(self, suite: cst.BaseSuite) -> cst.BaseSuite:
        if isinstance(suite, cst.IndentedBlock):
            body = self.block(suite.body)
            return suite.with_changes(body=body)
        assert isinstance(suite, cst.SimpleStatementSuite)
        lowered = self.small_statements(suite.body)
        if lowered is None:
            return suite
        return cst.IndentedBlock(body=lowered, header=suite.trailing_whitespace)

    def statement(self, stmt: cst.BaseStatement) -> Stmts:
        self.reset()
        if isinstance(stmt, cst.SimpleStatementLine):
            out = self.small_statements(stmt.body)
            if out is None:
                self.ctx.kept.add(id(stmt))
                return [stmt]
            if not out:
                out = [simple(cst.Pass())]
            first = out[0]
            if isinstance(first, cst.SimpleStatementLine):
                kept = {"trailing_whitespace": stmt.trailing_whitespace}
            elif isinstance(first, cst.Try) and isinstance(first.body, cst.IndentedBlock):
                # (the `try` that clears temporaries: the line's comment goes after `try:`)
                kept = {"body": first.body.with_changes(header=stmt.trailing_whitespace)}
            else:
                kept = {}
            out[0] = first.with_changes(leading_lines=[*stmt.leading_lines, *first.leading_lines], **kept)
            return out
        # Comments and blank lines above a compound statement go above whatever it becomes.
        lines = stmt.leading_lines  # type: ignore[attr-defined]
        method = getattr(self, f"_stmt_{type(stmt).__name__}")
        out = method(stmt.with_changes(leading_lines=[]))
        if lines:
            out[0] = out[0].with_changes(leading_lines=[*lines, *out[0].leading_lines])
        return out

    def small_statements(self, small: Sequence[cst.BaseSmallStatement]) -> Stmts | None:
        out: Stmts = []
        pending: list[cst.BaseSmallStatement] = []
        lowered_any = False
        for stmt in small:
            self.reset()
            lowered = self.small(stmt)
            if lowered is None:
                pending.append(stmt.with_changes(semicolon=cst.MaybeSentinel.DEFAULT))
                continue
            lowered_any = True
            if pending:
                out.append(cst.SimpleStatementLine(body=pending))
                pending = []
            out.extend(self.guarded(merge_releases(lowered)))
        if not lowered_any:
            return None
        if pending:
            out.append(cst.SimpleStatementLine(body=pending))
        return out

    def small(self, stmt: cst.BaseSmallStatement) -> Stmts | None:
        """Statements for one small statement that suspends, or None if it does not."""
        if not self.suspends(stmt):
            return None
        value = getattr(stmt, "value", None)
        # The statement forms whose whole value is awaited read as rustc's output.
        if isinstance(value, cst.Await) and not self.suspends(value.expression):
            if isinstance(stmt, cst.Expr):
                return self.with_comment([*self.emit_await(value.expression, None), self.style.release], value)
            if isinstance(stmt, cst.Return):
                return self.with_comment(
                    [*self.emit_await(value.expression, None), simple(stmt.with_changes(value=self.style.result))],
                    value,
                )
            if isinstance(stmt, cst.Assign) and not any(self.suspends(t.target) for t in stmt.targets):
                return self.with_comment(
                    [
                        *self.emit_await(value.expression, None),
                        simple(stmt.with_changes(value=self.style.result)),
                        self.style.release,
                    ],
                    value,
                )
        method = getattr(self, f"_small_{type(stmt).__name__}", None)
        if method is None:
            raise self.ctx.fail(stmt, f"`await` in {type(stmt).__name__} is not supported")
        return method(stmt)

    def _small_Expr(self, stmt: cst.Expr) -> Stmts:
        pre, value = self.expr(stmt.value)
        if value is self.style.result or isinstance(value, cst.Name) and value.value.startswith(PREFIX):
            return pre + self.release()
        return pre + [simple(stmt.with_changes(value=value))] + self.release()

    def _small_Return(self, stmt: cst.Return) -> Stmts:
        pre, value = self.expr(stmt.value)  # type: ignore[arg-type]
        return pre + [simple(stmt.with_changes(value=value))]

    def _small_Raise(self, stmt: cst.Raise) -> Stmts:
        parts = [(stmt.exc, None)] + ([(stmt.cause.item, None)] if stmt.cause else [])
        pre, low = self.ordered(stmt, parts)
        held = [p.value for p in (low.exc, low.cause.item if low.cause else None) if p is not None and is_temp(p)]
        if held and self.awaited:  # (and what the awaits left: the callback lowering's value)
            held += self.style.temporaries
        elif self.awaited and isinstance(self.style.result, cst.Name):
            held += self.style.temporaries
        if not held or not self.ctx.compact:  # (`guarded` clears them as it unwinds)
            return pre + [simple(low)]
        # A temporary holding the exception (or its cause) as it leaves would make
        # a cycle: exception -> traceback -> this frame -> the temporary. Natively
        # it is only on the value stack; here it is deleted as the raise unwinds
        # (`guarded` does it but in the compact shapes).
        self.released.update(held)
        return pre + [cst.Try(body=block([simple(low)]), finalbody=cst.Finally(body=block([release(*held)])))]

    def _small_Assert(self, stmt: cst.Assert) -> Stmts:
        pre, test = self.cond(stmt.test)
        test = self.settled(test, pre)
        fail, msg = self.branch(lambda: self.expr(stmt.msg)) if stmt.msg is not None else ([], None)
        fail.append(simple(cst.Assert(test=name("False"), msg=msg)))
        check = cst.If(
            test=negate(test), body=block(fail)
        )
        return [cst.If(test=name("__debug__"), body=block([*pre, check]))]

    def _small_Assign(self, stmt: cst.Assign) -> Stmts:
        pre, value = self.expr(stmt.value)
        if not any(self.suspends(t.target) for t in stmt.targets):
            return pre + [simple(stmt.with_changes(value=value))] + self.release()
        value = self.spill(value, pre)
        for target in stmt.targets:
            pre += self.store(target.target, value)
        return pre + self.release()

    def _small_AnnAssign(self, stmt: cst.AnnAssign) -> Stmts:
        # In a function, annotations of assignment targets are never evaluated:
        # one that awaits is kept as text (a bare name stays a local).
        if self.suspends(stmt.annotation.annotation):
            text = cst.SimpleString(repr(one_line(stmt.annotation.annotation, 1000)))
            stmt = stmt.with_changes(annotation=stmt.annotation.with_changes(annotation=text))
            if stmt.value is None or not self.suspends(stmt):
                return [simple(stmt)]
        if stmt.value is None:
            pre, place = self.target_parts(stmt.target)
            return pre + [simple(stmt.with_changes(target=place))] + self.release()
        pre, value = self.expr(stmt.value)
        if not self.suspends(stmt.target):
            return pre + [simple(stmt.with_changes(value=value))] + self.release()
        value = self.spill(value, pre)
        return pre + self.store(stmt.target, value) + self.release()

    def target_parts(self, target: cst.BaseExpression) -> tuple[Stmts, cst.BaseExpression]:
        """Evaluate the sub-expressions of an assignment target; the target to store to."""
        if isinstance(target, cst.Attribute):
            pre, obj = self.expr(target.value)
            return pre, target.with_changes(value=obj)
        if isinstance(target, cst.Subscript):
            return self.ordered(target, self.operands(target), settle=False)
        return [], target

    def store(self, target: cst.BaseExpression, value: cst.BaseExpression) -> Stmts:
        """Assign ``value`` to ``target`` as ``target = value`` does, awaits inside the target included."""
        if isinstance(target, (cst.Tuple, cst.List)) and self.suspends(target):
            temps: list[cst.BaseElement] = []
            names: list[tuple[cst.BaseExpression, str]] = []
            for element in target.elements:
                t = self.temp()
                if isinstance(element, cst.StarredElement):
                    temps.append(cst.StarredElement(name(t)))
                else:
                    temps.append(cst.Element(name(t)))
                names.append((element.value, t))
            stmts: Stmts = [assign(cst.Tuple(temps, lpar=[], rpar=[]), value)]
            for element_target, t in names:
                stmts += self.store(element_target, name(t))
            return stmts
        pre, place = self.target_parts(target)
        return pre + [assign(place, value)]  # type: ignore[arg-type]

    def _small_AugAssign(self, stmt: cst.AugAssign) -> Stmts:
        # Python reads the target before it evaluates the right-hand side:
        # `t[k] += await f()` loads t, k and t[k], then awaits.
        target = stmt.target
        before: Stmts = []
        temps = [AUG_VALUE]
        if isinstance(target, cst.Name):
            place: cst.BaseAssignTargetExpression = target
        elif isinstance(target, cst.Attribute):
            pre, obj = self.expr(target.value)
            before += pre + [assign(AUG_TARGET, obj)]
            place = target.with_changes(value=name(AUG_TARGET), lpar=[], rpar=[])
            temps.insert(0, AUG_TARGET)
        else:
            assert isinstance(target, cst.Subscript)
            pre, obj = self.expr(target.value)
            before += pre
            key_pre, key = self.subscript_key(target.slice)
            if key_pre:
                obj = self.spill(obj, before)
            before += key_pre + [assign(AUG_TARGET, obj), assign(AUG_KEY, key)]
            place = cst.Subscript(
                value=name(AUG_TARGET), slice=[cst.SubscriptElement(cst.Index(name(AUG_KEY)))]
            )
            temps[:0] = [AUG_TARGET, AUG_KEY]
        before.append(assign(AUG_VALUE, place))
        pre, value = self.expr(stmt.value)
        after = [
            simple(stmt.with_changes(target=name(AUG_VALUE), value=value)),
            assign(place, name(AUG_VALUE)),
        ]
        self.unconditional[:0] = temps
        return [*before, *pre, *after] + self.release()

    def subscript_key(self, slice_: Sequence[cst.SubscriptElement]) -> tuple[Stmts, cst.BaseExpression]:
        """The key ``a[...]`` passes to ``__getitem__``, evaluated once, in order."""
        if len(slice_) == 1 and slice_[0].comma is cst.MaybeSentinel.DEFAULT:
            only = slice_[0].slice
            if isinstance(only, cst.Index) and only.star is None:
                return self.expr(only.value)
        key = cst.Subscript(value=rt("subscript_key"), slice=slice_)
        return self.ordered(key, self.operands(key)[1:])

    def _small_Del(self, stmt: cst.Del) -> Stmts:
        # `del a[k1], b[k2]` deletes one target after the other.
        target = stmt.target
        targets = [e.value for e in target.elements] if isinstance(target, (cst.Tuple, cst.List)) else [target]
        out: Stmts = []
        for one in targets:
            pre, place = self.target_parts(one)
            out += pre + [simple(cst.Del(target=place))]  # type: ignore[arg-type]
        return out + self.release()

    # --- compound statements -----------------------------------------------
    def _stmt_If(self, stmt: cst.If) -> Stmts:
        arms = [stmt]
        while isinstance(arms[-1].orelse, cst.If):
            arms.append(arms[-1].orelse)  # type: ignore[arg-type]
        if any(self.suspends(arm.test) for arm in arms[1:]):
            return self._if_chain(arms)
        pre, test = self.cond(stmt.test)
        test = self.settled(test, pre)
        orelse = stmt.orelse
        if isinstance(orelse, cst.If):
            orelse = self._stmt_If(orelse)[0]  # type: ignore[assignment]
        elif isinstance(orelse, cst.Else):
            orelse = orelse.with_changes(body=self.suite(orelse.body))
        return self.guarded(pre) + [stmt.with_changes(test=test, body=self.suite(stmt.body), orelse=orelse)]

    def _if_chain(self, arms: list[cst.If]) -> Stmts:
        """``if``/``elif`` whose ``elif`` tests await: flat, however many there are.

        An ``elif`` test is evaluated only if the tests before it failed; the
        tests pick the branch, then the branch runs (no code runs in between)::

            _ds_arm1 = 0                # no branch taken yet
            ...                         # the first test (and its await)
            if test1:
                _ds_arm1 = 1
            elif test2:                 # (tests that do not await stay an elif)
                _ds_arm1 = 2
            if not _ds_arm1:
                ...                     # an awaiting elif test
                if test3:
                    _ds_arm1 = 3
            if _ds_arm1 == 1:
                body1
            elif _ds_arm1 == 2:
            ...
            else:
                else_body

        Nesting each awaiting ``elif`` in the ``else`` of the one before would
        nest one level per branch (past Python's 100 indentation levels).
        """
        arm = self.label("arm")
        out: Stmts = [assign(arm, cst.Integer("0"))]
        groups: list[list[tuple[int, cst.If]]] = []
        for index, node in enumerate(arms, 1):
            if index == 1 or self.suspends(node.test):
                groups.append([])
            groups[-1].append((index, node))
        for number, group in enumerate(groups):
            self.reset()
            pre, test = self.cond(group[0][1].test)
            test = self.settled(test, pre)
            chain: cst.If | None = None
            for index, node in reversed(group):
                chain = cst.If(
                    test=test if index == group[0][0] else node.test,
                    body=block([assign(arm, cst.Integer(str(index)))]),
                    orelse=chain,
                )
            stmts: Stmts = [*self.guarded(pre), chain, *self.release()]  # type: ignore[list-item]
            out += stmts if number == 0 else [cst.If(test=negate(name(arm)), body=block(stmts))]
        final = arms[-1].orelse
        dispatch: cst.If | cst.Else | None = (
            final.with_changes(body=self.suite(final.body)) if isinstance(final, cst.Else) else None
        )
        bodies = [self.suite(node.body) for node in arms]
        for index, node in reversed(list(enumerate(arms, 1))):
            test = cst.Comparison(
                left=name(arm),
                comparisons=[cst.ComparisonTarget(operator=cst.Equal(), comparator=cst.Integer(str(index)))],
            )
            dispatch = node.with_changes(test=test, body=bodies[index - 1], orelse=dispatch)
        return [*out, dispatch]  # type: ignore[list-item]

    def _else(self, orelse: cst.Else | None) -> cst.Else | None:
        return None if orelse is None else orelse.with_changes(body=self.suite(orelse.body))

    def _stmt_While(self, stmt: cst.While) -> Stmts:
        body = self.suite(stmt.body)
        if not self.suspends(stmt.test):
            return [stmt.with_changes(body=body, orelse=self._else(stmt.orelse))]
        # The test is evaluated before every iteration: it moves into the loop.
        pre, test = self.cond(stmt.test)
        test = self.settled(test, pre)
        exit_: Stmts = [simple(cst.Break())]
        out: Stmts = []
        flag = None
        if stmt.orelse is not None:
            flag = self.label("exhausted")
            out.append(assign(flag, name("False")))
            exit_.insert(0, assign(flag, name("True")))
        check = cst.If(test=negate(test), body=block(exit_))
        inner = statements_of(body)
        out.append(cst.While(test=name("True"), body=block([*self.guarded(pre), check, *inner])))
        if flag is not None:
            out.append(cst.If(test=name(flag), body=self.suite(stmt.orelse.body)))  # type: ignore[union-attr]
        return out

    def _stmt_For(self, stmt: cst.For) -> Stmts:
        pre, iterable = self.expr(stmt.iter)
        body = self.suite(stmt.body)
        target = stmt.target
        if self.suspends(target):
            t = self.label("item")
            self.reset()
            stores = self.store(target, name(t))
            inner = statements_of(body)
            body = block([*stores, *inner])
            target = name(t)
        if stmt.asynchronous is not None:
            loop = self.async_for(stmt, iterable, target, body)
            if is_temp(iterable):  # (natively the iterable dies once `__aiter__` has run)
                loop.insert(1, release(iterable.value))  # type: ignore[attr-defined]
                return self.guarded(pre + loop[:2]) + loop[2:]
            return self.guarded(pre) + loop
        if is_temp(iterable):
            # Natively the iterable dies once `iter()` has run, and the iterator
            # when the loop ends: a local holds the iterator (the body's
            # statements reuse the temporaries' names), then neither.
            it = self.label("iter")
            pre += [assign(it, cst.Call(func=rt("into_iter"), args=[cst.Arg(iterable)])), release(iterable.value)]  # type: ignore[attr-defined]
            loop = stmt.with_changes(iter=name(it), target=target, body=body, orelse=self._else(stmt.orelse))
            if self.ctx.compact:  # (no block more: see `desugar.compiler.blocks`)
                return self.guarded(pre) + [loop, release(it)]
            # (and an exception or a `return` leaving the loop drops it first, as natively)
            return self.guarded(pre) + [cst.Try(body=block([loop]), finalbody=cst.Finally(body=block([release(it)])))]
        return self.guarded(pre) + [stmt.with_changes(iter=iterable, target=target, body=body, orelse=self._else(stmt.orelse))]

    def _stmt_With(self, stmt: cst.With) -> Stmts:
        items = list(stmt.items)
        if stmt.asynchronous is not None:
            return self.async_with(stmt, items)
        split = next((i for i, item in enumerate(items) if i > 0 and self.suspends(item)), None)
        if split is not None:  # later items are evaluated inside the earlier ones
            return self._stmt_With(split_with(stmt, items, split))
        item = items[0]
        pre, ctx_expr = self.expr(item.item)
        body = self.suite(stmt.body)
        if is_temp(ctx_expr):  # (the manager lives on in its bound `__exit__`, as natively)
            body = block([release(ctx_expr.value), *statements_of(body)])  # type: ignore[attr-defined]
        new_item = item.with_changes(item=ctx_expr)
        if item.asname is not None and self.suspends(item.asname.name):
            t = self.label("value")
            self.reset()
            stores = self.store(item.asname.name, name(t))
            inner = statements_of(body)
            body = block([*stores, *inner])
            new_item = new_item.with_changes(asname=item.asname.with_changes(name=name(t)))
        return self.guarded(pre) + [stmt.with_changes(items=[new_item, *items[1:]], body=body)]

    def _stmt_Try(self, stmt: cst.Try) -> Stmts:
        handlers = list(stmt.handlers)
        split = next((i for i, h in enumerate(handlers) if self.suspends(h.type)), None)
        if split is not None and isinstance(stmt, cst.TryStar):
            return [
                cst.Try(
                    body=self.suite(stmt.body),
                    handlers=[self.except_star(handlers)],  # type: ignore[arg-type]
                    orelse=self._else(stmt.orelse),
                    finalbody=None if stmt.finalbody is None else stmt.finalbody.with_changes(body=self.suite(stmt.finalbody.body)),
                    leading_lines=stmt.leading_lines,
                )
            ]
        kept = [h.with_changes(body=self.suite(h.body)) for h in handlers[: split if split is not None else len(handlers)]]
        if split is not None:
            kept.append(self.except_chain(handlers[split:]))
        return [
            stmt.with_changes(
                body=self.suite(stmt.body),
                handlers=kept,
                orelse=self._else(stmt.orelse),
                finalbody=None if stmt.finalbody is None else stmt.finalbody.with_changes(body=self.suite(stmt.finalbody.body)),
            )
        ]

    def except_chain(self, handlers: Sequence[cst.ExceptHandler]) -> cst.ExceptHandler:
        """``except`` clauses whose types await: one handler that tests them in order.

        A clause's type is evaluated only when the clauses before it did not match;
        when none matches, the exception propagates unchanged (a bare ``raise``).
        """
        caught = self.label("exception")
        chain: Stmts = [simple(cst.Raise())]
        for handler in reversed(handlers):
            self.reset()
            body = statements_of(self.suite(handler.body))
            if handler.name is not None:
                target = handler.name.name
                body = [
                    assign(target, name(caught)),  # type: ignore[arg-type]
                    cst.Try(
                        body=block(body),
                        finalbody=cst.Finally(body=block([assign(target, name("None")), simple(cst.Del(target=target))])),  # type: ignore[arg-type]
                    ),
                ]
            if handler.type is None:
                chain = body
                continue
            pre, kind = self.expr(handler.type)
            test = cst.Call(func=rt("exception_matches"), args=[cst.Arg(name(caught)), cst.Arg(kind)])
            chain = [*self.guarded(pre), cst.If(test=test, body=block(body), orelse=cst.Else(body=block(chain)))]
        return cst.ExceptHandler(
            body=block(chain),
            type=rt("BaseException"),  # (not a name the module may bind)
            name=cst.AsName(name=name(caught)),
        )

    def except_star(self, handlers: Sequence[cst.ExceptStarHandler]) -> cst.ExceptHandler:
        """``except*`` clauses whose types await: the clauses run one after another as CPython runs them.

        See `desugar.runtime._except_star`::

            except _ds_rt.BaseException as _ds_group1:
                _ds_star1 = _ds_rt.ExceptStar(_ds_group1)
                try:                                  # each clause: its type is evaluated
                    raise _ds_star1.raising()         # with sys.exception() as natively
                except _ds_rt.BaseException:
                    _ds_star1.entered()
                    ...                               # the type, awaits included
                    _ds_hit1 = _ds_star1.match(<type>)
                if _ds_hit1:                          # its handler, with the part it matched
                    try:                              # as sys.exception() (and its `as` name)
                        raise _ds_star1.raising()
                    except _ds_rt.BaseException as name:
                        _ds_star1.entered()
                        try:
                            body
                        except _ds_rt.BaseException as _ds_raised1:
                            _ds_star1.failed(_ds_raised1)
                ...
                if _ds_star1.finish():                # what is left, and what the handlers
                    try:                              # raised, merged: re-raised as natively
                        raise _ds_star1.raising()     # (no line added to its traceback)
                    except _ds_rt.BaseException:
                        _ds_star1.entered()
                        del _ds_star1
                        raise
                del _ds_star1
        """
        group = self.label("group")
        star = self.label("star")
        hit = self.label("hit")

        def entering(stmts: Stmts, as_name: cst.AsName | None = None) -> cst.Try:
            entered = simple(cst.Expr(cst.Call(func=cst.Attribute(name(star), cst.Name("entered")))))
            return cst.Try(
                body=block([simple(cst.Raise(exc=cst.Call(func=cst.Attribute(name(star), cst.Name("raising")))))]),
                handlers=[cst.ExceptHandler(body=block([entered, *stmts]), type=rt("BaseException"), name=as_name)],
            )

        out: Stmts = [assign(star, cst.Call(func=rt("ExceptStar"), args=[cst.Arg(name(group))]))]
        for handler in handlers:
            self.reset()
            pre, kind = self.expr(handler.type)  # type: ignore[arg-type]
            test = cst.Call(func=cst.Attribute(name(star), cst.Name("match")), args=[cst.Arg(kind)])
            out.append(entering([*self.guarded([*pre, assign(hit, test)]), *self.release()]))
            self.reset()
            raised = self.label("raised")
            body = cst.Try(
                body=self.suite(handler.body),
                handlers=[
                    cst.ExceptHandler(
                        body=block([simple(cst.Expr(cst.Call(func=cst.Attribute(name(star), cst.Name("failed")), args=[cst.Arg(name(raised))])))]),
                        type=rt("BaseException"),
                        name=cst.AsName(name=name(raised)),
                    )
                ],
            )
            as_name = None if handler.name is None else cst.AsName(name=handler.name.name)
            out.append(cst.If(test=name(hit), body=block([entering([body], as_name)])))
        reraise = entering([release(star), simple(cst.Raise())])
        finish = cst.Call(func=cst.Attribute(name(star), cst.Name("finish")))
        out += [cst.If(test=finish, body=block([reraise])), release(star, hit)]
        return cst.ExceptHandler(body=block(out), type=rt("BaseException"), name=cst.AsName(name=name(group)))

    _stmt_TryStar = _stmt_Try

    def _stmt_Match(self, stmt: cst.Match) -> Stmts:
        pre, subject = self.expr(stmt.subject)
        cases = list(stmt.cases)
        if not any(self.suspends(c.guard) for c in cases):
            return self.guarded(pre) + [stmt.with_changes(subject=subject, cases=[c.with_changes(body=self.suite(c.body)) for c in cases])]
        # Guards that await, flat however many there are (no nesting per guard)::
        #
        #     _ds_subject1 = subject
        #     _ds_arm1 = 0                  # no case taken yet
        #     match _ds_subject1:           # the cases up to the first awaiting guard
        #         case p1 if g1:
        #             _ds_arm1 = 1
        #             body1
        #         case p2:                  # its guard awaits: tested after the match,
        #             _ds_arm1 = 2          # with the names the pattern bound
        #     if _ds_arm1 == 2:
        #         ...                       # the guard, evaluated only if p2 matched
        #         if not guard2:
        #             _ds_arm1 = 0          # it fails: the next cases are tried
        #     if _ds_arm1 == 2:
        #         body2
        #     if not _ds_arm1:              # the next cases, the same way
        #         match _ds_subject1:
        #             ...
        #
        # Each match ends at an awaiting guard's case, so a capture or wildcard
        # pattern there is its match's last case (never "makes remaining
        # patterns unreachable").
        subject_name = self.label("subject")
        arm = f"{PREFIX}arm{self.labels}"
        out: Stmts = [*self.guarded([*pre, assign(subject_name, subject)]), assign(arm, cst.Integer("0"))]
        group: list[cst.MatchCase] = []
        first = True

        def flush() -> None:
            nonlocal first
            if not group:
                return
            match = stmt.with_changes(subject=name(subject_name), cases=list(group), leading_lines=[])
            group.clear()
            out.append(match if first else cst.If(test=negate(name(arm)), body=block([match])))
            first = False

        def taken(index: int) -> cst.Comparison:
            return cst.Comparison(
                left=name(arm),
                comparisons=[cst.ComparisonTarget(operator=cst.Equal(), comparator=cst.Integer(str(index)))],
            )

        for index, case in enumerate(cases, 1):
            mark = assign(arm, cst.Integer(str(index)))
            if not self.suspends(case.guard):
                group.append(case.with_changes(body=block([mark, *statements_of(self.suite(case.body))])))
                continue
            group.append(
                case.with_changes(
                    guard=None,
                    whitespace_before_if=cst.SimpleWhitespace(""),
                    whitespace_after_if=cst.SimpleWhitespace(""),
                    body=block([mark]),
                )
            )
            flush()
            self.reset()
            gpre, guard = self.cond(case.guard)  # type: ignore[arg-type]
            guard = self.settled(guard, gpre)
            fail = cst.If(test=negate(guard), body=block([assign(arm, cst.Integer("0"))]))
            out.append(cst.If(test=taken(index), body=block([*self.guarded(gpre), fail, *self.release()])))
            out.append(cst.If(test=taken(index), body=self.suite(case.body)))
        flush()
        return out

"""Expressions (rustc's ``expr.rs``): an expression that awaits, exploded in CPython's order.

An ``await`` may stand anywhere an expression may. Where it does, the
expression is *exploded*: every operand Python evaluates before the await is
evaluated before it, once, into a temporary (``_ds_t1``...), then the await
is emitted (in the module's style, see `desugar.compiler.styles`), then the
rest of the expression is evaluated as written. ``and``/``or``, ``x if c else
y`` and chained comparisons become ``if`` statements so that short-circuiting
is kept.
"""

from __future__ import annotations

import sys
from typing import Sequence

import libcst as cst

from desugar.compiler.build import Stmts, assign, atom, block, code_for, name, negate, release, simple, truth
from desugar.compiler.lowering.base import LoweringBase
from desugar.compiler.lowering.common import is_constant, is_temp, replace

_NESTED_LINKS = 4  # comparison chains with more awaiting links than this are lowered flat
_STACK_USE_GUIDELINE = 30  # CPython's compiler: displays longer than this are built step by step
EMPTY_SET = cst.Set([cst.StarredElement(cst.Tuple([]))])  # `{*()}`: no name to look up


def _display(kind: type, elements: Sequence[cst.CSTNode]) -> cst.BaseExpression:
    """A set or dict display of ``elements`` (their own commas dropped: the display places them)."""
    return kind([e.with_changes(comma=cst.MaybeSentinel.DEFAULT) for e in elements])


def _dict_steps(elements: Sequence[cst.BaseDictElement]) -> list[tuple[int, int, bool]]:
    """The steps in which CPython builds a dict display (``compiler_dict``).

    Each is ``(start, end, big)`` over ``elements``: a ``**`` element alone,
    merged into the dict being built, or a run of pairs made into a dict of its
    own when the run ends (``big``: 16 pairs or more, each added as evaluated).
    """
    steps: list[tuple[int, int, bool]] = []
    count = 0
    for i, element in enumerate(elements):
        if isinstance(element, cst.StarredDictElement):
            if count:
                steps.append((i - count, i, count * 2 > _STACK_USE_GUIDELINE))
                count = 0
            steps.append((i, i + 1, False))
        elif count * 2 > _STACK_USE_GUIDELINE:
            steps.append((i - count, i + 1, True))
            count = 0
        else:
            count += 1
    if count:
        steps.append((len(elements) - count, len(elements), count * 2 > _STACK_USE_GUIDELINE))
    return steps

_THREADED = sys.version_info < (3, 12)
"""CPython up to 3.11 threads jumps: in ``(a and b) or await c`` it tests ``a`` once.

3.12 tests the value of ``(a and b)`` again (a falsy ``a`` twice). The
translation follows the Python that translates (the import hook's is the one
that runs the code)."""

# Kept with their operands in temporaries to the statement's end: the parts of
# an f-string (strings), a yield (it would hold its value through the
# suspension, either way), and `and`/`or` (its value may be that operand; and
# `t and b and c`, nested to the left by libcst, is one chain to keep whole).
_UNSETTLED = (cst.FormattedString, cst.FormattedStringExpression, cst.Yield, cst.BooleanOperation)


class ExpressionLowering(LoweringBase):
    """``expr``: statements to run first, and the expression that then gives the value."""

    # ------------------------------------------------------------------
    # Expressions
    def expr(self, node: cst.BaseExpression) -> tuple[Stmts, cst.BaseExpression]:
        """Statements to run first, and the expression that then gives ``node``'s value."""
        if not self.suspends(node):
            return [], node
        method = getattr(self, f"_expr_{type(node).__name__}", None)
        pre, value = method(node) if method is not None else self.ordered(node, self.operands(node))
        if type(value) is type(node) and value is not node:  # rebuilt around its awaits' values
            self.ctx.rewritten(value, node)
        return pre, value

    def operands(self, node: cst.CSTNode) -> list[tuple[cst.CSTNode, str | None]]:
        """The sub-expressions of ``node`` in the order CPython evaluates them."""
        if isinstance(node, cst.Call):
            positional = [a for a in node.args if a.keyword is None and a.star != "**"]
            keywords = [a for a in node.args if a.keyword is not None or a.star == "**"]
            return [(node.func, None)] + [
                (a.value, a.star or None) for a in [*positional, *keywords]
            ]
        if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
            return [
                (e.value, "*" if isinstance(e, cst.StarredElement) else None)
                for e in node.elements
            ]
        if isinstance(node, cst.Dict):
            out: list[tuple[cst.CSTNode, str | None]] = []
            for e in node.elements:
                if isinstance(e, cst.StarredDictElement):
                    out.append((e.value, "**"))
                else:
                    out += [(e.key, None), (e.value, None)]
            return out
        if isinstance(node, cst.Subscript):
            out = [(node.value, None)]
            for element in node.slice:
                s = element.slice
                if isinstance(s, cst.Index):
                    out.append((s.value, "*" if s.star else None))
                else:
                    out += [(p, None) for p in (s.lower, s.upper, s.step) if p is not None]
            return out
        if isinstance(node, cst.FormattedString):
            return [
                (p, "f") for p in node.parts if isinstance(p, cst.FormattedStringExpression)
            ]
        if isinstance(node, cst.FormattedStringExpression):
            out = [(node.expression, None)]
            for p in node.format_spec or ():
                if isinstance(p, cst.FormattedStringExpression):
                    out.append((p, "f"))
            return out
        if isinstance(node, cst.IfExp):
            return [(node.test, None)]
        if isinstance(node, cst.BooleanOperation):
            return [(node.left, None)]
        if isinstance(node, cst.Comparison):
            return [(node.left, None)] + [(c.comparator, None) for c in node.comparisons]
        return [(c, None) for c in node.children if isinstance(c, cst.BaseExpression)]

    def ordered(
        self,
        node: cst.CSTNode,
        operands: Sequence[tuple[cst.CSTNode, str | None]],
        fstring: cst.FormattedString | None = None,
        *,
        settle: bool = True,
    ):
        """Lower ``node`` whose ``operands`` are evaluated in order, some of them suspending.

        With ``settle`` (``node`` is a value, not a target or a statement), the
        operands held in temporaries are deleted once ``node`` is evaluated (see
        `consumed`).
        """
        stmts: Stmts = []
        mapping: dict[int, cst.CSTNode] = {}
        last = max((i for i, (c, _) in enumerate(operands) if self.suspends(c)), default=-1)
        if isinstance(node, cst.FormattedString):
            fstring = node
        for i, (child, kind) in enumerate(operands[: last + 1]):
            if kind == "f":
                pre, low = self.ordered(child, self.operands(child), fstring)
                stmts += pre
                parts = [low]
                equal = getattr(child, "equal", None)
                if equal is not None and low is not child:
                    # `{expr=}` shows expr's source text, which must not become ours.
                    text = (
                        child.whitespace_before_expression.value  # type: ignore[attr-defined]
                        + code_for(child.expression)  # type: ignore[attr-defined]
                        + child.whitespace_after_expression.value  # type: ignore[attr-defined]
                        + code_for(equal.whitespace_before)
                        + "="
                        + code_for(equal.whitespace_after)
                    )
                    conversion = child.conversion or (None if child.format_spec else "r")  # type: ignore[attr-defined]
                    parts = [
                        cst.FormattedStringText(text.replace("{", "{{").replace("}", "}}")),
                        low.with_changes(equal=None, conversion=conversion),
                    ]
                    low = cst.FlattenSentinel(parts)
                if i < last:
                    assert fstring is not None
                    text_ = cst.FormattedString(parts=parts, start=fstring.start, end=fstring.end)
                    low = cst.FormattedStringExpression(expression=self.spill(text_, stmts))
            else:
                pre, low = self.expr(child)  # type: ignore[arg-type]
                stmts += pre
                if i < last:
                    low = self.spill(low, stmts, kind)  # `*a`/`**a`: unpacked now, as natively
            if low is not child:
                mapping[id(child)] = low
        lowered = replace(node, mapping)
        if lowered is not node and type(lowered) is type(node):  # rebuilt around its awaits' values
            self.ctx.rewritten(lowered, node)
        if settle and isinstance(node, cst.BaseExpression) and not isinstance(node, _UNSETTLED):
            lowered = self.consumed(lowered, list(mapping.values()), stmts)
        return stmts, lowered

    # Set and dict displays: CPython hashes some elements before the display
    # ends. A set display builds the set at its first `*` element (or at once,
    # past 30 elements) and adds each later element as soon as it is evaluated;
    # a dict display builds a dict of each run of `key: value` pairs when the
    # run ends (at a `**`, or after 17 pairs, which it adds one by one) and
    # merges each into the dict being built. So where that happens before an
    # await, the lowering builds the display up to that await in the same steps
    # (`_ds_tN = {*_ds_tN, ...}`: copying a set or dict calls no `__hash__` or
    # `__eq__`), and the rest of the display, which starts where CPython starts
    # a new step, is written after it.
    def _expr_Set(self, node: cst.Set) -> tuple[Stmts, cst.BaseExpression]:
        elements = list(node.elements)
        last = max(i for i, e in enumerate(elements) if self.suspends(e.value))
        first_star = next(
            (i for i, e in enumerate(elements) if isinstance(e, cst.StarredElement)), None
        )
        built = 0 if len(elements) > _STACK_USE_GUIDELINE else first_star
        if built is None or built > last:  # hashed when the display ends, after every await
            return self.ordered(node, self.operands(node))
        stmts: Stmts = []
        acc: str | None = None
        if built:  # evaluated, then made a set where the first `*` element is
            prefix = cst.Set(elements[:built])
            stmts, head = self.ordered(prefix, self.operands(prefix), settle=False)
            acc = self.temp()
            stmts.append(assign(acc, _display(cst.Set, list(head.elements))))  # type: ignore[attr-defined]
        pending: list[cst.BaseElement] = []  # evaluated and added by CPython, not yet by us
        for element in elements[built : last + 1]:
            if self.suspends(element.value):
                if acc is None or pending:  # what CPython added before evaluating this one
                    held = [] if acc is None else [cst.StarredElement(name(acc))]
                    acc = acc or self.temp()
                    stmts.append(assign(acc, _display(cst.Set, [*held, *pending]) if held or pending
                                        else EMPTY_SET))
                    pending = []
                pre, low = self.expr(element.value)
                stmts += pre
                element = element.with_changes(value=low)
            pending.append(element)
        assert acc is not None
        display = _display(cst.Set, [cst.StarredElement(name(acc)), *pending, *elements[last + 1 :]])
        return stmts, self.consumed(display, [name(acc), *(e.value for e in pending)], stmts)

    def _expr_Dict(self, node: cst.Dict) -> tuple[Stmts, cst.BaseExpression]:
        elements = list(node.elements)
        last = max(
            i for i, e in enumerate(elements)
            if self.suspends(e.value) or (isinstance(e, cst.DictElement) and self.suspends(e.key))
        )
        steps = _dict_steps(elements)
        upto = next(k for k, (start, end, _big) in enumerate(steps) if start <= last < end)
        if upto == 0 and not steps[0][2]:  # nothing hashed before the display ends or after `last`
            return self.ordered(node, self.operands(node))
        stmts: Stmts = []
        acc: str | None = None
        for k, (start, end, big) in enumerate(steps[: upto + 1]):
            part = elements[start:end]
            if big and any(self.suspends(e.value) or self.suspends(e.key) for e in part):  # type: ignore[union-attr]
                # 16 pairs or more: CPython adds each pair as soon as it is evaluated
                step = self.temp()
                stmts.append(assign(step, cst.Dict([])))
                for pair in part:
                    pre, key = self.expr(pair.key)  # type: ignore[union-attr]
                    stmts += pre
                    if self.suspends(pair.value):
                        key = self.spill(key, stmts)
                    pre, value = self.expr(pair.value)
                    stmts += pre
                    stmts.append(simple(cst.Assign(
                        targets=[cst.AssignTarget(cst.Subscript(
                            value=name(step), slice=[cst.SubscriptElement(cst.Index(key))]
                        ))],
                        value=value,
                    )))
                lowered: list[cst.BaseDictElement] = [cst.StarredDictElement(name(step))]
            else:
                pre, built = self.ordered(cst.Dict(part), self.operands(cst.Dict(part)), settle=False)
                stmts += pre
                lowered = list(built.elements)  # type: ignore[attr-defined]
            if acc is not None:
                lowered = [cst.StarredDictElement(name(acc)), *lowered]
            if k == upto:
                display = _display(cst.Dict, [*lowered, *elements[end:]])
                parts = [p for e in lowered for p in (getattr(e, "key", None), e.value) if p is not None]
                return stmts, self.consumed(display, parts, stmts)
            if acc is None:
                acc = self.temp()
            stmts.append(assign(acc, _display(cst.Dict, lowered)))
        raise AssertionError("unreachable: `last` is in a step")

    def _expr_Await(self, node: cst.Await) -> tuple[Stmts, cst.BaseExpression]:
        pre, inner = self.expr(node.expression)
        if not self.branches:
            self.awaited = True
        stmts = pre + self.emit_await(inner, node)
        if is_temp(inner):  # (the awaitable, once awaited)
            stmts.append(release(inner.value))  # type: ignore[attr-defined]
            self.released.add(inner.value)  # type: ignore[attr-defined]
        return stmts, self.style.result

    def _expr_Yield(self, node: cst.Yield) -> tuple[Stmts, cst.BaseExpression]:
        if isinstance(node.value, cst.From):
            raise self.ctx.fail(node, "'yield from' inside async function")
        return self.ordered(node, self.operands(node))

    def _expr_NamedExpr(self, node: cst.NamedExpr) -> tuple[Stmts, cst.BaseExpression]:
        pre, value = self.expr(node.value)
        return pre, node.with_changes(value=value)

    def _expr_BooleanOperation(self, node: cst.BooleanOperation) -> tuple[Stmts, cst.BaseExpression]:
        # `a or b or await c` is one operation of three operands (a flat chain, as
        # CPython's BoolOp): each operand but the last is tested once, and the value
        # is the first that decides, untested again. A parenthesized operand that is
        # an `and`/`or` itself is one value (tested again, as CPython 3.12+ does;
        # up to 3.11 its jumps are threaded into the chain's: see `_THREADED`).
        operands = self._bool_chain(node)
        last = max(i for i, o in enumerate(operands) if self.suspends(o))
        threaded = _THREADED and isinstance(operands[last], cst.BooleanOperation)
        if last == 0 and not threaded:
            return self.ordered(node, [(node.left, None)])
        if threaded:  # (the operands after it, too: it is tested)
            last = len(operands) - 1
        result = self.temp()
        pre: Stmts = []
        guards: list[cst.BaseExpression] = []
        steps: list[Stmts] = []
        for i in range(last + 1):
            if i == last:
                body, value = self.branch(lambda: self.expr(operands[i])) if i else self.expr(operands[i])
                for rest in operands[last + 1 :]:  # (the operands after the last that awaits: as written)
                    value = cst.BooleanOperation(left=atom(value), operator=node.operator, right=rest)
                body.append(assign(result, value))
            else:
                body, test = self.branch(lambda: self._decided(operands[i], result)) if i else self._decided(operands[i], result)
                guards.append(test if isinstance(node.operator, cst.And) else negate(test))
            if i:
                steps.append(body)
            else:
                pre += body
        return pre + self.short_circuit(steps, guards), name(result)

    def _decided(self, operand: cst.BaseExpression, result: str) -> tuple[Stmts, cst.BaseExpression]:
        """``operand``'s value into ``result``; the test that decides whether the chain goes on.

        Up to 3.11 CPython threads the jumps of an operand that is an ``and``/``or``
        itself into the chain's: each of its operands is tested once, its value
        never again. So there it is lowered as a condition whose every operand's
        value is kept in ``result`` before it is tested.
        """
        if _THREADED and isinstance(operand, cst.BooleanOperation):
            return self._captured(operand, result)
        stmts, value = self.expr(operand)
        stmts.append(assign(result, value))
        return stmts, name(result)

    def _captured(self, node: cst.BaseExpression, result: str) -> tuple[Stmts, cst.BaseExpression]:
        if not isinstance(node, cst.BooleanOperation):
            stmts, value = self.expr(node)
            stmts.append(assign(result, value))
            return stmts, name(result)
        pre, left = self._captured(node.left, result)
        flag = self.temp()
        body, right = self.branch(lambda: self._captured(node.right, result))
        body.append(assign(flag, truth(right)))
        self.bools.add(flag)
        either = isinstance(node.operator, cst.Or)
        decided = [assign(flag, name("True" if either else "False"))]
        yes, no = (decided, body) if either else (body, decided)
        pre.append(cst.If(test=left, body=block(yes), orelse=cst.Else(body=block(no))))
        return pre, name(flag)

    def short_circuit(self, steps: list[Stmts], guards: list[cst.BaseExpression]) -> Stmts:
        """``steps``, each run if the guard before it holds: nested ``if``s, or one flat block for many."""
        if len(steps) <= _NESTED_LINKS:
            body = steps[-1]
            for stmts, guard in reversed(list(zip(steps[:-1], guards[1:]))):
                body = [*stmts, cst.If(test=guard, body=block(body))]
            return [cst.If(test=guards[0], body=block(body))]
        # (nesting an `if` per operand would exceed Python's 100 indentation levels)
        flat: Stmts = []
        for stmts, guard in zip(steps, guards):
            flat += [cst.If(test=negate(guard), body=block([simple(cst.Break())])), *stmts]
        flat.append(simple(cst.Break()))
        return [cst.While(test=name("True"), body=block(flat))]

    @staticmethod
    def _bool_chain(node: cst.BooleanOperation) -> list[cst.BaseExpression]:
        """The operands of ``a or b or c`` (libcst nests it to the left), a parenthesized one whole."""
        rights: list[cst.BaseExpression] = []
        current: cst.BaseExpression = node
        while (
            isinstance(current, cst.BooleanOperation)
            and type(current.operator) is type(node.operator)
            and (current is node or not current.lpar)
        ):
            rights.append(current.right)
            current = current.left
        return [current, *reversed(rights)]

    # ------------------------------------------------------------------
    # Conditions
    def cond(self, node: cst.BaseExpression) -> tuple[Stmts, cst.BaseExpression]:
        """Statements to run first, and the expression to test, for ``node`` as a condition.

        Where CPython tests a value (``if``, ``elif``, ``while``, ``assert``, a
        guard, a comprehension's ``if``, the test of ``x if c else y``), it
        compiles ``and``, ``or``, ``not`` and ``x if c else y`` into jumps: each
        operand is tested once (``__bool__`` called once), never a value made of
        them. So does this: an operand's test sets a flag to ``True``, ``False``
        or a value not tested yet, which the condition then tests once.
        """
        if not self.suspends(node):
            return [], node
        if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Not):
            pre, test = self.cond(node.expression)
            return pre, negate(test)
        if isinstance(node, cst.BooleanOperation):
            pre, left = self.cond(node.left)
            flag = self.temp()
            body, right = self.branch(lambda: self.cond(node.right))
            self.tested(flag, right, body)
            either = isinstance(node.operator, cst.Or)
            decided = [assign(flag, name("True" if either else "False"))]
            yes, no = (decided, body) if either else (body, decided)
            pre.append(cst.If(test=left, body=block(yes), orelse=cst.Else(body=block(no))))
            return pre, name(flag)
        if isinstance(node, cst.IfExp) and (self.suspends(node.body) or self.suspends(node.orelse)):
            pre, test = self.cond(node.test)
            flag = self.temp()
            arms: list[Stmts] = []
            for arm in (node.body, node.orelse):
                body, value = self.branch(lambda: self.cond(arm))
                self.tested(flag, value, body)
                arms.append(body)
            pre.append(cst.If(test=test, body=block(arms[0]), orelse=cst.Else(body=block(arms[1]))))
            return pre, name(flag)
        if isinstance(node, cst.Comparison) and len(node.comparisons) > 1:
            # A chain as a condition: CPython tests each comparison's result once
            # (jumping out at the first false one), never the chain's value. So
            # each link's result is tested where it is made, a bool kept.
            pre, test = self.expr(node)
            if isinstance(test, cst.Comparison):
                return pre, test
            if is_temp(test):
                pre = _links_tested(pre, test.value)  # type: ignore[attr-defined]
                self.bools.add(test.value)  # type: ignore[attr-defined]
            return pre, test
        return self.expr(node)

    def tested(self, flag: str, test: cst.BaseExpression, stmts: Stmts) -> None:
        """``flag = True if test else False``: ``test`` tested once, as a condition, its value dropped."""
        stmts.append(assign(flag, truth(test)))
        if is_temp(test):
            stmts.append(release(test.value))  # type: ignore[attr-defined]
            self.released.add(test.value)  # type: ignore[attr-defined]
        self.bools.add(flag)

    def _expr_IfExp(self, node: cst.IfExp) -> tuple[Stmts, cst.BaseExpression]:
        pre, test = self.cond(node.test)
        test = self.settled(test, pre)
        if not (self.suspends(node.body) or self.suspends(node.orelse)):
            return pre, node.with_changes(test=test)
        result = self.temp()
        # `a if c else b if d else e`: one `if`/`elif`/`else`, however long the chain.
        arms: list[tuple[cst.BaseExpression, Stmts]] = []
        current = node
        while True:
            body, yes = self.branch(lambda: self.expr(current.body))
            arms.append((test, [*body, assign(result, yes)]))
            rest = current.orelse
            if (
                isinstance(rest, cst.IfExp)
                and (self.suspends(rest.body) or self.suspends(rest.orelse))
                and not self.suspends(rest.test)
            ):
                test, current = rest.test, rest
                continue
            other, no = self.branch(lambda: self.expr(rest))
            chain: cst.If | cst.Else = cst.Else(body=block([*other, assign(result, no)]))
            break
        for arm_test, stmts in reversed(arms):
            chain = cst.If(test=arm_test, body=block(stmts), orelse=chain)
        pre.append(chain)  # type: ignore[arg-type]
        return pre, name(result)

    def _expr_Comparison(self, node: cst.Comparison) -> tuple[Stmts, cst.BaseExpression]:
        comps = node.comparisons
        if not any(self.suspends(c.comparator) for c in comps[1:]):
            return self.ordered(node, self.operands(node))
        # `a < b < c` is `a < b and b < c` with b evaluated once: a branch per link.
        pre, left = self.expr(node.left)
        left = self.spill(left, pre)
        result = self.temp()

        def link(prev: cst.BaseExpression, rest: Sequence[cst.ComparisonTarget]):
            # One comparison per awaiting operand: the links up to the next one
            # that awaits stay one chain, its last operand kept for the next link
            # by `:=` where the chain reaches it.
            head = rest[0]
            stmts, right = self.expr(head.comparator)
            size = 1
            while size < len(rest) and not self.suspends(rest[size].comparator):
                size += 1
            group = [head.with_changes(comparator=right), *rest[1:size]]
            tail = rest[size:]
            if tail:
                if size == 1:
                    right = self.spill(right, stmts)
                    group[0] = head.with_changes(comparator=right)
                else:
                    last = group[-1]
                    if not is_constant(last.comparator):
                        self.branches += 1  # (assigned only if the chain gets that far)
                        right = name(self.temp())
                        self.branches -= 1
                        group[-1] = last.with_changes(
                            comparator=cst.NamedExpr(
                                target=right,
                                value=last.comparator,
                                lpar=[cst.LeftParen()],
                                rpar=[cst.RightParen()],
                            )
                        )
                    else:
                        right = last.comparator
            stmts.append(assign(result, cst.Comparison(left=prev, comparisons=group)))
            return stmts, right, tail

        steps: list[Stmts] = []
        prev, rest = left, list(comps)
        while rest:
            if steps:
                self.branches += 1  # (the links after the first run only if it holds)
            try:
                stmts, prev, rest = link(prev, rest)
            finally:
                if steps:
                    self.branches -= 1
            steps.append(stmts)
        if len(steps) <= _NESTED_LINKS:  # each link inside the `if` of the one before
            body = steps[-1]
            for stmts in reversed(steps[:-1]):
                body = [*stmts, cst.If(test=name(result), body=block(body))]
            return pre + body, name(result)
        # Many links that await: one flat block, left at the first false link
        # (nesting an `if` per link would exceed Python's 100 indentation levels).
        flat: Stmts = []
        for stmts in steps[:-1]:
            flat += [*stmts, cst.If(test=negate(name(result)), body=block([simple(cst.Break())]))]
        flat += [*steps[-1], simple(cst.Break())]
        return pre + [cst.While(test=name("True"), body=block(flat))], name(result)

    def _expr_ConcatenatedString(self, node: cst.ConcatenatedString) -> tuple[Stmts, cst.BaseExpression]:
        # `'a' f'{await x()}'` is one string built from its parts in order: their
        # sum (exact `str`s, so `+` is concatenation), each part evaluated in turn.
        parts: list[cst.BaseExpression] = []
        gaps: list[cst.BaseParenthesizableWhitespace] = []
        part: cst.BaseExpression = node
        while isinstance(part, cst.ConcatenatedString):
            parts.append(part.left)
            gaps.append(part.whitespace_between)
            part = part.right
        parts.append(part)
        total = parts[0]
        for gap, nxt in zip(gaps, parts[1:]):
            total = cst.BinaryOperation(
                left=total, operator=cst.Add(whitespace_before=gap), right=nxt
            )
        total = total.with_changes(lpar=node.lpar or [cst.LeftParen()], rpar=node.rpar or [cst.RightParen()])
        return self.expr(total)

    def _expr_Lambda(self, node: cst.Lambda) -> tuple[Stmts, cst.BaseExpression]:
        return self.ordered(node, [(p.default, None) for p in self._params(node.params) if p.default])


def _links_tested(stmts: Stmts, result: str) -> Stmts:
    """``result = <a comparison>`` in ``stmts`` (and the blocks in them) as ``result = True if ... else False``."""
    out: Stmts = []
    for stmt in stmts:
        if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1 and isinstance(stmt.body[0], cst.Assign):
            small = stmt.body[0]
            target = small.targets[0].target if len(small.targets) == 1 else None
            if isinstance(target, cst.Name) and target.value == result and isinstance(small.value, cst.Comparison):
                stmt = stmt.with_changes(body=[small.with_changes(value=truth(small.value))])
        elif isinstance(stmt, (cst.If, cst.While)) and isinstance(stmt.body, cst.IndentedBlock):
            body = stmt.body.with_changes(body=_links_tested(list(stmt.body.body), result))
            stmt = stmt.with_changes(body=body)
        out.append(stmt)
    return out

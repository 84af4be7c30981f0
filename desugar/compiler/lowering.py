"""Lowering of one ``async def``: statements, expressions, in CPython's evaluation order.

An ``await`` may stand anywhere an expression may. Where it does, the
expression is *exploded*: every operand Python evaluates before the await is
evaluated before it, once, into a temporary (``_ds_t1``...), then the await
becomes a poll loop (see `desugar.compiler.await_`), then the rest of the
expression is evaluated as written. ``and``/``or``, ``x if c else y`` and
chained comparisons become ``if`` statements so that short-circuiting is kept.

Compound statements follow the language reference's equivalents:
``async with`` (``type(mgr).__aenter__``/``__aexit__``, the exception passed
to ``__aexit__``), ``async for`` (a ``poll_next`` loop over a stream, as
rustc lowers ``for await``), async comprehensions (a nested ``async def``
called at once, so their variables stay local), async generators (streams
whose items are yielded as ``Ready(item)``).
"""

from __future__ import annotations

from typing import Callable, Iterator, Sequence

import libcst as cst

from desugar.compiler import await_, cst_depth, layout  # noqa: F401  (cst_depth: deep code generation)
from desugar.compiler.await_ import simple
from desugar.compiler.names import (
    AUG_KEY,
    AUG_TARGET,
    AUG_VALUE,
    AWAITEE,
    PREFIX,
    RUNTIME,
)
from desugar.errors import TranslateError

Stmts = list[cst.BaseStatement]
_CODEGEN = cst.Module(body=[])
_CONSTANT_NAMES = frozenset({"None", "True", "False"})
_SCOPES = (cst.FunctionDef, cst.ClassDef, cst.Lambda)
_LEAVES = frozenset(
    {cst.Name, cst.Integer, cst.Float, cst.Imaginary, cst.SimpleString, cst.Ellipsis,
     cst.Pass, cst.Break, cst.Continue, cst.Comment, cst.Newline, cst.SimpleWhitespace,
     cst.EmptyLine, cst.TrailingWhitespace, cst.Import, cst.ImportFrom, cst.Global, cst.Nonlocal}
)
_NESTED_LINKS = 4  # comparison chains with more awaiting links than this are lowered flat
_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)


def one_line(node: cst.CSTNode, limit: int = 70) -> str:
    text = " ".join(_CODEGEN.code_for_node(node).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def name(value: str) -> cst.Name:
    return cst.Name(value)


def rt(attr: str) -> cst.Attribute:
    return cst.Attribute(value=name(RUNTIME), attr=name(attr))


_LOOSE = (
    cst.Tuple, cst.NamedExpr, cst.BooleanOperation, cst.IfExp, cst.Lambda, cst.Comparison,
    cst.UnaryOperation, cst.BinaryOperation, cst.Yield, cst.Await,
)


def atom(node: cst.BaseExpression) -> cst.BaseExpression:
    """``node`` in parentheses if it binds looser than an operand or argument."""
    if isinstance(node, _LOOSE) and not node.lpar:
        return node.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    return node


def negate(node: cst.BaseExpression) -> cst.UnaryOperation:
    return cst.UnaryOperation(operator=cst.Not(), expression=atom(node))


def assign(target: cst.BaseAssignTargetExpression | str, value: cst.BaseExpression) -> cst.SimpleStatementLine:
    if isinstance(target, str):
        target = name(target)
    if isinstance(value, (cst.NamedExpr, cst.Yield)) and not value.lpar:
        value = atom(value)
    return simple(cst.Assign(targets=[cst.AssignTarget(target)], value=value))


def block(stmts: Sequence[cst.BaseStatement]) -> cst.IndentedBlock:
    return cst.IndentedBlock(body=list(stmts) or [simple(cst.Pass())])


def split_with(stmt: cst.With, items: Sequence[cst.WithItem], at: int) -> cst.With:
    """``with a, b: body`` -> ``with a: with b: body`` (b is evaluated inside a)."""
    def bare(part: Sequence[cst.WithItem]) -> list[cst.WithItem]:
        return [*part[:-1], part[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)]

    inner = stmt.with_changes(items=bare(items[at:]), leading_lines=[], lpar=cst.MaybeSentinel.DEFAULT, rpar=cst.MaybeSentinel.DEFAULT)
    return stmt.with_changes(items=bare(items[:at]), body=block([inner]), lpar=cst.MaybeSentinel.DEFAULT, rpar=cst.MaybeSentinel.DEFAULT)


def statements_of(suite: cst.BaseSuite) -> Stmts:
    """The statements of a suite, a one-line suite becoming one line."""
    if isinstance(suite, cst.IndentedBlock):
        return list(suite.body)
    return [cst.SimpleStatementLine(body=list(suite.body))]  # type: ignore[attr-defined]


def is_docstring(stmt: cst.BaseStatement) -> bool:
    return (
        isinstance(stmt, cst.SimpleStatementLine)
        and len(stmt.body) >= 1
        and isinstance(stmt.body[0], cst.Expr)
        and isinstance(stmt.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )


def is_constant(node: cst.BaseExpression) -> bool:
    """True for values that no await can change (literals, ``None``, our temporaries)."""
    if isinstance(node, (cst.Integer, cst.Float, cst.Imaginary, cst.SimpleString, cst.Ellipsis)):
        return True
    if isinstance(node, cst.Name):
        return node.value in _CONSTANT_NAMES or (
            node.value.startswith(PREFIX + "t") and node.value[len(PREFIX) + 1 :].isdigit()
        )
    if isinstance(node, cst.ConcatenatedString):
        return is_constant(node.left) and is_constant(node.right)  # type: ignore[arg-type]
    return False


class _Replace(cst.CSTTransformer):
    """Replace nodes by identity, without descending into the replaced ones."""

    def __init__(self, mapping: dict[int, cst.CSTNode]) -> None:
        super().__init__()
        self.mapping = mapping

    def on_visit(self, node: cst.CSTNode) -> bool:
        return id(node) not in self.mapping

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode):  # type: ignore[override]
        return self.mapping.get(id(original_node), updated_node)


def replace(node: cst.CSTNode, mapping: dict[int, cst.CSTNode]):
    if not mapping:
        return node
    if id(node) in mapping:
        return mapping[id(node)]
    return node.visit(_Replace(mapping))


class _Declarations(cst.CSTVisitor):
    """What a function's own scope declares: globals, nonlocals, walrus targets, yields."""

    def __init__(self) -> None:
        super().__init__()
        self.globals: set[str] = set()
        self.nonlocals: set[str] = set()
        self.walrus: list[str] = []
        self.yields = False

    def visit_Yield(self, node: cst.Yield) -> None:
        self.yields = True

    def visit_Global(self, node: cst.Global) -> None:
        self.globals.update(n.name.value for n in node.names)

    def visit_Nonlocal(self, node: cst.Nonlocal) -> None:
        self.nonlocals.update(n.name.value for n in node.names)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        if isinstance(node.target, cst.Name) and node.target.value not in self.walrus:
            self.walrus.append(node.target.value)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False


def declarations(node: cst.CSTNode) -> _Declarations:
    found = _Declarations()
    node.visit(found)
    return found


def _walrus_targets(node: cst.CSTNode) -> list[str]:
    return declarations(node).walrus


class Context:
    """What the lowering of one module shares: positions, file name, counters."""

    def __init__(
        self,
        positions: Callable[[cst.CSTNode], int | None],
        fail: Callable[[cst.CSTNode, str], TranslateError],
    ) -> None:
        self.positions = positions
        self.fail = fail
        self.comprehensions = 0
        self.depth = 0  # lower_function calls in progress (nested definitions)
        self.kept: set[int] = set()  # ids of statements kept as written


class FunctionLowering:
    """Lower the body of one ``async def`` (and, recursively, what it contains)."""

    def __init__(self, ctx: Context, node: cst.FunctionDef) -> None:
        self.ctx = ctx
        found = declarations(node.body)  # one scan: yields, globals, nonlocals
        self.async_gen = found.yields
        self.globals = found.globals
        self.nonlocals = found.nonlocals
        self.memo: dict[int, bool] = {}
        self.keep: list[cst.CSTNode] = []  # keep memo keys alive
        self.temps = 0  # expression temporaries: reset for each statement
        self.branches = 0  # > 0 while lowering code that runs only on some paths
        self.unconditional: list[str] = []  # temporaries every path of the statement assigns
        self.awaited = False  # an await ran on every path of the statement
        self.labels = 0  # long-lived temporaries (managers, iterators, flags)
        self.polls = 0  # poll loops emitted (each suspends, making the function a generator)

    # ------------------------------------------------------------------
    # What suspends
    def suspends(self, node: cst.CSTNode | None) -> bool:
        """Does evaluating ``node`` (in this function's scope) reach an await?

        A walk with its own stack, not recursion: a deep expression must not
        meet the interpreter's C recursion limit (1500 levels on 3.12).
        """
        memo, keep = self.memo, self.keep
        stack: list[tuple[cst.CSTNode | None, Iterator[cst.CSTNode | None]]] = [(None, iter((node,)))]
        while stack:
            parent, parts = stack[-1]
            for part in parts:
                if part is None or type(part) in _LEAVES:
                    continue
                hit = memo.get(id(part))
                if hit is None:
                    hit = self._suspends_at_once(part)
                    if hit is None:  # its parts decide: walk them first
                        stack.append((part, iter(self._evaluated_parts(part))))
                        break
                    memo[id(part)] = hit
                    keep.append(part)
                if hit:  # so does every node on the stack
                    for above, _ in stack[1:]:
                        memo[id(above)] = True
                        keep.append(above)
                    return True
            else:  # no part of `parent` awaits
                stack.pop()
                if parent is not None:
                    memo[id(parent)] = False
                    keep.append(parent)
        return False

    @staticmethod
    def _suspends_at_once(node: cst.CSTNode) -> bool | None:
        """True when ``node`` itself awaits; None when its parts decide."""
        if isinstance(node, cst.Await):
            return True
        if isinstance(node, cst.CompFor) and node.asynchronous is not None:
            return True
        return None

    def _evaluated_parts(self, node: cst.CSTNode) -> Sequence[cst.CSTNode | None]:
        """The parts of ``node`` evaluated where it stands."""
        if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
            return self._def_header(node)
        if isinstance(node, cst.Lambda):
            return [p.default for p in self._params(node.params)]
        return node.children

    @staticmethod
    def _params(params: cst.Parameters) -> list[cst.Param]:
        out = [*params.posonly_params, *params.params]
        out += list(params.kwonly_params)
        return out

    def _def_header(self, node: cst.FunctionDef | cst.ClassDef) -> list[cst.CSTNode]:
        """The parts of a definition evaluated where it stands, in CPython's order."""
        parts: list[cst.CSTNode] = [d.decorator for d in node.decorators]
        if isinstance(node, cst.ClassDef):
            parts += [a.value for a in node.bases] + [k.value for k in node.keywords]
            return parts
        params = node.params
        parts += [p.default for p in [*params.posonly_params, *params.params] if p.default]
        parts += [p.default for p in params.kwonly_params if p.default]
        annotated = [*params.posonly_params, *params.params]
        if isinstance(params.star_arg, cst.Param):
            annotated.append(params.star_arg)
        annotated += list(params.kwonly_params)
        if params.star_kwarg is not None:
            annotated.append(params.star_kwarg)
        parts += [p.annotation.annotation for p in annotated if p.annotation]
        if node.returns is not None:
            parts.append(node.returns.annotation)
        return parts

    # ------------------------------------------------------------------
    # Temporaries
    def reset(self) -> None:
        """Start a new statement: its temporaries are numbered from 1 again."""
        self.temps = 0
        self.unconditional = []
        self.awaited = False

    def temp(self) -> str:
        self.temps += 1
        t = f"{PREFIX}t{self.temps}"
        if not self.branches:
            self.unconditional.append(t)
        return t

    def branch(self, lower: Callable[[], tuple[Stmts, cst.BaseExpression]]) -> tuple[Stmts, cst.BaseExpression]:
        """Lower code that runs only on some paths (its temporaries are not released)."""
        self.branches += 1
        try:
            return lower()
        finally:
            self.branches -= 1

    def label(self, what: str) -> str:
        self.labels += 1
        return f"{PREFIX}{what}{self.labels}"

    def spill(self, value: cst.BaseExpression, stmts: Stmts, kind: str | None = None) -> cst.BaseExpression:
        """Evaluate ``value`` now into a temporary (unless it is constant)."""
        if kind == "*":
            value = cst.List([cst.StarredElement(value)])
        elif kind == "**":
            value = cst.Dict([cst.StarredDictElement(value)])
        elif is_constant(value):
            return value
        t = self.temp()
        stmts.append(assign(t, value))
        return name(t)

    # ------------------------------------------------------------------
    # Expressions
    def expr(self, node: cst.BaseExpression) -> tuple[Stmts, cst.BaseExpression]:
        """Statements to run first, and the expression that then gives ``node``'s value."""
        if not self.suspends(node):
            return [], node
        method = getattr(self, f"_expr_{type(node).__name__}", None)
        if method is not None:
            return method(node)
        return self.ordered(node, self.operands(node))

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
    ):
        """Lower ``node`` whose ``operands`` are evaluated in order, some of them suspending."""
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
                        + _CODEGEN.code_for_node(child.expression)  # type: ignore[attr-defined]
                        + child.whitespace_after_expression.value  # type: ignore[attr-defined]
                        + _CODEGEN.code_for_node(equal.whitespace_before)
                        + "="
                        + _CODEGEN.code_for_node(equal.whitespace_after)
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
        return stmts, replace(node, mapping)

    def _expr_Await(self, node: cst.Await) -> tuple[Stmts, cst.BaseExpression]:
        pre, inner = self.expr(node.expression)
        if not self.branches:
            self.awaited = True
        return pre + self.poll_loop(inner, node), await_.RESULT

    def poll_loop(self, awaited: cst.BaseExpression, origin: cst.CSTNode | None) -> Stmts:
        self.polls += 1
        loop = await_.poll_loop(awaited, self.async_gen)
        comment = self.comment(origin)
        if comment:
            loop[0] = loop[0].with_changes(leading_lines=[comment])
        return loop

    def comment(self, origin: cst.CSTNode | None) -> cst.EmptyLine | None:
        if origin is None:
            return None
        line = self.ctx.positions(origin)
        if line is None:
            return None
        return cst.EmptyLine(comment=cst.Comment(f"# line {line}: {one_line(origin)}"))

    def _expr_Yield(self, node: cst.Yield) -> tuple[Stmts, cst.BaseExpression]:
        if isinstance(node.value, cst.From):
            raise self.ctx.fail(node, "'yield from' inside async function")
        return self.ordered(node, self.operands(node))

    def _expr_NamedExpr(self, node: cst.NamedExpr) -> tuple[Stmts, cst.BaseExpression]:
        pre, value = self.expr(node.value)
        return pre, node.with_changes(value=value)

    def _expr_BooleanOperation(self, node: cst.BooleanOperation) -> tuple[Stmts, cst.BaseExpression]:
        if not self.suspends(node.right):
            return self.ordered(node, [(node.left, None)])
        pre, left = self.expr(node.left)
        result = self.temp()
        pre.append(assign(result, left))
        body, right = self.branch(lambda: self.expr(node.right))
        body.append(assign(result, right))
        test: cst.BaseExpression = name(result)
        if isinstance(node.operator, cst.Or):
            test = negate(test)
        pre.append(cst.If(test=test, body=block(body)))
        return pre, name(result)

    def _expr_IfExp(self, node: cst.IfExp) -> tuple[Stmts, cst.BaseExpression]:
        if not (self.suspends(node.body) or self.suspends(node.orelse)):
            return self.ordered(node, [(node.test, None)])
        pre, test = self.expr(node.test)
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

    # --- comprehensions --------------------------------------------------
    def _comprehension(self, node: cst.BaseComp) -> tuple[Stmts, cst.BaseExpression]:
        first = node.for_in
        if not self._comprehension_is_async(node):
            # Only the first iterable awaits: it is evaluated here, the rest stays as written.
            return self.ordered(node, [(first.iter, None)])
        pre, iterable = self.expr(first.iter)
        self.ctx.comprehensions += 1
        kind = {cst.ListComp: "listcomp", cst.SetComp: "setcomp", cst.DictComp: "dictcomp"}.get(
            type(node), "genexp"
        )
        fname = f"{PREFIX}{kind}{self.ctx.comprehensions}"
        arg = f"{PREFIX}iter"
        result = f"{PREFIX}result"
        if isinstance(node, cst.GeneratorExp):
            innermost: Stmts = [simple(cst.Expr(cst.Yield(value=node.elt)))]
        elif isinstance(node, cst.DictComp):  # the key is evaluated before the value
            key = f"{PREFIX}key"
            innermost = [
                assign(key, node.key),
                assign(cst.Subscript(value=name(result), slice=[cst.SubscriptElement(cst.Index(name(key)))]), node.value),
            ]
        else:
            method = "append" if isinstance(node, cst.ListComp) else "add"
            call = cst.Call(func=cst.Attribute(value=name(result), attr=name(method)), args=[cst.Arg(node.elt)])
            innermost = [simple(cst.Expr(call))]
        clauses: list[cst.CompFor] = []
        clause: cst.CompFor | None = first
        while clause is not None:
            clauses.append(clause)
            clause = clause.inner_for_in
        body = innermost
        for i, clause in reversed(list(enumerate(clauses))):
            for cond in reversed(clause.ifs):
                body = [cst.If(test=cond.test, body=block(body))]
            source = name(arg) if i == 0 else clause.iter
            body = [
                cst.For(
                    target=clause.target,
                    iter=source,
                    body=block(body),
                    asynchronous=clause.asynchronous,
                )
            ]
        if not isinstance(node, cst.GeneratorExp):
            empty: cst.BaseExpression = {
                cst.ListComp: cst.List([]),
                cst.SetComp: cst.Call(func=rt("set")),
                cst.DictComp: cst.Dict([]),
            }[type(node)]
            body = [assign(result, empty), *body, simple(cst.Return(name(result)))]
        # `:=` inside a comprehension binds in the enclosing function (PEP 572).
        bound = _walrus_targets(node)
        declare: Stmts = []
        for kind_, names_ in (("global", [n for n in bound if n in self.globals]),
                              ("nonlocal", [n for n in bound if n not in self.globals])):
            if names_:
                decl = cst.Global if kind_ == "global" else cst.Nonlocal
                declare.append(simple(decl(names=[cst.NameItem(name(n)) for n in names_])))
        binding = [
            simple(cst.AnnAssign(target=name(n), annotation=cst.Annotation(cst.SimpleString('"bound in a comprehension"'))))
            for n in bound
            if n not in self.globals and n not in self.nonlocals
        ]
        fdef = cst.FunctionDef(
            name=name(fname),
            params=cst.Parameters(params=[cst.Param(name(arg))]),
            # (the clauses and the element leave the comprehension's brackets)
            body=block(layout.statements([*declare, *body], set())),
            asynchronous=cst.Asynchronous(),
        )
        lowered = lower_function(self.ctx, fdef)
        pre[:0] = binding
        get_iter = rt("async_for") if first.asynchronous is not None else rt("iter")
        call = cst.Call(func=name(fname), args=[cst.Arg(cst.Call(func=get_iter, args=[cst.Arg(iterable)]))])
        stmts: Stmts = [lowered, *pre]
        if isinstance(node, cst.GeneratorExp):
            return stmts, call
        if not self.branches:
            self.awaited = True
        return stmts + self.poll_loop(call, node), await_.RESULT

    _expr_ListComp = _expr_SetComp = _expr_DictComp = _expr_GeneratorExp = _comprehension

    def _comprehension_is_async(self, node: cst.BaseComp) -> bool:
        parts: list[cst.CSTNode] = []
        if isinstance(node, cst.DictComp):
            parts += [node.key, node.value]
        else:
            parts.append(node.elt)  # type: ignore[attr-defined]
        clause: cst.CompFor | None = node.for_in
        first = True
        while clause is not None:
            if clause.asynchronous is not None:
                return True
            if not first:
                parts.append(clause.iter)
            parts += [c.test for c in clause.ifs]
            parts.append(clause.target)
            first = False
            clause = clause.inner_for_in
        return any(self.suspends(p) for p in parts)

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
            out[0] = first.with_changes(
                leading_lines=[*stmt.leading_lines, *first.leading_lines],
                **({"trailing_whitespace": stmt.trailing_whitespace} if isinstance(first, cst.SimpleStatementLine) else {}),
            )
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
            out.extend(lowered)
        if not lowered_any:
            return None
        if pending:
            out.append(cst.SimpleStatementLine(body=pending))
        return out

    def release(self) -> Stmts:
        """``del`` what the statement left in generated locals, so values die when natively they would."""
        names = list(self.unconditional)
        if self.awaited:
            names.append(AWAITEE)
        return [await_.release(*names)] if names else []

    def small(self, stmt: cst.BaseSmallStatement) -> Stmts | None:
        """Statements for one small statement that suspends, or None if it does not."""
        if not self.suspends(stmt):
            return None
        value = getattr(stmt, "value", None)
        # The statement forms whose whole value is awaited read as rustc's output.
        if isinstance(value, cst.Await) and not self.suspends(value.expression):
            if isinstance(stmt, cst.Expr):
                return self.with_comment([*self.poll_loop(value.expression, None), await_.RELEASE], value)
            if isinstance(stmt, cst.Return):
                return self.with_comment(
                    [*self.poll_loop(value.expression, None), simple(stmt.with_changes(value=await_.RESULT))],
                    value,
                )
            if isinstance(stmt, cst.Assign) and not any(self.suspends(t.target) for t in stmt.targets):
                return self.with_comment(
                    [
                        *self.poll_loop(value.expression, None),
                        simple(stmt.with_changes(value=await_.RESULT)),
                        await_.RELEASE,
                    ],
                    value,
                )
        method = getattr(self, f"_small_{type(stmt).__name__}", None)
        if method is None:
            raise self.ctx.fail(stmt, f"`await` in {type(stmt).__name__} is not supported")
        return method(stmt)

    def with_comment(self, stmts: Stmts, origin: cst.CSTNode) -> Stmts:
        comment = self.comment(origin)
        if comment is not None:
            stmts[0] = stmts[0].with_changes(leading_lines=[comment])
        return stmts

    def _small_Expr(self, stmt: cst.Expr) -> Stmts:
        pre, value = self.expr(stmt.value)
        if value is await_.RESULT or isinstance(value, cst.Name) and value.value.startswith(PREFIX):
            return pre + self.release()
        return pre + [simple(stmt.with_changes(value=value))] + self.release()

    def _small_Return(self, stmt: cst.Return) -> Stmts:
        pre, value = self.expr(stmt.value)  # type: ignore[arg-type]
        return pre + [simple(stmt.with_changes(value=value))]

    def _small_Raise(self, stmt: cst.Raise) -> Stmts:
        parts = [(stmt.exc, None)] + ([(stmt.cause.item, None)] if stmt.cause else [])
        pre, low = self.ordered(stmt, parts)
        return pre + [simple(low)]

    def _small_Assert(self, stmt: cst.Assert) -> Stmts:
        pre, test = self.expr(stmt.test)
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
            return self.ordered(target, self.operands(target))
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
        pre, test = self.expr(stmt.test)
        orelse = stmt.orelse
        if isinstance(orelse, cst.If):
            if self.suspends(orelse.test):  # `elif await c():` runs only if the tests before failed
                orelse = cst.Else(body=block(self.statement(orelse)))
            else:
                orelse = self._stmt_If(orelse)[0]  # type: ignore[assignment]
        elif isinstance(orelse, cst.Else):
            orelse = orelse.with_changes(body=self.suite(orelse.body))
        return pre + [stmt.with_changes(test=test, body=self.suite(stmt.body), orelse=orelse)]

    def _else(self, orelse: cst.Else | None) -> cst.Else | None:
        return None if orelse is None else orelse.with_changes(body=self.suite(orelse.body))

    def _stmt_While(self, stmt: cst.While) -> Stmts:
        body = self.suite(stmt.body)
        if not self.suspends(stmt.test):
            return [stmt.with_changes(body=body, orelse=self._else(stmt.orelse))]
        # The test is evaluated before every iteration: it moves into the loop.
        pre, test = self.expr(stmt.test)
        exit_: Stmts = [simple(cst.Break())]
        out: Stmts = []
        flag = None
        if stmt.orelse is not None:
            flag = self.label("exhausted")
            out.append(assign(flag, name("False")))
            exit_.insert(0, assign(flag, name("True")))
        check = cst.If(test=negate(test), body=block(exit_))
        inner = statements_of(body)
        out.append(cst.While(test=name("True"), body=block([*pre, check, *inner])))
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
            return pre + self.async_for(stmt, iterable, target, body)
        return pre + [stmt.with_changes(iter=iterable, target=target, body=body, orelse=self._else(stmt.orelse))]

    def async_for(self, stmt: cst.For, iterable, target, body) -> Stmts:
        """``async for``: a ``for`` over the stream of ``type(it).__anext__(it)`` steps.

        ::

            _ds_iter1 = _ds_rt.async_for(iterable)
            try:
                for _ds_item1 in _ds_iter1:        # a step: poll type(it).__anext__(it)
                    if _ds_item1 is _ds_iter1:     # Pending: the step waits
                        yield from _ds_iter1       # hand the wait over, until the step ends
                        continue
                    target = _ds_item1
                    del _ds_item1
                    ...
            finally:
                del _ds_iter1

        A step that waits returns the stream itself (which no iterator yields
        as an item); see `desugar.runtime._stream.AsyncFor`. The stream lives
        in a local that is deleted however the loop ends, as natively the
        iterator lives on the stack: an async generator left by ``break`` or by
        an exception is dropped (and finalized) when the loop is left.
        """
        it = self.label("iter")
        item = self.label("item")
        source = iterable
        if not (isinstance(iterable, cst.Name) and iterable.value == f"{PREFIX}iter"):
            # (an async comprehension's first iterator arrives already as a stream)
            source = cst.Call(func=rt("async_for"), args=[cst.Arg(iterable)])
        out: Stmts = [assign(it, source)]
        comment = self.comment(stmt.iter)
        if comment is not None:
            text = f"# line {self.ctx.positions(stmt.iter)}: async for ... in {one_line(stmt.iter)}"
            out[0] = out[0].with_changes(leading_lines=[cst.EmptyLine(comment=cst.Comment(text))])
        flag = self.label("exhausted") if stmt.orelse is not None else None
        if flag:
            out.append(assign(flag, name("False")))
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
        loop = [wait, assign(target, name(item)), await_.release(item)]
        inner = statements_of(body)
        out.append(
            cst.Try(
                body=block([
                    cst.For(
                        target=name(item),
                        iter=name(it),
                        body=block([*loop, *inner]),
                        orelse=cst.Else(body=block([assign(flag, name("True"))])) if flag else None,
                    )
                ]),
                finalbody=cst.Finally(body=block([await_.release(it)])),
            )
        )
        if flag:
            out.append(cst.If(test=name(flag), body=self.suite(stmt.orelse.body)))  # type: ignore[union-attr]
        return out

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
        new_item = item.with_changes(item=ctx_expr)
        if item.asname is not None and self.suspends(item.asname.name):
            t = self.label("value")
            self.reset()
            stores = self.store(item.asname.name, name(t))
            inner = statements_of(body)
            body = block([*stores, *inner])
            new_item = new_item.with_changes(asname=item.asname.with_changes(name=name(t)))
        return pre + [stmt.with_changes(items=[new_item, *items[1:]], body=body)]

    def async_with(self, stmt: cst.With, items: list[cst.WithItem]) -> Stmts:
        """``async with`` as the language reference spells it out."""
        if len(items) > 1:
            stmt = split_with(stmt, items, 1)
        item = stmt.items[0]
        pre, mgr_expr = self.expr(item.item)
        self.labels += 1
        mgr, aexit, aenter, hit, value = (
            f"{PREFIX}{w}{self.labels}" for w in ("mgr", "aexit", "aenter", "hit", "value")
        )
        lookup = assign(
            cst.Tuple([cst.Element(name(aexit)), cst.Element(name(aenter))], lpar=[], rpar=[]),
            cst.Call(func=rt("async_with"), args=[cst.Arg(name(mgr))]),
        )
        out: Stmts = [*pre, assign(mgr, mgr_expr), lookup]
        comment = self.comment(item.item)
        if comment is not None:
            text = f"# line {self.ctx.positions(item.item)}: async with {one_line(item.item)}"
            out[len(pre)] = out[len(pre)].with_changes(leading_lines=[cst.EmptyLine(comment=cst.Comment(text))])
        out += self.poll_loop(name(aenter), None)
        out.append(assign(value, await_.RESULT))
        out.append(await_.RELEASE)
        out.append(assign(hit, name("False")))
        body = self.suite(stmt.body)
        inner = statements_of(body)
        stores: Stmts = []
        if item.asname is not None:
            self.reset()
            stores = self.store(item.asname.name, name(value))
        exc_args = [cst.Arg(name(mgr)), cst.Arg(cst.Call(func=rt("exc_info")), star="*")]
        exit_with_exc = cst.Call(func=name(aexit), args=exc_args)
        none3 = [cst.Arg(name("None"))] * 3
        exit_clean = cst.Call(func=name(aexit), args=[cst.Arg(name(mgr)), *none3])
        handler_body: Stmts = [
            assign(hit, name("True")),
            *self.poll_loop(exit_with_exc, None),
            cst.If(
                test=negate(await_.RESULT),
                body=block([simple(cst.Raise())]),
            ),
            await_.RELEASE,  # (suppressed)
        ]
        final_body: Stmts = [
            cst.If(
                test=negate(name(hit)),
                body=block([*self.poll_loop(exit_clean, None), await_.RELEASE]),
            ),
            # Natively the manager and its __aexit__ live on the stack: gone once the
            # statement is done, as the __aenter__ value is but for the `as` target.
            await_.release(mgr, aexit, aenter, value, hit),
        ]
        if comment is not None:  # the exit runs at the `async with` line, as natively
            exit_comment = cst.EmptyLine(comment=cst.Comment(f"{text} (exit)"))
            handler_body[0] = handler_body[0].with_changes(leading_lines=[exit_comment])
            final_body[0] = final_body[0].with_changes(leading_lines=[exit_comment])
        out.append(
            cst.Try(
                body=block([*stores, *inner]),
                handlers=[cst.ExceptHandler(body=block(handler_body), type=name("BaseException"))],
                finalbody=cst.Finally(body=block(final_body)),
            )
        )
        return out

    def _stmt_Try(self, stmt: cst.Try) -> Stmts:
        handlers = list(stmt.handlers)
        split = next((i for i, h in enumerate(handlers) if self.suspends(h.type)), None)
        if split is not None and isinstance(stmt, cst.TryStar):
            raise self.ctx.fail(handlers[split], "`await` in the exception type of an `except*` clause is not supported")
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
            test = cst.Call(func=rt("isinstance"), args=[cst.Arg(name(caught)), cst.Arg(kind)])
            chain = [*pre, cst.If(test=test, body=block(body), orelse=cst.Else(body=block(chain)))]
        return cst.ExceptHandler(
            body=block(chain),
            type=name("BaseException"),
            name=cst.AsName(name=name(caught)),
        )

    _stmt_TryStar = _stmt_Try

    def _stmt_Match(self, stmt: cst.Match) -> Stmts:
        pre, subject = self.expr(stmt.subject)
        cases = list(stmt.cases)
        split = next((i for i, c in enumerate(cases) if self.suspends(c.guard)), None)
        if split is None:
            return pre + [stmt.with_changes(subject=subject, cases=[c.with_changes(body=self.suite(c.body)) for c in cases])]
        # A guard that awaits: match up to its case, evaluate the guard in the
        # case's body, and fall through to a second match for the later cases.
        subject_name = self.label("subject")
        matched = f"{PREFIX}matched{self.labels}"
        out: Stmts = [*pre, assign(subject_name, subject), assign(matched, name("True"))]
        first_cases = []
        for c in cases[:split]:
            first_cases.append(c.with_changes(body=self.suite(c.body)))
        guarded = cases[split]
        self.reset()
        gpre, guard = self.expr(guarded.guard)  # type: ignore[arg-type]
        body = self.suite(guarded.body)
        inner = statements_of(body)
        guarded_body = [
            *gpre,
            cst.If(
                test=guard,
                body=block(inner),
                orelse=cst.Else(body=block([assign(matched, name("False"))])),
            ),
        ]
        first_cases.append(guarded.with_changes(guard=None, whitespace_before_if=cst.SimpleWhitespace(""), whitespace_after_if=cst.SimpleWhitespace(""), body=block(guarded_body)))
        rest = cases[split + 1 :]
        if rest:
            first_cases.append(
                cst.MatchCase(pattern=cst.MatchAs(), body=block([assign(matched, name("False"))]))
            )
        out.append(stmt.with_changes(subject=name(subject_name), cases=first_cases))
        if rest:
            second = stmt.with_changes(subject=name(subject_name), cases=rest, leading_lines=[])
            out.append(cst.If(test=negate(name(matched)), body=block(self._stmt_Match(second))))
        return out

    def _stmt_FunctionDef(self, stmt: cst.FunctionDef) -> Stmts:
        pre, stmt = self.def_header(stmt)
        if stmt.asynchronous is not None:
            return pre + [lower_function(self.ctx, stmt)]
        return pre + [nested_defs(self.ctx, stmt)]

    def _stmt_ClassDef(self, stmt: cst.ClassDef) -> Stmts:
        pre, stmt = self.def_header(stmt)
        return pre + [nested_defs(self.ctx, stmt)]

    def def_header(self, stmt):
        """Evaluate the decorators, defaults and annotations of a nested definition in order."""
        parts = self._def_header(stmt)
        if not any(self.suspends(p) for p in parts):
            return [], stmt
        if getattr(stmt, "type_parameters", None) is not None:
            # PEP 695: annotations (a class's bases and keywords) are evaluated in the
            # type parameters' scope, where they may name them, and cannot await;
            # decorators and defaults, outside it: only those move.
            outside = {id(d.decorator) for d in stmt.decorators}
            if isinstance(stmt, cst.FunctionDef):
                params = stmt.params
                outside |= {id(p.default) for p in [*params.posonly_params, *params.params, *params.kwonly_params] if p.default}
            parts = [p for p in parts if id(p) in outside]
        pre: Stmts = []
        mapping: dict[int, cst.CSTNode] = {}
        for part in parts:
            p, low = self.expr(part)  # type: ignore[arg-type]
            pre += p
            low = self.spill(low, pre)
            mapping[id(part)] = low
        header_only = stmt.with_changes(body=block([simple(cst.Pass())]))
        rebuilt = replace(header_only, mapping)
        return pre, rebuilt.with_changes(body=stmt.body)


def nested_defs(ctx: Context, stmt: cst.FunctionDef | cst.ClassDef):
    """Lower the ``async def`` statements found inside a non-async definition."""
    from desugar.compiler.walk import StatementWalker

    return StatementWalker(lambda node: lower_function(ctx, node)).inside(stmt)


def lower_function(ctx: Context, node: cst.FunctionDef) -> cst.FunctionDef:
    """``async def`` -> generator function with poll loops, decorated by the runtime."""
    ctx.depth += 1
    try:
        lowered = _lower_function(ctx, node)
    finally:
        ctx.depth -= 1
    if ctx.depth:
        return lowered
    # The outermost definition: every expression the lowering moved must stand alone.
    fixed = layout.statement(lowered, ctx.kept)
    ctx.kept.clear()
    return fixed  # type: ignore[return-value]


def _lower_function(ctx: Context, node: cst.FunctionDef) -> cst.FunctionDef:
    lowering = FunctionLowering(ctx, node)
    agen = lowering.async_gen
    body = node.body
    statements = list(body.body) if isinstance(body, cst.IndentedBlock) else [
        cst.SimpleStatementLine(body=list(body.body))
    ]
    at = 0
    first = statements[0] if statements else None
    if isinstance(first, cst.SimpleStatementLine) and is_docstring(first):
        at = 1
        if len(first.body) > 1:  # `"doc"; x = 1`: the rest runs after the first poll
            statements[0:1] = [
                first.with_changes(body=[first.body[0].with_changes(semicolon=cst.MaybeSentinel.DEFAULT)]),
                cst.SimpleStatementLine(body=list(first.body[1:])),
            ]
    lowered = [*statements[:at], *lowering.block(statements[at:])]
    if agen:  # a native async generator: its items are yielded as natively
        decorators = list(node.decorators)
        asynchronous = node.asynchronous
    else:  # a generator function that `async_fn` turns into a coroutine function
        if not lowering.polls:
            lowered.append(await_.DEAD_YIELD)
        decorators = [*node.decorators, cst.Decorator(decorator=cst.Attribute(value=cst.Name(RUNTIME), attr=cst.Name("async_fn")))]
        asynchronous = None
    new_body = (
        body.with_changes(body=lowered)
        if isinstance(body, cst.IndentedBlock)
        else cst.IndentedBlock(body=lowered, header=body.trailing_whitespace)
    )
    return node.with_changes(asynchronous=asynchronous, decorators=decorators, body=new_body)

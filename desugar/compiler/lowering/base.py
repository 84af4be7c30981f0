"""The state of one function's lowering: what suspends, temporaries, comments, releases.

`LoweringBase` is what every category of the lowering (`expr`, `stmt`,
`comprehension`, `async_for`, `async_with`, `item`) builds on; `function`
joins them into `FunctionLowering`. An await is emitted by `emit_await`,
which hands it to the module's style (`desugar.compiler.styles`).
"""

from __future__ import annotations

import re
from typing import Callable, Iterator, Sequence

import libcst as cst

from desugar.compiler.build import Stmts, assign, block, name, one_line, release, rt, simple, truth
from desugar.compiler.lowering.common import Context, declarations, is_constant, is_temp
from desugar.compiler.names import AUG_KEY, AUG_TARGET, AUG_VALUE, AWAITEE, PREFIX
from desugar.compiler.styles import AwaitSite

_HELD = re.compile(rf"{PREFIX}t\d+|{AUG_TARGET}|{AUG_KEY}|{AUG_VALUE}")
"""The temporaries that hold an operand of the statement being evaluated."""

_SCOPES = (cst.FunctionDef, cst.ClassDef, cst.Lambda)

_LEAVES = frozenset(
    {cst.Name, cst.Integer, cst.Float, cst.Imaginary, cst.SimpleString, cst.Ellipsis,
     cst.Pass, cst.Break, cst.Continue, cst.Comment, cst.Newline, cst.SimpleWhitespace,
     cst.EmptyLine, cst.TrailingWhitespace, cst.Import, cst.ImportFrom, cst.Global, cst.Nonlocal}
)


class LoweringBase:
    """Lower the body of one ``async def``: the state and helpers its categories share."""

    def __init__(self, ctx: Context, node: cst.FunctionDef) -> None:
        self.ctx = ctx
        self.node = node  # the function being lowered
        self.style = ctx.style
        found = declarations(node.body)  # one scan: yields, globals, nonlocals
        self.async_gen = found.yields
        self.globals = found.globals
        self.nonlocals = found.nonlocals
        self.memo: dict[int, bool] = {}
        self.keep: list[cst.CSTNode] = []  # keep memo keys alive
        self.coroutines: dict[int, bool] = {}  # comprehension -> its scope awaits (symtable's rule)
        self.temps = 0  # expression temporaries: reset for each statement
        self.branches = 0  # > 0 while lowering code that runs only on some paths
        self.unconditional: list[str] = []  # temporaries every path of the statement assigns
        self.awaited = False  # an await ran on every path of the statement
        self.released: set[str] = set()  # temporaries already deleted where their value died
        self.bools: set[str] = set()  # temporaries that hold only True or False
        self.labels = 0  # long-lived temporaries (managers, iterators, flags)
        self.polls = 0  # poll loops emitted (each suspends, making the function a generator)
        self.super_self: str | None = None  # a method's first parameter, for `super()` in its comprehensions
        self.temp_floor = 0  # temporaries below it belong to a statement an inlined comprehension stands in
        self.isolated: set[str] = set()  # the variables of the inlined comprehensions being lowered
        self.scope_names: tuple[set[str], set[str], set[str]] | None = None  # (see `comprehension`)

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
        """Start a new statement: its temporaries are numbered from 1 again (above `temp_floor`)."""
        self.temps = self.temp_floor
        self.unconditional = []
        self.awaited = False
        self.released = set()
        self.bools = set()

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
    # Awaits and their comments
    def emit_await(self, awaited: cst.BaseExpression, origin: cst.CSTNode | None, *, awaitee: bool = False) -> Stmts:
        """The statements that await ``awaited`` (in the module's style); its value is then ``style.result``."""
        self.polls += 1
        return self.style.await_(AwaitSite(awaited, self.async_gen, self.comment(origin), self.ctx.compact, awaitee))

    def comment(self, origin: cst.CSTNode | None) -> cst.EmptyLine | None:
        if origin is None:
            return None
        origin = self.ctx.original(origin)
        line = self.ctx.positions(origin)
        if line is None:
            return None
        return cst.EmptyLine(comment=cst.Comment(f"# line {line}: {one_line(origin)}"))

    def consumed(self, node: cst.BaseExpression, operands: Sequence[cst.CSTNode], stmts: Stmts) -> cst.BaseExpression:
        """``node``, whose ``operands`` include temporaries, evaluated now; then those deleted.

        Natively an operand evaluated before an await waits on the value stack
        and dies as soon as the operation that takes it (a call, an operator, a
        display) is done, before anything after it runs. So here: the
        operation's value goes to a temporary of its own (which its own
        consumer deletes in turn), then its operands are deleted.
        """
        temps = [o.value for o in operands if is_temp(o)]  # type: ignore[attr-defined]
        if not temps:
            return node
        t = self.temp()
        stmts += [assign(t, node), release(*temps)]
        self.released.update(temps)
        return name(t)

    def settled(self, test: cst.BaseExpression, stmts: Stmts) -> cst.BaseExpression:
        """``test`` for an ``if``/``while``/...: a temporary holding a value is tested once, here.

        Natively the value dies once it is tested; a temporary would keep it
        through the body. ``t = True if t else False`` tests it once and drops
        it; the condition then tests a bool.
        """
        if is_temp(test) and test.value not in self.bools:  # type: ignore[attr-defined]
            stmts.append(assign(test.value, truth(test)))  # type: ignore[attr-defined]
        return test

    def release(self) -> Stmts:
        """``del`` what the statement left in generated locals, so values die when natively they would."""
        names = [n for n in self.unconditional if n not in self.released]
        if self.awaited:
            names += self.style.temporaries
        return [release(*names)] if names else []

    def guarded(self, stmts: Stmts) -> Stmts:
        """``stmts`` (a statement's evaluation), its temporaries cleared if an exception leaves it::

            try:
                _ds_t1 = f
                _ds_t2 = a()
                ...                                # await b(), f(_ds_t2, <its value>)
            except _ds_rt.BaseException:
                _ds_t3 = _ds_t2 = _ds_t1 = None
                raise

        Natively the operands wait on the value stack, which an exception
        clears as it unwinds to a handler of the frame (``except``,
        ``finally``, a ``with``'s ``__exit__``) or out of it: they die before
        any handler runs, and a traceback that keeps the frame does not keep
        them. A temporary would live until the next statement reassigns it,
        or as long as the frame. The bare ``raise`` keeps the traceback (no
        entry is added), the ``__context__`` and the line. On 3.11+ a ``try``
        costs nothing until something raises. Not in the compact shapes (a
        block more could pass CPython's limit; see `desugar.compiler.blocks`).
        """
        if self.ctx.compact or not stmts:
            return stmts
        held = _held(stmts, self.style.temporaries)
        if not held:
            return stmts
        first = stmts[0]
        lines = getattr(first, "leading_lines", ())
        if lines:
            stmts = [first.with_changes(leading_lines=[]), *stmts[1:]]
        clear = simple(cst.Assign(targets=[cst.AssignTarget(name(n)) for n in held], value=name("None")))
        handler = cst.ExceptHandler(body=block([clear, simple(cst.Raise())]), type=rt("BaseException"))
        return [cst.Try(body=block(stmts), handlers=[handler], leading_lines=lines)]

    def with_comment(self, stmts: Stmts, origin: cst.CSTNode) -> Stmts:
        comment = self.comment(origin)
        if comment is not None:
            stmts[0] = stmts[0].with_changes(leading_lines=[comment])
        return stmts


    # ------------------------------------------------------------------
    # What each category gives the others. `FunctionLowering` joins the
    # categories; each declares here what it lends, so a category calls it on
    # the base it builds on, never on a sibling module.
    def expr(self, node: cst.BaseExpression) -> tuple[Stmts, cst.BaseExpression]:
        """`ExpressionLowering.expr`: statements to run first, and the expression giving ``node``'s value."""
        raise NotImplementedError

    def cond(self, node: cst.BaseExpression) -> tuple[Stmts, cst.BaseExpression]:
        """`ExpressionLowering.cond`: the same for ``node`` as a condition."""
        raise NotImplementedError

    def operands(self, node: cst.CSTNode) -> list[tuple[cst.CSTNode, str | None]]:
        """`ExpressionLowering.operands`: ``node``'s sub-expressions in CPython's order."""
        raise NotImplementedError

    def ordered(self, node: cst.CSTNode, operands: Sequence[tuple[cst.CSTNode, str | None]],
                fstring: cst.FormattedString | None = None, *, settle: bool = True):
        """`ExpressionLowering.ordered`: ``operands`` evaluated in order, into temporaries."""
        raise NotImplementedError

    def block(self, stmts: Sequence[cst.BaseStatement]) -> Stmts:
        """`StatementLowering.block`: ``stmts`` lowered."""
        raise NotImplementedError

    def suite(self, suite: cst.BaseSuite) -> cst.BaseSuite:
        """`StatementLowering.suite`: ``suite`` lowered."""
        raise NotImplementedError

    def store(self, target: cst.BaseExpression, value: cst.BaseExpression) -> Stmts:
        """`StatementLowering.store`: ``target = value``, awaits in the target included."""
        raise NotImplementedError

    def async_for(self, stmt: cst.For, iterable, target, body) -> Stmts:
        """`AsyncForLowering.async_for`."""
        raise NotImplementedError

    def streams(self) -> bool:
        """`AsyncForLowering.streams`: is ``async for`` a ``for`` over a stream here?"""
        raise NotImplementedError

    def async_with(self, stmt: cst.With, items: list[cst.WithItem]) -> Stmts:
        """`AsyncWithLowering.async_with`."""
        raise NotImplementedError

    def lower_nested(self, node: cst.FunctionDef, *, method: bool = False,
                     comprehension: bool = False) -> cst.FunctionDef:
        """`FunctionLowering.lower_nested`: a nested ``async def``, lowered on its own."""
        raise NotImplementedError


def _held(stmts: Stmts, kept: Sequence[str]) -> list[str]:
    """The temporaries ``stmts`` name (not in nested scopes), the last first (as a stack pops).

    A name of the style's (``kept``: the value of an await) counts only where
    something that may raise reads it: not where it is assigned, as the value
    of plain names, a ``return`` value or in a ``del``. The awaitee never counts: once what it awaited is
    done it holds nothing (its result is taken as it is read).
    """
    seen: dict[str, None] = {}
    values = set(kept) - {AWAITEE}
    stack: list[cst.CSTNode] = list(reversed(stmts))
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Name):
            if _HELD.fullmatch(node.value) or node.value in values:
                seen.setdefault(node.value)
            continue
        if isinstance(node, _SCOPES) or isinstance(node, cst.Del) and not _names(node, _HELD):
            continue
        if isinstance(node, cst.Assign):  # (the await's value assigned: not yet held by anything that raises)
            plain = isinstance(node.value, cst.Name) and all(isinstance(t.target, cst.Name) for t in node.targets)
            if not (plain and node.value.value in values):
                stack.append(node.value)
            stack.extend(t.target for t in reversed(node.targets)
                         if not (isinstance(t.target, cst.Name) and t.target.value in values))
            continue
        if isinstance(node, cst.Return) and isinstance(node.value, cst.Name) and node.value.value in values:
            continue
        stack.extend(reversed(node.children))
    return list(seen)[::-1]


def _names(node: cst.CSTNode, pattern: re.Pattern[str]) -> bool:
    """Does ``node`` name a temporary ``pattern`` matches?"""
    stack = [node]
    while stack:
        part = stack.pop()
        if isinstance(part, cst.Name) and pattern.fullmatch(part.value):
            return True
        stack.extend(part.children)
    return False

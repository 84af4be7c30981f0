"""What every part of the lowering shares: the module's `Context`, and facts about nodes.

Facts: which values no await can change (`is_constant`), what a function's
own scope declares (`declarations`), a suite's statements, docstrings; and
`replace`, which swaps nodes by identity.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Sequence

import libcst as cst

from desugar.compiler.build import Stmts, block
from desugar.compiler.names import PREFIX
from desugar.errors import TranslateError

if TYPE_CHECKING:
    from desugar.compiler.styles import Style

_CONSTANT_NAMES = frozenset({"None", "True", "False"})


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
        return node.value in _CONSTANT_NAMES or is_temp(node)
    if isinstance(node, cst.ConcatenatedString):
        return is_constant(node.left) and is_constant(node.right)  # type: ignore[arg-type]
    return False


def is_temp(node: cst.CSTNode) -> bool:
    """True for an expression temporary (``_ds_t1``...): a value evaluated before an await."""
    return (
        isinstance(node, cst.Name)
        and node.value.startswith(PREFIX + "t")
        and node.value[len(PREFIX) + 1 :].isdigit()
    )


class _Replace(cst.CSTTransformer):
    """Replace nodes by identity, without descending into the replaced ones.

    A node with nothing replaced below it is given back as it was (libcst
    rebuilds every node a transformer visits): code kept from the original
    keeps its nodes, by which the import hook finds its original columns
    (``await f() + 1 / x``: ``1 / x`` is underlined as natively).
    """

    def __init__(self, mapping: dict[int, cst.CSTNode]) -> None:
        super().__init__()
        self.mapping = mapping
        self.changed: list[bool] = []  # per node being visited: was something below it replaced?

    def on_visit(self, node: cst.CSTNode) -> bool:
        if id(node) in self.mapping:
            return False
        self.changed.append(False)
        return True

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode):  # type: ignore[override]
        found = self.mapping.get(id(original_node))
        if found is None:
            if not self.changed.pop():
                return original_node
            found = updated_node
        if self.changed:
            self.changed[-1] = True
        return found


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


def walrus_targets(node: cst.CSTNode) -> list[str]:
    return declarations(node).walrus


class Context:
    """What the lowering of one module shares: positions, errors, the style, counters."""

    def __init__(
        self,
        positions: Callable[[cst.CSTNode], int | None],
        fail: Callable[[cst.CSTNode, str], TranslateError],
        style: Style | None = None,
        compact: bool = False,
        origins: dict[int, tuple[cst.CSTNode, cst.CSTNode]] | None = None,
        tight_withs: frozenset[int] = frozenset(),
    ) -> None:
        self._positions = positions
        # id(rewritten) -> (it, the original): nodes made from original ones (see `rewritten`)
        self.origins: dict[int, tuple[cst.CSTNode, cst.CSTNode]] = {} if origins is None else origins
        self.tight_withs = tight_withs
        """The lines of the managers of the `async with` statements at CPython's deepest block (see `desugar.compiler.blocks`)."""
        self.compact = compact
        self.compact_withs: set[int] = set()  # ids of the `try` of each compact `async with`
        """Lower with no statically nested block CPython does not have (see `desugar.compiler.blocks`)."""
        self.fail = fail
        if style is None:
            from desugar.compiler.styles import get

            style = get()
        self.style = style  # what an await and an async def become
        self.comprehensions = 0
        self.depth = 0  # lower_function calls in progress (nested definitions)
        self.kept: set[int] = set()  # ids of statements kept as written

    def positions(self, node: cst.CSTNode) -> int | None:
        """The original line of ``node``, or of the node it was rewritten from (`rewritten`)."""
        return self._positions(self.original(node))

    def original(self, node: cst.CSTNode) -> cst.CSTNode:
        """The node as written, if ``node`` was rewritten from it before lowering."""
        found = self.origins.get(id(node))
        return node if found is None or found[0] is not node else found[1]

    def rewritten(self, new: cst.CSTNode, original: cst.CSTNode) -> None:
        """``new`` stands for ``original`` (rewritten before lowering, or rebuilt around the
        values of its awaits): it is on the original's line, and spans the original's
        columns for tracebacks' carets (see `desugar.compiler.lines.line_map`)."""
        self.origins[id(new)] = (new, original)


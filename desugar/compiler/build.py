"""Small libcst builders every lowering uses: names, runtime attributes, assignments, blocks.

No knowledge of what an ``await`` becomes lives here (that is a style's, see
`desugar.compiler.styles`), only how generated code is spelled in libcst nodes.
"""

from __future__ import annotations

from typing import Sequence

import libcst as cst

from desugar.compiler.names import RUNTIME

Stmts = list[cst.BaseStatement]
_CODEGEN = cst.Module(body=[])


def code_for(node: cst.CSTNode) -> str:
    """The source text of ``node``, as libcst generates it."""
    return _CODEGEN.code_for_node(node)


def one_line(node: cst.CSTNode, limit: int = 70) -> str:
    """``node``'s code on one line, cut to ``limit`` characters (for comments and messages)."""
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


def truth(test: cst.BaseExpression) -> cst.IfExp:
    """``True if test else False``: ``test`` tested once, as a condition, the value then a bool."""
    return cst.IfExp(test=atom(test), body=name("True"), orelse=name("False"))


def assign(target: cst.BaseAssignTargetExpression | str, value: cst.BaseExpression) -> cst.SimpleStatementLine:
    if isinstance(target, str):
        target = name(target)
    if isinstance(value, (cst.NamedExpr, cst.Yield)) and not value.lpar:
        value = atom(value)
    return simple(cst.Assign(targets=[cst.AssignTarget(target)], value=value))


def block(stmts: Sequence[cst.BaseStatement]) -> cst.IndentedBlock:
    return cst.IndentedBlock(body=list(stmts) or [simple(cst.Pass())])


def simple(*small: cst.BaseSmallStatement) -> cst.SimpleStatementLine:
    return cst.SimpleStatementLine(body=list(small))


def release(*names: str) -> cst.SimpleStatementLine:
    """``del a, b``: drop generated temporaries as soon as the value is used."""
    targets = [
        cst.Element(name(n), comma=cst.MaybeSentinel.DEFAULT) for n in names
    ]
    target: cst.BaseDelTarget = name(names[0]) if len(names) == 1 else cst.Tuple(
        elements=targets, lpar=[], rpar=[]
    )
    return simple(cst.Del(target=target))


def _released(stmt: cst.BaseStatement) -> list[str] | None:
    """The generated names a ``del`` line of `release` deletes (None for any other line)."""
    from desugar.compiler.names import PREFIX

    if not (isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1 and isinstance(stmt.body[0], cst.Del)):
        return None
    if stmt.leading_lines:
        return None
    target = stmt.body[0].target
    names = [e.value for e in target.elements] if isinstance(target, cst.Tuple) else [target]
    if all(isinstance(n, cst.Name) and n.value.startswith(PREFIX) for n in names):
        return [n.value for n in names]  # type: ignore[union-attr]
    return None


def merge_releases(stmts: Stmts) -> Stmts:
    """Adjacent ``del`` lines of generated names as one (``del a`` then ``del b``: ``del a, b``)."""
    out: Stmts = []
    held: list[str] | None = None
    for stmt in stmts:
        names = _released(stmt)
        if names is not None and held is not None:
            held += names
            out[-1] = release(*held)
            continue
        held = names
        out.append(stmt)
    return out

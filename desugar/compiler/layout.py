"""Keep every split of an expression valid whatever its layout.

Inside brackets a line may break anywhere: ``(a +\\n b + await c())`` is one
expression over two lines. When the lowering evaluates part of it into a
temporary, that part leaves the brackets: ``_ds_t1 = a +\\n b`` would not
parse. libcst keeps such a line break (and any comment before it) in a
``ParenthesizedWhitespace`` node, which is valid only inside brackets; so
every expression the lowering puts where a statement holds it (the value of an
assignment, an ``if`` test, a ``return`` value...) is parenthesized when such
a node stands outside any of its own brackets. Parentheses change neither the
value nor the order of evaluation; layout, comments and backslash
continuations are kept as written.
"""

from __future__ import annotations

from typing import Sequence

import libcst as cst

# Nodes whose every part is inside their own brackets.
_ENCLOSED = (
    cst.List, cst.Set, cst.Dict, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp,
    cst.SimpleString, cst.FormattedString, cst.Integer, cst.Float, cst.Imaginary, cst.Name,
    cst.Ellipsis,
)


def loose(node: cst.CSTNode) -> bool:
    """Does ``node`` hold a line break that no bracket of its own encloses?"""
    stack: list[cst.CSTNode] = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, cst.ParenthesizedWhitespace):
            return True
        if isinstance(n, (cst.SimpleWhitespace, *_ENCLOSED)) or getattr(n, "lpar", None):
            continue
        if isinstance(n, cst.Call):
            stack += (n.func, n.whitespace_after_func)
        elif isinstance(n, cst.Subscript):
            stack += (n.value, n.whitespace_after_value)
        else:
            stack.extend(n.children)
    return False


def wrap(node: cst.BaseExpression | None) -> cst.BaseExpression | None:
    """``node`` parenthesized if it needs to be to stand alone."""
    if node is None or not loose(node):
        return node
    return node.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


def _small(stmt: cst.BaseSmallStatement) -> cst.BaseSmallStatement:
    changes: dict[str, object] = {}
    if isinstance(stmt, (cst.Expr, cst.Return, cst.Assign, cst.AugAssign, cst.AnnAssign)):
        value = getattr(stmt, "value", None)
        if value is not None and (new := wrap(value)) is not value:
            changes["value"] = new
    if isinstance(stmt, cst.Assign):
        targets = [t.with_changes(target=wrap(t.target)) if loose(t.target) else t for t in stmt.targets]
        if any(a is not b for a, b in zip(targets, stmt.targets)):
            changes["targets"] = targets
    elif isinstance(stmt, (cst.AugAssign, cst.Del)):
        if loose(stmt.target):
            changes["target"] = wrap(stmt.target)
    elif isinstance(stmt, cst.Raise):
        if stmt.exc is not None and loose(stmt.exc):
            changes["exc"] = wrap(stmt.exc)
        if stmt.cause is not None and loose(stmt.cause.item):
            changes["cause"] = stmt.cause.with_changes(item=wrap(stmt.cause.item))
    elif isinstance(stmt, cst.Assert):
        if loose(stmt.test):
            changes["test"] = wrap(stmt.test)
        if stmt.msg is not None and loose(stmt.msg):
            changes["msg"] = wrap(stmt.msg)
    return stmt.with_changes(**changes) if changes else stmt


def _suite(suite: cst.BaseSuite, skip: set[int]) -> cst.BaseSuite:
    if isinstance(suite, cst.IndentedBlock):
        body = statements(suite.body, skip)
        return suite if body is suite.body else suite.with_changes(body=body)
    assert isinstance(suite, cst.SimpleStatementSuite)
    small = [_small(s) for s in suite.body]
    if any(a is not b for a, b in zip(small, suite.body)):
        return suite.with_changes(body=small)
    return suite


def _header(stmt: cst.BaseCompoundStatement) -> dict[str, object]:
    """Changes that make the expressions in a compound statement's header stand alone."""
    changes: dict[str, object] = {}
    for field in ("test", "iter", "target", "subject"):
        value = getattr(stmt, field, None)
        if isinstance(value, cst.BaseExpression) and loose(value):
            changes[field] = wrap(value)
    if isinstance(stmt, cst.With):
        items = []
        for item in stmt.items:
            if loose(item.item):
                item = item.with_changes(item=wrap(item.item))
            if item.asname is not None and loose(item.asname.name):
                item = item.with_changes(asname=item.asname.with_changes(name=wrap(item.asname.name)))
            items.append(item)
        if any(a is not b for a, b in zip(items, stmt.items)):
            changes["items"] = items
    if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
        decorators = [
            d.with_changes(decorator=wrap(d.decorator)) if loose(d.decorator) else d
            for d in stmt.decorators
        ]
        if any(a is not b for a, b in zip(decorators, stmt.decorators)):
            changes["decorators"] = decorators
    if isinstance(stmt, cst.FunctionDef) and stmt.returns is not None and loose(stmt.returns.annotation):
        changes["returns"] = stmt.returns.with_changes(annotation=wrap(stmt.returns.annotation))
    return changes


def _clauses(clauses: Sequence[cst.CSTNode], field: str, skip: set[int]) -> list[cst.CSTNode] | None:
    """``except`` handlers (``field`` "type") or ``case`` clauses ("guard") made to stand alone; None if unchanged."""
    out = []
    for clause in clauses:
        new = clause
        value = getattr(clause, field)
        if value is not None and loose(value):
            new = new.with_changes(**{field: wrap(value)})
        body = _suite(clause.body, skip)  # type: ignore[attr-defined]
        if body is not clause.body:  # type: ignore[attr-defined]
            new = new.with_changes(body=body)
        out.append(new)
    return out if any(a is not b for a, b in zip(out, clauses)) else None


def statement(stmt: cst.BaseStatement, skip: set[int]) -> cst.BaseStatement:
    """``stmt`` with every expression it holds at statement level standing alone."""
    if id(stmt) in skip:
        return stmt
    if isinstance(stmt, cst.SimpleStatementLine):
        small = [_small(s) for s in stmt.body]
        if any(a is not b for a, b in zip(small, stmt.body)):
            return stmt.with_changes(body=small)
        return stmt
    changes = _header(stmt)  # type: ignore[arg-type]
    body = getattr(stmt, "body", None)
    if isinstance(body, cst.BaseSuite):
        new = _suite(body, skip)
        if new is not body:
            changes["body"] = new
    if isinstance(stmt, (cst.Try, cst.TryStar)):
        handlers = _clauses(stmt.handlers, "type", skip)
        if handlers is not None:
            changes["handlers"] = handlers
        if stmt.finalbody is not None:
            new = _suite(stmt.finalbody.body, skip)
            if new is not stmt.finalbody.body:
                changes["finalbody"] = stmt.finalbody.with_changes(body=new)
    if isinstance(stmt, cst.Match):
        cases = _clauses(stmt.cases, "guard", skip)
        if cases is not None:
            changes["cases"] = cases
    orelse = getattr(stmt, "orelse", None)
    if isinstance(orelse, cst.If):
        new_else = statement(orelse, skip)
        if new_else is not orelse:
            changes["orelse"] = new_else
    elif isinstance(orelse, cst.Else):
        new = _suite(orelse.body, skip)
        if new is not orelse.body:
            changes["orelse"] = orelse.with_changes(body=new)
    return stmt.with_changes(**changes) if changes else stmt


def statements(stmts: Sequence[cst.BaseStatement], skip: set[int]) -> Sequence[cst.BaseStatement]:
    """``stmts`` made to stand alone; statements whose ids are in ``skip`` are as written."""
    out = [statement(s, skip) for s in stmts]
    if any(a is not b for a, b in zip(out, stmts)):
        return out
    return stmts

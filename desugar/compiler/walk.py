"""Find the ``async def`` statements of a module without visiting every node.

libcst's visitors rebuild every node they pass; most of a module is code that
needs no change. This walk descends only through statement bodies, and hands
each outermost ``async def`` to the lowering on its own, so the cost of a
translation grows with the async code, not the module.
"""

from __future__ import annotations

import ast
from typing import Callable, Iterator, Sequence, TypeVar

import libcst as cst

N = TypeVar("N", bound=cst.CSTNode)
Lower = Callable[[cst.FunctionDef], cst.FunctionDef]


def async_def_lines(tree: ast.Module) -> Iterator[int]:
    """Line of each outermost ``async def``, in the order `lower_statements` meets them."""

    def walk(stmts: Sequence[ast.stmt]) -> Iterator[int]:
        for stmt in stmts:
            if isinstance(stmt, ast.AsyncFunctionDef):
                yield stmt.lineno
                continue
            for field in ("body", "handlers", "orelse", "finalbody", "cases"):
                children = getattr(stmt, field, None)
                if not children:
                    continue
                for child in children:
                    if isinstance(child, (ast.excepthandler, ast.match_case)):
                        yield from walk(child.body)
                    elif isinstance(child, ast.stmt):
                        yield from walk([child])

    return walk(tree.body)


class StatementWalker:
    """Rebuild only the statements on the path to an ``async def``."""

    def __init__(self, lower: Lower) -> None:
        self.lower = lower
        self.changed = False

    def inside(self, stmt: N) -> N:
        """``stmt`` (a non-async definition) with the ``async def`` statements in it lowered."""
        return self._with_body(stmt)

    def statements(self, stmts: Sequence[cst.BaseStatement]) -> Sequence[cst.BaseStatement]:
        out = None
        for i, stmt in enumerate(stmts):
            new = self.statement(stmt)
            if new is not stmt:
                if out is None:
                    out = list(stmts)
                out[i] = new
        return stmts if out is None else out

    def suite(self, suite: N) -> N:
        if isinstance(suite, cst.IndentedBlock):
            body = self.statements(suite.body)
            return suite if body is suite.body else suite.with_changes(body=body)
        return suite  # a one-line suite holds no definitions

    def _else(self, node: N | None) -> N | None:
        if node is None:
            return None
        if isinstance(node, cst.If):
            return self.statement(node)  # type: ignore[return-value]
        return self._with_body(node)

    def _with_body(self, node: N) -> N:
        body = self.suite(node.body)  # type: ignore[attr-defined]
        return node if body is node.body else node.with_changes(body=body)  # type: ignore[attr-defined]

    def statement(self, stmt: cst.BaseStatement) -> cst.BaseStatement:
        if isinstance(stmt, cst.SimpleStatementLine):
            return stmt
        if isinstance(stmt, cst.FunctionDef) and stmt.asynchronous is not None:
            self.changed = True
            return self.lower(stmt)
        if isinstance(stmt, (cst.FunctionDef, cst.ClassDef, cst.With)):
            return self._with_body(stmt)
        if isinstance(stmt, (cst.If, cst.For, cst.While)):
            new = self._with_body(stmt)
            orelse = self._else(stmt.orelse)
            return new if orelse is stmt.orelse else new.with_changes(orelse=orelse)
        if isinstance(stmt, (cst.Try, cst.TryStar)):
            new = self._with_body(stmt)
            handlers = [self._with_body(h) for h in stmt.handlers]
            orelse = self._else(stmt.orelse)
            final = self._else(stmt.finalbody)
            if any(a is not b for a, b in zip(handlers, stmt.handlers)):
                new = new.with_changes(handlers=handlers)
            if orelse is not stmt.orelse:
                new = new.with_changes(orelse=orelse)
            if final is not stmt.finalbody:
                new = new.with_changes(finalbody=final)
            return new
        if isinstance(stmt, cst.Match):
            cases = [self._with_body(c) for c in stmt.cases]
            if any(a is not b for a, b in zip(cases, stmt.cases)):
                return stmt.with_changes(cases=cases)
            return stmt
        return stmt

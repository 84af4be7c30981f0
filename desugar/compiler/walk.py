"""Find the ``async def`` statements of a module without visiting every node.

libcst's visitors rebuild every node they pass; most of a module is code that
needs no change. This walk descends only through statement bodies, and hands
each outermost ``async def`` to the lowering on its own, so the cost of a
translation grows with the async code, not the module.

`segments` cuts a module's text between top-level statements, where nothing
of one statement's layout belongs to the next: each piece is parsed by libcst
on its own (only the pieces that hold an ``async def``), so no tree of the
whole module is ever built, and black formats the output piece by piece.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Callable, Iterator, Sequence, TypeVar

import libcst as cst

N = TypeVar("N", bound=cst.CSTNode)
Lower = Callable[[cst.FunctionDef], cst.FunctionDef]


def async_def_lines(tree: ast.Module) -> Iterator[int]:
    """Line of each outermost ``async def``, in the order `lower_statements` meets them."""
    return _async_defs(tree.body)


def _async_defs(stmts: Sequence[ast.stmt]) -> Iterator[int]:
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
                    yield from _async_defs(child.body)
                elif isinstance(child, ast.stmt):
                    yield from _async_defs([child])


@dataclass(frozen=True)
class Segment:
    """Whole top-level statements of a module's text, with the lines before them.

    The text of a module is the concatenation of its segments' texts. Between
    two segments there are only empty lines and comments at column 0 (which
    belong to the statement below them, for libcst as for black), so a
    segment parses on its own to the nodes the whole module has, and the
    statement above a cut owns nothing of the text below it.
    """

    start: int  # offset of the segment's first character in the source
    end: int  # offset past its last character
    line: int  # the (1-based) line it starts on
    body_line: int  # the line its first statement starts on (after empty lines and comments)
    statements: int  # top-level statements in it, as ``ast`` counts them
    async_defs: int  # outermost ``async def`` statements in it (what the walker lowers)
    opens_with_expression: bool  # its first statement is an expression (a docstring, say)


_NEWLINE = re.compile("\n")


def segments(tree: ast.Module, source: str) -> list[Segment]:
    """Cut ``source`` (parsed as ``tree``) between top-level statements where it can be cut.

    A cut goes after the line a statement ends on, when the next statement
    starts on a later line and every line in between is empty or a comment
    at column 0, and the statement's last line does not end with a
    backslash. The module's prologue (docstring and ``__future__`` imports,
    then the next statement, before which the runtime import goes) stays in
    the first segment. Source with carriage returns is not cut (one segment).
    """
    body = tree.body
    if not body or "\r" in source:
        return [_segment(source, body, 0, len(source), 1)]
    starts = [0]  # offset of each line (ast's lines: "\n" only, as "\r" is excluded)
    starts += [m.end() for m in _NEWLINE.finditer(source)]
    starts.append(len(source))

    def text(line: int) -> str:  # a line without its newline
        return source[starts[line - 1] : starts[line] - 1]

    first = 0
    if isinstance(body[0], ast.Expr):
        first = 1
    while first < len(body) and (
        (isinstance(body[first], ast.ImportFrom) and body[first].module == "__future__")
        or (first and body[first].lineno <= body[first - 1].end_lineno)  # type: ignore[operator]
    ):
        first += 1
    out: list[Segment] = []
    begin = 0  # index of the first statement of the segment being built
    offset = 0
    line = 1
    for i in range(first + 1, len(body)):
        end = body[i - 1].end_lineno
        assert end is not None
        top = _first_line(body[i])
        if top <= end or text(end).endswith("\\"):
            continue
        if any(text(k) and text(k)[0] != "#" for k in range(end + 1, top)):
            continue
        cut = starts[end]
        out.append(_segment(source, body[begin:i], offset, cut, line))
        begin, offset, line = i, cut, end + 1
    out.append(_segment(source, body[begin:], offset, len(source), line))
    return out


def _first_line(stmt: ast.stmt) -> int:
    return min([stmt.lineno, *(d.lineno for d in getattr(stmt, "decorator_list", ()))])


def _segment(source: str, stmts: Sequence[ast.stmt], start: int, end: int, line: int) -> Segment:
    return Segment(
        start=start,
        end=end,
        line=line,
        body_line=_first_line(stmts[0]) if stmts else line,
        statements=len(stmts),
        async_defs=sum(1 for _ in _async_defs(stmts)),
        opens_with_expression=bool(stmts) and isinstance(stmts[0], ast.Expr),
    )


def default_indent(tree: ast.Module, source: str) -> str | None:
    """The indentation libcst infers for the whole module (its first INDENT), or None if none.

    The first INDENT token stands before the first statement that begins a
    line at a column above 0 (not after a backslash): statements are met in
    source order, so the walk stops there.
    """
    lines: list[str] | None = None

    def line_text(n: int) -> str:
        nonlocal lines
        if lines is None:
            lines = source.split("\n")
        return lines[n - 1] if 0 < n <= len(lines) else ""

    def walk(stmts: Sequence[ast.stmt]) -> str | None:
        for stmt in stmts:
            if stmt.col_offset > 0:
                text = line_text(stmt.lineno)
                head = text[: stmt.col_offset]
                if head and not head.strip(" \t\f") and not line_text(stmt.lineno - 1).endswith("\\"):
                    return head
            for field in ("body", "handlers", "orelse", "finalbody", "cases"):
                for child in getattr(stmt, field, None) or ():
                    found = walk(child.body if isinstance(child, (ast.excepthandler, ast.match_case)) else [child])
                    if found is not None:
                        return found
        return None

    return walk(tree.body)


class StatementWalker:
    """Rebuild only the statements on the path to an ``async def``."""

    def __init__(self, lower: Lower) -> None:
        self.lower = lower
        self.changed = False
        self.in_class = False  # the statements walked are a class body's (its defs are methods)

    def inside(self, stmt: N) -> N:
        """``stmt`` (a non-async definition) with the ``async def`` statements in it lowered."""
        return self.statement(stmt)  # type: ignore[arg-type,return-value]

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
        if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
            outer, self.in_class = self.in_class, isinstance(stmt, cst.ClassDef)
            try:
                return self._with_body(stmt)
            finally:
                self.in_class = outer
        if isinstance(stmt, cst.With):
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

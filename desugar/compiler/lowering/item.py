"""Definitions nested in an ``async def`` (rustc's ``item.rs``): their headers, their bodies.

A nested definition's decorators, defaults and annotations are evaluated where
it stands, in CPython's order (so an ``await`` among them is an await of the
enclosing function); a nested ``async def`` is lowered on its own, and the
``async def`` statements inside a nested ``def`` or ``class`` are found and
lowered too.
"""

from __future__ import annotations

import libcst as cst

from desugar.compiler.build import Stmts, block, simple
from desugar.compiler.lowering.base import LoweringBase
from desugar.compiler.lowering.common import replace


class ItemLowering(LoweringBase):
    """Nested ``def``/``async def``/``class`` statements."""

    def _stmt_FunctionDef(self, stmt: cst.FunctionDef) -> Stmts:
        pre, stmt = self.def_header(stmt)
        if stmt.asynchronous is not None:
            return self.guarded(pre) + [self.lower_nested(stmt)]
        return self.guarded(pre) + [self.nested_defs(stmt)]

    def _stmt_ClassDef(self, stmt: cst.ClassDef) -> Stmts:
        pre, stmt = self.def_header(stmt)
        return self.guarded(pre) + [self.nested_defs(stmt)]

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

    def nested_defs(self, stmt: cst.FunctionDef | cst.ClassDef):
        """Lower the ``async def`` statements found inside a non-async definition."""
        from desugar.compiler.walk import StatementWalker

        walker = StatementWalker(lambda node: self.lower_nested(node, method=walker.in_class))
        return walker.inside(stmt)


"""One ``async def``, lowered: the categories joined, and the function they make.

`FunctionLowering` is the lowering of one function's body, each category of
code in a module of its own (`expr`, `comprehension`, `stmt`, `async_for`,
`async_with`, `item`, over the state in `base`). What the ``async def``
becomes around its body (a decorated generator function, an async generator)
is the style's (`desugar.compiler.styles`).
"""

from __future__ import annotations

import libcst as cst

from desugar.compiler import cst_depth, layout  # noqa: F401  (cst_depth: deep code generation)
from desugar.compiler.lowering.async_for import AsyncForLowering
from desugar.compiler.lowering.async_with import AsyncWithLowering
from desugar.compiler.lowering.common import Context, is_docstring
from desugar.compiler.lowering.comprehension import ComprehensionLowering
from desugar.compiler.lowering.item import ItemLowering
from desugar.compiler.lowering.stmt import StatementLowering


class FunctionLowering(
    StatementLowering, AsyncForLowering, AsyncWithLowering, ItemLowering, ComprehensionLowering
):
    """Lower the body of one ``async def`` (and, recursively, what it contains)."""

    def lower_nested(
        self, node: cst.FunctionDef, *, method: bool = False, comprehension: bool = False
    ) -> cst.FunctionDef:
        """A nested ``async def`` (a method if ``method``; or a comprehension's), lowered on its own."""
        return lower_function(
            self.ctx, node, method=method, super_self=self.super_self if comprehension else None
        )


def lower_function(
    ctx: Context, node: cst.FunctionDef, *, method: bool = False, super_self: str | None = None
) -> cst.FunctionDef:
    """``async def`` -> the function its style makes of it (a generator function with poll loops).

    ``method``: it is defined in a class body; ``super_self``: it is an async
    comprehension's, in a method whose first parameter has that name.
    """
    if method and super_self is None:
        params = [*node.params.posonly_params, *node.params.params]
        super_self = params[0].name.value if params else None
    ctx.depth += 1
    try:
        lowered = _lower_function(ctx, node, super_self)
    finally:
        ctx.depth -= 1
    if ctx.depth:
        return lowered
    # The outermost definition: every expression the lowering moved must stand alone.
    fixed = layout.statement(lowered, ctx.kept)
    ctx.kept.clear()
    return fixed  # type: ignore[return-value]


def _lower_function(ctx: Context, node: cst.FunctionDef, super_self: str | None) -> cst.FunctionDef:
    lowering = FunctionLowering(ctx, node)
    lowering.super_self = super_self
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
    return ctx.style.async_def(node, lowered, async_gen=lowering.async_gen, polls=lowering.polls > 0)

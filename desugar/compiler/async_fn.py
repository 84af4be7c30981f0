"""`async def f(...)`: its body lowered, and the function its style makes of it.

Each outermost ``async def`` of a module is lowered on its own
(`lower_async_def`): its awaits are evaluated in order into temporaries by the
lowering (`desugar.compiler.lowering`), and its style
(`desugar.compiler.styles`) spells each await and what the ``async def``
becomes: for the poll lowering, a generator function decorated
``@_ds_rt.async_fn``, whose call returns a real coroutine that polls what it
awaits in explicit loops, the task's Context in a per-thread slot (see
`desugar.compiler.styles.poll`). `import_runtime` adds the runtime's import.
"""

from __future__ import annotations


from typing import Callable

import libcst as cst

from desugar.compiler.lines import positions, start_lines
from desugar.compiler.lowering import Context, is_docstring, lower_function
from desugar.compiler.names import RUNTIME
from desugar.compiler.styles import Style
from desugar.errors import TranslateError


def lower_async_def(
    node: cst.FunctionDef,
    def_line: int,
    filename: str,
    source: str,
    style: Style | None = None,
    method: bool = False,
    compact: bool = False,
    origins: dict[int, tuple[cst.CSTNode, cst.CSTNode]] | None = None,
    tight_withs: frozenset[int] = frozenset(),
    start_line: Callable[[cst.CSTNode], int | None] | None = None,
) -> cst.FunctionDef:
    """Lower one outermost ``async def`` whose ``def`` keyword is on ``def_line`` (in ``style``).

    ``method``: it is defined in a class body. ``compact``: in the shapes that add
    no statically nested block (see `desugar.compiler.blocks`), for a function
    nested as deeply as CPython allows. ``origins``, if given, gets the nodes the
    lowering made from original ones (see `desugar.compiler.lowering.common.Context.rewritten`).
    ``start_line``, if given, gives the line each node starts on in some text that holds the
    function (`desugar.compiler.lines.original_spans`'), instead of a code generation of it here.
    """
    module = cst.Module(body=[node])
    if start_line is None:
        start_line = start_lines(module).get
    name_line = start_line(node.name)
    assert name_line is not None
    offset = def_line - name_line

    def line(n: cst.CSTNode) -> int | None:
        start = start_line(n)  # type: ignore[misc]
        return None if start is None else start + offset

    def fail(n: cst.CSTNode, message: str) -> TranslateError:
        position = positions(module).get(n)  # columns too: only for an error
        at_line = position.start.line + offset if position else def_line
        col = position.start.column + 1 if position else 1
        return TranslateError(message, line=at_line, col=col).located(filename, source)

    return lower_function(Context(line, fail, style, compact, origins, tight_withs), node, method=method)


def import_runtime(module: cst.Module) -> cst.Module:
    """Add ``import desugar.runtime as _ds_rt`` after the docstring and ``__future__`` imports."""
    body = list(module.body)
    at = 0
    if body and is_docstring(body[0]):
        at = 1
    while at < len(body) and _is_future_import(body[at]):
        at += 1
    stmt = cst.SimpleStatementLine(
        body=[
            cst.Import(
                names=[
                    cst.ImportAlias(
                        name=cst.Attribute(value=cst.Name("desugar"), attr=cst.Name("runtime")),
                        asname=cst.AsName(name=cst.Name(RUNTIME)),
                    )
                ]
            )
        ]
    )
    body.insert(at, stmt)
    return module.with_changes(body=body)


def _is_future_import(stmt: cst.BaseStatement) -> bool:
    return (
        isinstance(stmt, cst.SimpleStatementLine)
        and any(
            isinstance(s, cst.ImportFrom)
            and isinstance(s.module, cst.Name)
            and s.module.value == "__future__"
            for s in stmt.body
        )
    )

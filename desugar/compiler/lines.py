"""Original line numbers for translated code.

Unchanged code keeps its libcst nodes in the translated tree, so the
position of each such node before and after translation gives a line map;
generated lines take the line of the original code above them (a poll loop
follows the line that holds its ``await``). `renumber` applies the map to the
translated module's ``ast`` before it is compiled, so tracebacks, ``linecache``,
``inspect.getsource`` and pdb breakpoints point at the source the user wrote.
"""

from __future__ import annotations

import ast

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider


_CODE = (cst.BaseExpression, cst.BaseSmallStatement, cst.BaseStatement)


def _positions(module: cst.Module):
    return MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)


def line_map(original: cst.Module, output: cst.Module) -> list[int]:
    """For each line of ``output.code``, the line of ``original`` it comes from."""
    before = _positions(original)
    after = _positions(output)
    total = output.code.count("\n") + 1
    lines: list[int | None] = [None] * (total + 1)
    for node, where in after.items():
        if not isinstance(node, _CODE):
            continue  # whitespace nodes may be shared defaults, found anywhere
        was = before.get(node)
        if was is None:
            continue
        for offset in range(where.end.line - where.start.line + 1):
            at = where.start.line + offset
            if lines[at] is None:
                lines[at] = min(was.start.line + offset, was.end.line)
    result: list[int] = []
    last = 1
    for line in lines[1:]:
        if line is not None:
            last = line
        result.append(last)
    return result


def renumber(tree: ast.AST, lines: list[int], source: str) -> None:
    """Give every node of ``tree`` (the translated module) its original line.

    Columns would be those of the translated text, so each node spans its
    whole original line instead (tracebacks then underline nothing).
    """
    widths = [len(text.encode("utf-8")) for text in source.splitlines()]
    last = len(lines)
    for node in ast.walk(tree):
        lineno = getattr(node, "lineno", None)
        if lineno is None:
            continue
        line = lines[min(lineno, last) - 1]
        node.lineno = line  # type: ignore[attr-defined]
        node.end_lineno = line  # type: ignore[attr-defined]
        node.col_offset = 0  # type: ignore[attr-defined]
        node.end_col_offset = widths[line - 1] if line - 1 < len(widths) else 0  # type: ignore[attr-defined]

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
import re

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from desugar.compiler.names import RUNTIME
from desugar.errors import source_lines


_CODE = (cst.BaseExpression, cst.BaseSmallStatement, cst.BaseStatement)
_ANCHOR = re.compile(r"^\s*# line (\d+): ")


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
    # The compiler's own "# line N: ..." comments anchor the generated code
    # below them to line N (the exit of an `async with`, after its body, is
    # the `async with` line, as natively).
    original_text = original.code
    for at, text in enumerate(output.code.split("\n"), 1):
        if lines[at] is None:
            match = _ANCHOR.match(text)
            if match and text.strip() not in original_text:
                lines[at] = int(match.group(1))
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
    whole original line instead, from its first to its last non-blank
    character: that is the span tracebacks underline nothing for (Python's
    ``traceback`` module and the interpreter's own printer alike compare it
    with the line stripped of its indentation).
    """
    spans = [_span(text) for text in source_lines(source)]  # CPython's lines, not splitlines()
    last = len(lines)
    for node in ast.walk(tree):
        lineno = getattr(node, "lineno", None)
        if lineno is None:
            continue
        line = lines[min(lineno, last) - 1]
        start, end = spans[line - 1] if line - 1 < len(spans) else (0, 0)
        node.lineno = line  # type: ignore[attr-defined]
        node.end_lineno = line  # type: ignore[attr-defined]
        node.col_offset = start  # type: ignore[attr-defined]
        node.end_col_offset = end  # type: ignore[attr-defined]
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            for decorator in node.decorator_list:
                if _is_runtime_decorator(decorator):
                    # Generated above the ``def``, it would take the line above the
                    # ``async def`` (an import, say); it stands for the ``def`` itself,
                    # where ``co_firstlineno`` and ``inspect.getsource`` must start.
                    for part in ast.walk(decorator):
                        _copy_position(node, part)


def _is_runtime_decorator(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == RUNTIME
    )


def _copy_position(source: ast.AST, target: ast.AST) -> None:
    for field in ("lineno", "end_lineno", "col_offset", "end_col_offset"):
        setattr(target, field, getattr(source, field))


def _span(text: str) -> tuple[int, int]:
    """UTF-8 byte offsets of the first and past the last non-blank character of a line."""
    end = len(text.rstrip().encode("utf-8"))
    start = len(text.encode("utf-8")) - len(text.lstrip().encode("utf-8"))
    return min(start, end), end

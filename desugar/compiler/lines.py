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
from contextlib import contextmanager
from typing import Iterator, Mapping

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

try:
    from libcst.metadata.position_provider import PositionProvidingCodegenState
except ImportError:  # pragma: no cover - another libcst's layout: positions_and_code falls back
    PositionProvidingCodegenState = None  # type: ignore[assignment,misc]

from desugar.compiler import cst_depth  # noqa: F401  (deep code generation)
from desugar.compiler.names import RUNTIME
from desugar.errors import source_lines

try:
    from libcst._nodes.internal import CodegenState
except ImportError:  # pragma: no cover - another libcst's layout: start_lines falls back
    CodegenState = object  # type: ignore[assignment,misc]


_CODE = (cst.BaseExpression, cst.BaseSmallStatement, cst.BaseStatement)
_ANCHOR = re.compile(r"^\s*# line (\d+): ")
_NEWLINES = re.compile(r"\r\n?|\n")  # what libcst counts as a line break


def positions(module: cst.Module) -> Mapping[cst.CSTNode, CodeRange]:
    """Every node's `PositionProvider` range (its syntactic start and end) in ``module``."""
    return positions_and_code(module)[0]


def positions_and_code(module: cst.Module) -> tuple[Mapping[cst.CSTNode, CodeRange], str]:
    """`positions` and ``module.code``, from one code generation.

    ``MetadataWrapper(...).resolve(PositionProvider)`` runs the same code
    generation, then visits the whole tree once more for the batchable
    providers (there are none), rebuilding every node: about half its cost.
    """
    provider = PositionProvider()
    try:
        if PositionProvidingCodegenState is None:
            raise AttributeError("no PositionProvidingCodegenState")
        state = PositionProvidingCodegenState(
            default_indent=module.default_indent,
            default_newline=module.default_newline,
            provider=provider,
        )
        module._codegen(state)
        return provider._computed, "".join(state.tokens)
    except (AttributeError, TypeError):  # another libcst's internals: the public way
        found = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
        return found, module.code


class _StartLineState(CodegenState):
    """Code generation that records only the line each node starts on (as `PositionProvider` does)."""

    def __init__(self, module: cst.Module) -> None:
        super().__init__(default_indent=module.default_indent, default_newline=module.default_newline)
        self.line = 1
        self.starts: dict[cst.CSTNode, int] = {}
        self.stack: list[int] = []

    def add_token(self, value: str) -> None:
        self.tokens.append(value)
        if "\n" in value or "\r" in value:
            self.line += len(_NEWLINES.findall(value))

    def before_codegen(self, node: cst.CSTNode) -> None:
        self.stack.append(self.line)

    def after_codegen(self, node: cst.CSTNode) -> None:
        start = self.stack.pop()
        if node not in self.starts:  # a syntactic start, recorded inside, wins
            self.starts[node] = start

    @contextmanager
    def record_syntactic_position(
        self,
        node: cst.CSTNode,
        *,
        start_node: cst.CSTNode | None = None,
        end_node: cst.CSTNode | None = None,
    ) -> Iterator[None]:
        start = self.line
        yield
        self.starts[node] = self.starts[start_node] if start_node is not None else start


def start_lines(module: cst.Module) -> Mapping[cst.CSTNode, int]:
    """For each node of ``module``, ``positions(module)[node].start.line``, at about half the cost.

    No `CodePosition` objects and no regular expression per token: the
    lowering asks only for the lines of what it annotates.
    """
    try:
        state = _StartLineState(module)
        module._codegen(state)
        return state.starts
    except (AttributeError, TypeError):  # another libcst's internals: the public way
        return {node: where.start.line for node, where in positions(module).items()}


def line_map(
    original: cst.Module,
    output: cst.Module,
    *,
    original_text: str | None = None,
    first_line: int = 1,
    last: int = 1,
) -> tuple[str, list[int]]:
    """``output.code`` and, for each of its lines, the line of ``original`` it comes from.

    ``original`` may be a piece of a module that starts at line ``first_line``
    of it (``original_text`` is its text, if the caller has it); ``last`` is
    the line of the code above the piece, which generated lines at its top
    take.
    """
    before = positions(original)
    after, code = positions_and_code(output)
    shift = first_line - 1
    total = code.count("\n") + 1
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
                lines[at] = min(was.start.line + offset, was.end.line) + shift
    # The compiler's own "# line N: ..." comments anchor the generated code
    # below them to line N (the exit of an `async with`, after its body, is
    # the `async with` line, as natively).
    if original_text is None:
        original_text = original.code
    for at, text in enumerate(code.split("\n"), 1):
        if lines[at] is None:
            match = _ANCHOR.match(text)
            if match and text.strip() not in original_text:
                lines[at] = int(match.group(1))
    result: list[int] = []
    for line in lines[1:]:
        if line is not None:
            last = line
        result.append(last)
    return code, result


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


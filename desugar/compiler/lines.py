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
import sys
from bisect import bisect_left
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator, Mapping

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

try:
    from libcst.metadata.position_provider import PositionProvidingCodegenState
except ImportError:  # pragma: no cover - another libcst's layout: positions_and_code falls back
    PositionProvidingCodegenState = None  # type: ignore[assignment,misc]

from desugar.compiler import cst_depth  # noqa: F401  (deep code generation)
from desugar.compiler.names import PREFIX, RUNTIME
from desugar.errors import source_lines

try:
    from libcst._nodes.internal import CodegenState
except ImportError:  # pragma: no cover - another libcst's layout: start_lines falls back
    CodegenState = object  # type: ignore[assignment,misc]


_CODE = (cst.BaseExpression, cst.BaseSmallStatement, cst.BaseStatement)
AWAITEE = f"{PREFIX}awaitee"
ITER = f"{PREFIX}iter"
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


Span = tuple[int, int, int, int]  # (line, column, end line, end column), columns in characters


@dataclass
class Columns:
    """Where the translated code's pieces of original code were written (for column carets).

    ``kept``: the output span of each node kept from the original -> its original
    span. ``awaits``: the output line of each await's ``# line N:`` comment -> the
    original span of that ``await``. Output lines count from 1 in the whole
    translated module; original lines are the module's.
    """

    kept: dict[Span, Span] = field(default_factory=dict)
    awaits: dict[int, Span] = field(default_factory=dict)
    copied: dict[int, int] = field(default_factory=dict)  # output line -> original, text unchanged

    def add(self, other: Columns, offset: int) -> None:
        """Take ``other``'s, whose output lines start ``offset`` lines further down."""
        for (a, b, c, d), span in other.kept.items():
            self.kept.setdefault((a + offset, b, c + offset, d), span)
        for line, span in other.awaits.items():
            self.awaits[line + offset] = span
        for line, was in other.copied.items():
            self.copied[line + offset] = was


def line_map(
    original: cst.Module,
    output: cst.Module,
    *,
    original_text: str | None = None,
    first_line: int = 1,
    last: int = 1,
    columns: Columns | None = None,
    origins: Mapping[int, tuple[cst.CSTNode, cst.CSTNode]] | None = None,
) -> tuple[str, list[int]]:
    """``output.code`` and, for each of its lines, the line of ``original`` it comes from.

    ``original`` may be a piece of a module that starts at line ``first_line``
    of it (``original_text`` is its text, if the caller has it); ``last`` is
    the line of the code above the piece, which generated lines at its top
    take. ``columns``, if given, gets the spans of the code kept and of the
    awaits (see `Columns`). ``origins``: id(node) -> (node, the original node it
    stands for), for nodes the lowering rebuilt around the values of their awaits
    (``int(_ds_awaitee.value)`` for ``int(await f())``): they take the original's
    columns, so an error they raise is underlined as natively (not its lines: the
    generated lines around them have theirs already).
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
            found = origins.get(id(node)) if origins and columns is not None else None
            if found is not None and found[0] is node:
                was = before.get(found[1])
                if was is not None:
                    columns.kept.setdefault(  # type: ignore[union-attr]
                        (where.start.line, where.start.column, where.end.line, where.end.column),
                        (was.start.line + shift, was.start.column, was.end.line + shift, was.end.column),
                    )
            continue
        if columns is not None:
            columns.kept.setdefault(
                (where.start.line, where.start.column, where.end.line, where.end.column),
                (was.start.line + shift, was.start.column, was.end.line + shift, was.end.column),
            )
        for offset in range(where.end.line - where.start.line + 1):
            at = where.start.line + offset
            if lines[at] is None:
                lines[at] = min(was.start.line + offset, was.end.line) + shift
    if columns is not None:
        _await_spans(before, after, code, shift, columns)
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


def _await_spans(before: Mapping[cst.CSTNode, CodeRange], after: Mapping[cst.CSTNode, CodeRange],
                 code: str, shift: int, columns: Columns) -> None:
    """Each ``# line N: await ...`` comment's output line -> that await's original span."""
    awaits: dict[tuple[int, str], CodeRange] = {}
    for node, was in before.items():
        if node in after:
            continue  # (lowered ones are not in the output)
        if isinstance(node, (cst.Await, cst.ListComp, cst.SetComp, cst.DictComp)):
            # (an async comprehension with a function of its own is awaited where it stands)
            awaits.setdefault((was.start.line + shift, _one_line(node)), was)
        elif isinstance(node, cst.For) and node.asynchronous is not None and node.iter in before:
            # (the compiler's comment names the iterable: see lowering/async_for.py)
            line = before[node.iter].start.line + shift
            awaits.setdefault((line, f"async for ... in {_one_line(node.iter)}"), was)
        elif isinstance(node, cst.With) and node.asynchronous is not None:
            # its `__aenter__` and `__aexit__` are awaited where CPython places them: at the
            # item on 3.13+, at the whole statement before (async_with.py writes the comments)
            for item in node.items:
                where = before.get(item.item)
                if where is not None:
                    if sys.version_info < (3, 13):
                        where = was
                    text = f"async with {_one_line(item.item)}"
                    line = before[item.item].start.line + shift
                    awaits.setdefault((line, text), where)
                    awaits.setdefault((line, f"{text} (exit)"), where)
    if not awaits:
        return
    for at, text in enumerate(code.split("\n"), 1):
        match = _ANCHOR.match(text)
        if match is None:
            continue
        was = awaits.get((int(match.group(1)), text[match.end():]))
        if was is not None:
            columns.awaits[at] = (was.start.line + shift, was.start.column, was.end.line + shift, was.end.column)


def _one_line(node: cst.CSTNode) -> str:
    from desugar.compiler.build import one_line

    return one_line(node)


def renumber(tree: ast.AST, lines: list[int], source: str, columns: Columns | None = None,
             code: str | None = None) -> None:
    """Give every node of ``tree`` (the translated module) its original line and columns.

    A node kept from the original code gets its original span, so tracebacks
    draw their carets where they draw them natively (Python 3.11+). The code
    of an await's poll loop (``_ds_awaitee = into_future(...)`` and the ``for``
    over it, with its ``yield from``) gets the span of that ``await``: an error
    raised by what is awaited shows there, as natively. Any other generated
    node spans its whole original line, from its first to its last non-blank
    character: the span tracebacks underline nothing for (Python's
    ``traceback`` module and the interpreter's own printer alike compare it
    with the line stripped of its indentation). ``columns`` and ``code`` (the
    translated text) come with `line_map`'s; without them every node spans its
    whole line.
    """
    source_text = source_lines(source)  # CPython's lines, not splitlines()
    spans = [_span(text) for text in source_text]
    last = len(lines)
    exact: dict[int, Span] = {}
    if columns is not None and code is not None:
        exact = _exact_spans(tree, columns, code.split("\n"))
    for node in ast.walk(tree):
        if not _placed(node):
            continue
        lineno = node.lineno  # type: ignore[attr-defined]
        if columns is not None and lineno in columns.copied and node.end_lineno in columns.copied:  # type: ignore[attr-defined]
            node.lineno = columns.copied[lineno]  # type: ignore[attr-defined]
            node.end_lineno = columns.copied[node.end_lineno]  # type: ignore[attr-defined]
            continue  # (a line copied as it is: its columns are the original's)
        found = exact.get(id(node))
        if found is not None:
            line, column, end_line, end_column = found
            if end_line - 1 < len(source_text):
                node.lineno = line  # type: ignore[attr-defined]
                node.end_lineno = end_line  # type: ignore[attr-defined]
                node.col_offset = _bytes(source_text[line - 1], column)  # type: ignore[attr-defined]
                node.end_col_offset = _bytes(source_text[end_line - 1], end_column)  # type: ignore[attr-defined]
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
                        if _placed(part):
                            _copy_position(node, part)


def _exact_spans(tree: ast.AST, columns: Columns, code_lines: list[str]) -> dict[int, Span]:
    """id(node) -> its original span, for the nodes of ``tree`` that have one (see `renumber`)."""
    exact: dict[int, Span] = {}

    def output_span(node: ast.AST) -> Span:
        line, end_line = node.lineno, node.end_lineno  # type: ignore[attr-defined]
        return (line, _chars(code_lines[line - 1], node.col_offset),  # type: ignore[attr-defined]
                end_line, _chars(code_lines[end_line - 1], node.end_col_offset))  # type: ignore[attr-defined]

    def kept(node: ast.AST) -> None:
        for inner in ast.walk(node):
            if not _placed(inner) or id(inner) in exact:
                continue
            span = columns.kept.get(output_span(inner))
            if span is not None:
                exact[id(inner)] = span

    def poll_loop(statement: ast.stmt) -> list[ast.AST]:
        """The parts of an await's poll loop, or of an ``async for``'s, in ``statement``.

        ``_ds_awaitee = <runtime>.into_future(...)`` and ``for _ds_poll in
        _ds_awaitee: ...``; ``_ds_iterN = <runtime>.async_for(...)`` and ``for
        _ds_itemN in _ds_iterN:`` with its ``if _ds_itemN is _ds_iterN: yield
        from ...`` (not the loop's body: its statements have their own places).
        """
        if isinstance(statement, ast.For) and isinstance(statement.iter, ast.Name):
            if statement.iter.id == AWAITEE:
                return [statement]
            if statement.iter.id.startswith(ITER):
                waits = [s for s in statement.body[:1] if isinstance(s, ast.If)]
                return [statement, statement.target, statement.iter, *waits]
            return []
        if (
            isinstance(statement, ast.Assign)
            and len(statement.targets) == 1
            and isinstance(statement.targets[0], ast.Name)
            and isinstance(statement.value, ast.Call)
            and (
                statement.targets[0].id == AWAITEE
                and _is_runtime_call(statement.value.func, "into_future")
                or statement.targets[0].id.startswith(ITER)
                and _is_runtime_call(statement.value.func, "async_for")
            )
        ):
            return [statement]
        if (
            isinstance(statement, ast.Assign)
            and isinstance(statement.value, ast.Call)
            and _is_runtime_call(statement.value.func, "async_with")
        ):
            return [statement]
        return []

    kept(tree)
    if columns.awaits:
        anchors = sorted(columns.awaits)
        for node in ast.walk(tree):
            for field_name in ("body", "orelse", "finalbody", "handlers"):
                block = getattr(node, field_name, None)
                if not isinstance(block, list):
                    continue
                for statement in block:
                    parts = poll_loop(statement) if isinstance(statement, ast.stmt) else []
                    if not parts:
                        continue
                    # the nearest `# line N: await ...` comment above it
                    at = bisect_left(anchors, statement.lineno)
                    if at == 0 or statement.lineno - anchors[at - 1] > 4:
                        continue
                    span = columns.awaits[anchors[at - 1]]
                    for part in parts:
                        for inner in ast.walk(part) if part is not statement or len(parts) == 1 else [part]:
                            if _placed(inner) and id(inner) not in exact:
                                exact[id(inner)] = span
    return exact


def _placed(node: ast.AST) -> bool:
    """Does ``node`` have a position (not a shared context object such as ``ast.Load()``)?"""
    return "lineno" in type(node)._attributes and getattr(node, "lineno", None) is not None


def _is_runtime_call(func: ast.expr, attr: str) -> bool:
    return (
        isinstance(func, ast.Attribute)
        and func.attr == attr
        and isinstance(func.value, ast.Name)
        and func.value.id == RUNTIME
    )


def _chars(text: str, byte_offset: int) -> int:
    """The character column of UTF-8 ``byte_offset`` in ``text``."""
    return len(text.encode("utf-8")[:byte_offset].decode("utf-8", "replace"))


def _bytes(text: str, column: int) -> int:
    """The UTF-8 byte offset of character ``column`` in ``text``."""
    return len(text[:column].encode("utf-8"))


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


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

from desugar.compiler.cst_depth import StatementHook, statements_hooked
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


#: id(node) -> (node, line, column, end line, end column): `PositionProvider`'s ranges, as tuples.
Spans = dict[int, tuple[cst.CSTNode, int, int, int, int]]


class _SpanState(StatementHook, CodegenState):
    """Code generation that records every node's range as `PositionProvider` does.

    The same ranges (syntactic where libcst records them, else whitespace
    inclusive; the first one recorded for a node that is generated twice,
    unless a later one is syntactic), kept as tuples by ``id(node)`` in
    ``spans``: no `CodePosition` or `CodeRange` objects, no node hashing and
    no generator per syntactic range, at about a third of the cost.
    """

    def __init__(self, module: cst.Module) -> None:
        super().__init__(default_indent=module.default_indent, default_newline=module.default_newline)
        self.line = 1
        self.column = 0
        self.spans: Spans = {}
        self.stack: list[tuple[int, int]] = []
        self.syntactic: list[tuple[cst.CSTNode, cst.CSTNode | None, cst.CSTNode | None, int, int]] = []

    def add_token(self, value: str) -> None:
        self.tokens.append(value)
        if "\n" in value or "\r" in value:
            parts = _NEWLINES.split(value)
            self.line += len(parts) - 1
            self.column = len(parts[-1])
        else:
            self.column += len(value)

    def add_indent_tokens(self) -> None:
        for token in self.indent_tokens:
            self.add_token(token)

    def before_codegen(self, node: cst.CSTNode) -> None:
        self.stack.append((self.line, self.column))

    def after_codegen(self, node: cst.CSTNode) -> None:
        line, column = self.stack.pop()
        key = id(node)
        if key not in self.spans:  # a syntactic range, recorded inside, wins
            self.spans[key] = (node, line, column, self.line, self.column)

    def record_syntactic_position(
        self,
        node: cst.CSTNode,
        *,
        start_node: cst.CSTNode | None = None,
        end_node: cst.CSTNode | None = None,
    ) -> _SpanState:
        self.syntactic.append((node, start_node, end_node, self.line, self.column))
        return self

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: object) -> None:
        node, start_node, end_node, line, column = self.syntactic.pop()
        spans = self.spans
        if start_node is not None:
            _, line, column, _, _ = spans[id(start_node)]
        end_line, end_column = self.line, self.column
        if end_node is not None:
            _, _, _, end_line, end_column = spans[id(end_node)]
        self._syntactic(id(node), (node, line, column, end_line, end_column))

    def _syntactic(self, key: int, span: tuple[cst.CSTNode, int, int, int, int]) -> None:
        self.spans[key] = span

    def statement(self, node: cst.BaseStatement) -> None:
        self.before_codegen(node)
        node._codegen_impl(self)
        self.after_codegen(node)


class _OriginalSpans(_SpanState):
    """`_SpanState` for the original code, that also records where each statement was
    generated, so that the translation can take an unchanged statement from here.

    ``statements``: id(statement) -> (line, indentation, first and past the last
    index in ``order`` of its nodes, first and past the last of its tokens, end
    line, end column), for a statement generated at the start of a line, none of
    whose nodes had been generated before it (each of its nodes is recorded in it,
    once).
    """

    def __init__(self, module: cst.Module) -> None:
        super().__init__(module)
        self.order: list[int] = []  # ids, in the order their spans were first recorded
        self.repeats = 0  # nodes generated again
        self.statements: dict[int, tuple[int, str, int, int, int, int, int, int]] = {}

    def before_codegen(self, node: cst.CSTNode) -> None:
        if id(node) in self.spans:
            self.repeats += 1
        self.stack.append((self.line, self.column))

    def after_codegen(self, node: cst.CSTNode) -> None:
        line, column = self.stack.pop()
        key = id(node)
        if key not in self.spans:
            self.spans[key] = (node, line, column, self.line, self.column)
            self.order.append(key)

    def _syntactic(self, key: int, span: tuple[cst.CSTNode, int, int, int, int]) -> None:
        if key not in self.spans:
            self.order.append(key)
        self.spans[key] = span

    def statement(self, node: cst.BaseStatement) -> None:
        line, column, first, repeats, tokens = self.line, self.column, len(self.order), self.repeats, len(self.tokens)
        self.before_codegen(node)
        node._codegen_impl(self)
        self.after_codegen(node)
        if column == 0 and self.repeats == repeats and id(node) not in self.statements:
            self.statements[id(node)] = (
                line, "".join(self.indent_tokens), first, len(self.order), tokens, len(self.tokens),
                self.line, self.column,
            )


class _OutputSpans(_SpanState):
    """`_SpanState` for the translation, that takes a statement left unchanged from the
    original's code generation (`_OriginalSpans`): its tokens and its nodes' ranges.

    A statement the translation generates with the same indentation, at the
    start of a line, none of whose nodes it has generated before, has here the
    tokens and ranges it has there, some lines further: they are copied, moved
    by that many lines, instead of generating it again.
    """

    def __init__(self, module: cst.Module, original: _OriginalSpans | None) -> None:
        super().__init__(module)
        self.original = original
        if original is not None and (
            original.default_indent != self.default_indent or original.default_newline != self.default_newline
        ):
            self.original = None

    def statement(self, node: cst.BaseStatement) -> None:
        original = self.original
        found = original.statements.get(id(node)) if original is not None else None
        if found is not None and self.column == 0:
            line, indent, first, last, token, last_token, end_line, end_column = found
            if indent == "".join(self.indent_tokens):
                assert original is not None
                keys = original.order[first:last]
                spans = self.spans
                if spans.keys().isdisjoint(keys):
                    shift = self.line - line
                    there = original.spans
                    for key in keys:
                        n, a, b, c, d = there[key]
                        spans[key] = (n, a + shift, b, c + shift, d)
                    self.tokens += original.tokens[token:last_token]
                    self.line = end_line + shift
                    self.column = end_column
                    return
        self.before_codegen(node)
        node._codegen_impl(self)
        self.after_codegen(node)


def original_spans(module: cst.Module) -> _OriginalSpans | None:
    """The ranges of every node of ``module`` (the original code), for `line_map`; None if
    this libcst's code generation cannot be followed (`line_map` then finds them itself)."""
    if statements_hooked() and CodegenState is not object:
        state = _OriginalSpans(module)
        try:
            module._codegen(state)
            return state
        except (AttributeError, TypeError):  # another libcst's internals: the public way
            pass
    return None


def _spans_and_code(module: cst.Module, original: _OriginalSpans | None) -> tuple[Spans, str]:
    """Every node's range in ``module`` (see `_SpanState`) and its code, the statements
    left unchanged taken from ``original``'s."""
    if statements_hooked() and CodegenState is not object:
        state = _OutputSpans(module, original)
        try:
            module._codegen(state)
            return state.spans, "".join(state.tokens)
        except (AttributeError, TypeError):  # another libcst's internals: the public way
            pass
    found, code = positions_and_code(module)
    return _as_spans(found), code


def _original_spans(module: cst.Module) -> Spans:
    """Every node's range in ``module``."""
    state = original_spans(module)
    if state is not None:
        return state.spans
    return _as_spans(positions(module))


def _as_spans(found: Mapping[cst.CSTNode, CodeRange]) -> Spans:
    return {
        id(node): (node, where.start.line, where.start.column, where.end.line, where.end.column)
        for node, where in found.items()
    }


_IS_CODE: dict[type, bool] = {}


def _is_code(node: cst.CSTNode) -> bool:
    known = _IS_CODE.get(type(node))
    if known is None:
        known = _IS_CODE[type(node)] = isinstance(node, _CODE)
    return known


def line_map(
    original: cst.Module,
    output: cst.Module,
    *,
    original_text: str | None = None,
    first_line: int = 1,
    last: int = 1,
    columns: Columns | None = None,
    origins: Mapping[int, tuple[cst.CSTNode, cst.CSTNode]] | None = None,
    original_state: _OriginalSpans | None = None,
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
    generated lines around them have theirs already). ``original_state``: ``original``'s
    ranges, if `original_spans` found them already (the lowering takes its lines from
    them); the translation's unchanged statements are taken from there.
    """
    if original_state is None:
        original_state = original_spans(original)
    after, code = _spans_and_code(output, original_state)
    before = original_state.spans if original_state is not None else _original_spans(original)
    del original_state
    shift = first_line - 1
    total = code.count("\n") + 1
    lines: list[int | None] = [None] * (total + 1)
    kept = columns.kept if columns is not None else None
    rebuilt = origins if origins and columns is not None else None
    is_code = _IS_CODE
    for key, (node, line, column, end_line, end_column) in after.items():
        code_node = is_code.get(type(node))
        if code_node is None:
            code_node = _is_code(node)
        if not code_node:
            continue  # whitespace nodes may be shared defaults, found anywhere
        was = before.get(key)
        if was is None:
            found = rebuilt.get(key) if rebuilt is not None else None
            if found is not None and found[0] is node:
                was = before.get(id(found[1]))
                if was is not None:
                    kept.setdefault(  # type: ignore[union-attr]
                        (line, column, end_line, end_column),
                        (was[1] + shift, was[2], was[3] + shift, was[4]),
                    )
            continue
        _, was_line, was_column, was_end_line, was_end_column = was
        if kept is not None:
            kept.setdefault(
                (line, column, end_line, end_column),
                (was_line + shift, was_column, was_end_line + shift, was_end_column),
            )
        if line == end_line:
            if lines[line] is None:
                lines[line] = min(was_line, was_end_line) + shift
            continue
        for at in range(line, end_line + 1):
            if lines[at] is None:
                lines[at] = min(was_line + at - line, was_end_line) + shift
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


_AWAITED_KINDS = frozenset({cst.Await, cst.ListComp, cst.SetComp, cst.DictComp, cst.For, cst.With})


def _await_spans(before: Spans, after: Spans, code: str, shift: int, columns: Columns) -> None:
    """Each ``# line N: await ...`` comment's output line -> that await's original span."""
    awaits: dict[tuple[int, str], Span] = {}
    awaited_kinds = _AWAITED_KINDS
    for key, span in before.items():
        kind = type(span[0])  # (no subclasses: cheaper than isinstance's ABC check)
        if kind not in awaited_kinds or key in after:
            continue  # (lowered ones are not in the output)
        node, line, column, end_line, end_column = span
        was = (line + shift, column, end_line + shift, end_column)
        if kind is not cst.For and kind is not cst.With:
            # (an async comprehension with a function of its own is awaited where it stands)
            awaits.setdefault((line + shift, _one_line(node)), was)
        elif kind is cst.For and node.asynchronous is not None and id(node.iter) in before:
            # (the compiler's comment names the iterable: see lowering/async_for.py)
            at = before[id(node.iter)][1] + shift
            awaits.setdefault((at, f"async for ... in {_one_line(node.iter)}"), was)
        elif kind is cst.With and node.asynchronous is not None:
            # its `__aenter__` and `__aexit__` are awaited where CPython places them: at the
            # item on 3.13+, at the whole statement before (async_with.py writes the comments)
            for item in node.items:
                where = before.get(id(item.item))
                if where is not None:
                    _, item_line, item_column, item_end_line, item_end_column = where
                    span = was if sys.version_info < (3, 13) else (
                        item_line + shift, item_column, item_end_line + shift, item_end_column
                    )
                    text = f"async with {_one_line(item.item)}"
                    awaits.setdefault((item_line + shift, text), span)
                    awaits.setdefault((item_line + shift, f"{text} (exit)"), span)
    if not awaits:
        return
    for at, text in enumerate(code.split("\n"), 1):
        match = _ANCHOR.match(text)
        if match is None:
            continue
        span = awaits.get((int(match.group(1)), text[match.end():]))
        if span is not None:
            columns.awaits[at] = span


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
    spans: dict[int, tuple[int, int]] = {}
    last = len(lines)
    nodes = _walk(tree)
    has_position = _HAS_POSITION
    placed = []
    for node in nodes:
        known = has_position.get(type(node))
        if known is None:
            known = _placed(node)
        if known and node.lineno is not None:  # type: ignore[attr-defined]
            placed.append(node)
    exact: dict[int, Span] = {}
    if columns is not None and code is not None:
        exact = _exact_spans(nodes, placed, columns, code.split("\n"))
    copied = columns.copied if columns is not None else {}
    for node in placed:
        lineno = node.lineno  # type: ignore[attr-defined]
        if lineno in copied and node.end_lineno in copied:  # type: ignore[attr-defined]
            node.lineno = copied[lineno]  # type: ignore[attr-defined]
            node.end_lineno = copied[node.end_lineno]  # type: ignore[attr-defined]
            continue  # (a line copied as it is: its columns are the original's)
        found = exact.get(id(node))
        if found is not None:
            line, column, end_line, end_column = found
            if end_line - 1 < len(source_text):
                node.lineno = line  # type: ignore[attr-defined]
                node.end_lineno = end_line  # type: ignore[attr-defined]
                text = source_text[line - 1]
                node.col_offset = (  # type: ignore[attr-defined]
                    (column if column <= len(text) else len(text))
                    if column >= 0 and text.isascii() else _bytes(text, column)
                )
                text = source_text[end_line - 1]
                node.end_col_offset = (  # type: ignore[attr-defined]
                    (end_column if end_column <= len(text) else len(text))
                    if end_column >= 0 and text.isascii() else _bytes(text, end_column)
                )
                continue
        line = lines[min(lineno, last) - 1]
        span = spans.get(line)
        if span is None:
            span = spans[line] = _span(source_text[line - 1]) if line - 1 < len(source_text) else (0, 0)
        node.lineno = line  # type: ignore[attr-defined]
        node.end_lineno = line  # type: ignore[attr-defined]
        node.col_offset, node.end_col_offset = span  # type: ignore[attr-defined]
    function_def = ast.FunctionDef
    for node in nodes:
        if _METHOD_CALL_AT_END and isinstance(node, ast.Call) and _is_runtime_decorator(node.func):
            # Python 3.10 gives a method call the line its attribute ends on: the
            # last line of the statement whose span the runtime's call took (an
            # `async with` or `async for` and its body); its error shows on the
            # statement's first line, as natively.
            node.func.end_lineno = node.func.lineno  # type: ignore[attr-defined]
            node.func.end_col_offset = max(node.func.end_col_offset, node.func.col_offset)  # type: ignore[attr-defined]
        if type(node) is function_def:
            for decorator in node.decorator_list:  # type: ignore[attr-defined]
                if _is_runtime_decorator(decorator):
                    # Generated above the ``def``, it would take the line above the
                    # ``async def`` (an import, say); it stands for the ``def`` itself,
                    # where ``co_firstlineno`` and ``inspect.getsource`` must start.
                    for part in _walk(decorator):
                        if _placed(part):
                            _copy_position(node, part)


def _walk(tree: ast.AST) -> list[ast.AST]:
    """``list(ast.walk(tree))`` (breadth first, children in field order), at about a third of its cost."""
    nodes = [tree]
    append = nodes.append
    for node in nodes:
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, list):
                for item in value:
                    if isinstance(item, ast.AST):
                        append(item)
            elif isinstance(value, ast.AST):
                append(value)
    return nodes


def _exact_spans(
    nodes: list[ast.AST], placed: list[ast.AST], columns: Columns, code_lines: list[str]
) -> dict[int, Span]:
    """id(node) -> its original span, for the ``nodes`` (`_walk`'s) that have one (see `renumber`).

    ``placed``: those of ``nodes`` that have a position (`_placed`), in the same order.
    """
    exact: dict[int, Span] = {}

    def kept() -> None:
        spans = columns.kept
        ascii = [text.isascii() for text in code_lines]
        for inner in placed:
            line, end_line = inner.lineno, inner.end_lineno  # type: ignore[attr-defined]
            column, end_column = inner.col_offset, inner.end_col_offset  # type: ignore[attr-defined]
            # (`_chars`, with its ASCII case here)
            if column < 0 or not ascii[line - 1]:
                column = _chars(code_lines[line - 1], column)
            elif column > len(code_lines[line - 1]):
                column = len(code_lines[line - 1])
            if end_column < 0 or not ascii[end_line - 1]:
                end_column = _chars(code_lines[end_line - 1], end_column)
            elif end_column > len(code_lines[end_line - 1]):
                end_column = len(code_lines[end_line - 1])
            span = spans.get((line, column, end_line, end_column))
            if span is not None and id(inner) not in exact:
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

    kept()
    if columns.awaits:
        anchors = sorted(columns.awaits)
        for node in nodes:
            fields = _BLOCK_FIELDS.get(type(node))
            for field_name in _block_fields(node) if fields is None else fields:
                block = getattr(node, field_name, None)
                if not isinstance(block, list):
                    continue
                for statement in block:
                    kind = type(statement)
                    if kind is not ast.For and kind is not ast.Assign:
                        continue  # (what `poll_loop` finds nothing in)
                    parts = poll_loop(statement)
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


_BLOCK_FIELDS: dict[type, tuple[str, ...]] = {}


def _block_fields(node: ast.AST) -> tuple[str, ...]:
    """Which of the fields that hold statements a node of this type has."""
    names = tuple(f for f in ("body", "orelse", "finalbody", "handlers") if f in type(node)._fields)
    _BLOCK_FIELDS[type(node)] = names
    return names


_HAS_POSITION: dict[type, bool] = {}


def _placed(node: ast.AST) -> bool:
    """Does ``node`` have a position (not a shared context object such as ``ast.Load()``)?"""
    known = _HAS_POSITION.get(type(node))
    if known is None:
        known = _HAS_POSITION[type(node)] = "lineno" in type(node)._attributes
    return known and getattr(node, "lineno", None) is not None


def _is_runtime_call(func: ast.expr, attr: str) -> bool:
    return (
        isinstance(func, ast.Attribute)
        and func.attr == attr
        and isinstance(func.value, ast.Name)
        and func.value.id == RUNTIME
    )


def _chars(text: str, byte_offset: int) -> int:
    """The character column of UTF-8 ``byte_offset`` in ``text``."""
    if byte_offset >= 0 and text.isascii():
        return min(byte_offset, len(text))
    return len(text.encode("utf-8")[:byte_offset].decode("utf-8", "replace"))


def _bytes(text: str, column: int) -> int:
    """The UTF-8 byte offset of character ``column`` in ``text``."""
    if column >= 0 and text.isascii():
        return min(column, len(text))
    return len(text[:column].encode("utf-8"))


_METHOD_CALL_AT_END = sys.version_info < (3, 11)


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


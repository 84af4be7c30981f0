"""The compiler: Python source in, Python source with poll loops out.

Pipeline: a cheap bail-out for modules without ``async``; CPython's own
parser and compiler for syntax errors; an ``ast`` pass for reserved names and
constructs not lowered yet; libcst for the rewrite (keeping comments and
layout); black for the final format.
"""

from __future__ import annotations

import ast
import sys
import threading
from dataclasses import dataclass
from types import CodeType
from typing import Any, Callable, TypeVar

from desugar.compiler import styles, validate
from desugar.errors import InternalError, TranslateError
from desugar.mode import DEFAULT, Mode


T = TypeVar("T")

# Deeply nested input (a 200-deep call, a 20000-term `and` chain: CPython
# compiles both) needs far more stack than the main thread has: the compiler's
# walks are recursive, and libcst's native parser recurses on the C stack (it
# crashes the process, not raising RecursionError, when the stack runs out). So
# a translation runs in a thread of its own with a big stack and a high
# recursion limit. Cost: one thread start per translated module.
_DEEP_STACK = 1 << 30  # bytes of address space; pages are committed only when touched
_DEEP_RECURSION = 200_000
_deep = threading.local()
_limit_lock = threading.Lock()
_limit_users = 0
_limit_saved = 0


def _raise_limit() -> None:
    global _limit_users, _limit_saved
    with _limit_lock:  # the limit is per interpreter: raised while any translation runs
        if _limit_users == 0:
            _limit_saved = sys.getrecursionlimit()
            sys.setrecursionlimit(max(_limit_saved, _DEEP_RECURSION))
        _limit_users += 1


def _restore_limit() -> None:
    global _limit_users
    with _limit_lock:
        _limit_users -= 1
        if _limit_users == 0 and sys.getrecursionlimit() == max(_limit_saved, _DEEP_RECURSION):
            sys.setrecursionlimit(_limit_saved)


def with_stack(fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)`` in a thread with a deep stack (or here, if this is one)."""
    if getattr(_deep, "active", False):
        return fn(*args)
    outcome: list[Any] = []

    def run() -> None:
        _deep.active = True
        _raise_limit()
        try:
            outcome.append((True, fn(*args)))
        except BaseException as error:  # re-raised in the caller's thread
            outcome.append((False, error))
        finally:
            _restore_limit()

    with _limit_lock:  # (stack_size is process-wide too)
        size = threading.stack_size()
        threading.stack_size(_DEEP_STACK)
        try:
            worker = threading.Thread(target=run, name="desugar-translation", daemon=True)
            worker.start()
        finally:
            threading.stack_size(size)
    worker.join()
    ok, value = outcome[0]
    if ok:
        return value
    if isinstance(value, RecursionError):
        raise InternalError(
            f"INTERNAL ERROR: the input is nested too deeply for desugar ({value}), though "
            "CPython compiles it. This is a bug in desugar; please report it with the input file."
        ) from None
    raise value.with_traceback(value.__traceback__)


def needs_translation(source: str) -> bool:
    """Cheap test: could ``source`` contain an async construct?"""
    return "async" in source or "await" in source


def translate_module(
    source: str, filename: str = "<string>", *, format: bool = True, mode: Mode = DEFAULT
) -> str:
    """Translate a module's source in ``mode``; see `desugar.translate`."""
    _parse(source, filename)
    return with_stack(_translate_module, source, filename, format, mode)


def _parse(source: str, filename: str) -> None:
    # CPython's parser and compiler, in the caller's thread with its recursion
    # limit: input is refused exactly where a native import would refuse it.
    validate.parse_checked(source, filename, tree=False)


def _translate_module(source: str, filename: str, format: bool, mode: Mode) -> str:
    pieces = _translate(source, filename, mode=mode)
    if pieces is None:
        return source
    code = "".join(piece.text for piece in pieces)
    if not format:
        validate.check_output(code, source, filename)  # never hand out code that does not compile
        return code
    try:
        formatted = _format(code, filename, pieces)
        validate.check_output(formatted, source, filename)
    except InternalError:
        # Reported as without formatting (the same place, the same line of the
        # translation `--no-format` shows), unless only black's output fails.
        validate.check_output(code, source, filename)
        if not _black_parses(source):
            return code  # black cannot read the input either (a form feed in an indent...): as it is
        raise
    return formatted


def _black_parses(source: str) -> bool:
    """Whether black can format ``source`` itself (CPython may accept what black cannot parse)."""
    import black

    try:
        black.format_str(source, mode=black.Mode())
    except Exception:
        return False
    return True


def translate_with_lines(
    source: str, filename: str = "<string>", *, mode: Mode = DEFAULT
) -> tuple[str, list[int]] | None:
    """The unformatted translation and, for each of its lines, the original line.

    None if the module has nothing to translate. Lines of generated code take
    the line of the original code they stand for (a poll loop, the line of its
    ``await``).
    """
    _parse(source, filename)
    return with_stack(_translate_with_lines, source, filename, mode)


def _translate_with_lines(
    source: str,
    filename: str,
    mode: Mode,
    columns: list[Any] | None = None,
    coroutines: set[Any] | None = None,
) -> tuple[str, list[int]] | None:
    """(See `translate_with_lines`.) ``columns``, if given, gets the pieces' `_columns`;
    ``coroutines``, as `compile_module`'s."""
    pieces = _translate(source, filename, with_lines=True, mode=mode, coroutines=coroutines)
    if pieces is None:
        return None
    lines: list[int] = []
    for piece in pieces:
        assert piece.lines is not None
        lines += piece.lines
    if columns is not None:
        columns.append(_columns(pieces))
    return "".join(piece.text for piece in pieces), lines


def _columns(pieces: list[Piece]) -> Any:
    """The pieces' `desugar.compiler.lines.Columns`, in the lines of the whole translation."""
    from desugar.compiler.lines import Columns

    columns = Columns()
    offset = 0
    for piece in pieces:
        assert piece.lines is not None
        if piece.columns is not None:
            columns.add(piece.columns, offset)
        else:  # copied: its lines are the original's, and so are its columns
            for at, line in enumerate(piece.lines, offset + 1):
                columns.copied[at] = line
        offset += len(piece.lines)
    return columns


def compile_module(
    source: str, filename: str, *, mode: Mode = DEFAULT, coroutines: set[Any] | None = None
) -> CodeType:
    """Compile ``source`` translated, with the original line numbers (for the import hook).

    A module with nothing to translate is compiled as it is. ``coroutines``, if
    given, gets the `desugar.codeflags.coroutine_keys` of a module that is
    translated, from the parse the translation makes.
    """
    _parse(source, filename)
    return with_stack(_compile_module, source, filename, mode, coroutines)


def _compile_module(source: str, filename: str, mode: Mode, coroutines: set[Any] | None = None) -> CodeType:
    columns: list[Any] = []
    translated = _translate_with_lines(source, filename, mode, columns, coroutines)
    if translated is None:
        return compile(source, filename, "exec", dont_inherit=True)
    from desugar.compiler.lines import renumber

    code, lines = translated
    with validate.ast_guard():
        tree = ast.parse(code, filename)
        renumber(tree, lines, source, columns[0] if columns else None, code)
        return compile(tree, filename, "exec", dont_inherit=True)


@dataclass
class Piece:
    """The translation of one `Segment` of a module (see `desugar.compiler.walk.segments`)."""

    text: str
    statements: int  # top-level statements in it, as ``ast`` counts them
    opens_with_expression: bool  # its first statement is an expression statement
    lines: list[int] | None = None  # the original line of each of its lines (with_lines)
    columns: Any = None  # where its original code is (with_lines; None: copied as it is)


def _translate(
    source: str,
    filename: str,
    *,
    with_lines: bool = False,
    mode: Mode = DEFAULT,
    coroutines: set[Any] | None = None,
) -> list[Piece] | None:
    """The translation, piece by piece (its text is theirs joined), or None if nothing changes.

    Each segment of the module (whole top-level statements) that holds an
    ``async def`` is parsed by libcst, lowered and generated on its own;
    the others are copied. No libcst tree of the whole module is built, so
    time and memory grow with the module's length, by the same amount for
    each statement, however long the module.
    """
    if not needs_translation(source):  # (compiled by `_parse` in the caller's thread)
        return None
    with validate.ast_guard():
        tree = compile(source, filename, "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
    if validate.is_translation(tree):
        return None
    if not validate.check(tree, source, filename):
        return None
    # libcst is imported only when there is something to rewrite.
    from desugar.compiler.async_fn import import_runtime, lower_async_def
    from desugar.compiler.walk import StatementWalker, async_def_lines, default_indent, segments

    try:
        parts = segments(tree, source)
        if not any(part.async_defs for part in parts):
            return None
        indent = default_indent(tree, source)
        from desugar.compiler.blocks import deep_async_defs

        lines = iter(list(async_def_lines(tree)))
        deep = deep_async_defs(tree)  # lowered in the compact shapes
        if coroutines is not None:
            from desugar.codeflags import coroutine_keys

            coroutines.update(coroutine_keys(tree))
        del tree  # only the libcst tree of one segment at a time is alive below
        chosen = styles.get(mode)

        def lower(node: Any) -> Any:
            line = next(lines)
            return lower_async_def(
                node, line, filename, source, chosen, method=walker.in_class, compact=line in deep,
                origins=origins if with_lines else None,
                tight_withs=deep.get(line, frozenset()),
                start_line=start_line,
            )

        origins: dict[int, Any] = {}  # the current piece's nodes made from original ones
        start_line: Callable[[Any], int | None] | None = None  # (see `lower_async_def`)
        walker = StatementWalker(lower)
        pieces: list[Piece] = []
        last = 1  # the original line of the code above the next piece
        for index, part in enumerate(parts):
            text = source[part.start : part.end]
            if index and not part.async_defs:
                piece = Piece(text, part.statements, part.opens_with_expression)
                if with_lines:
                    # Its code keeps its lines; the empty lines and comments
                    # above it take the line above them, as generated lines do.
                    count = text.count("\n") + (index == len(parts) - 1)
                    above = min(part.body_line - part.line, count)
                    piece.lines = [last] * above + list(range(part.body_line, part.line + count))
                    last = piece.lines[-1] if piece.lines else last
                pieces.append(piece)
                continue
            module = _parse_segment(text, part.line, indent, filename, source)
            original = None
            if with_lines:
                # The original's ranges, found once: the lowering's lines come from them, and
                # the line map takes the statements the translation leaves unchanged from them.
                from desugar.compiler.lines import original_spans

                original = original_spans(module)
                if original is not None:
                    spans = original.spans

                    def start_line(node: Any) -> int | None:
                        found = spans.get(id(node))
                        return None if found is None else found[1]
            body = walker.statements(module.body)
            output = module if body is module.body else module.with_changes(body=body)
            statements = part.statements
            if index == 0:
                output = import_runtime(output)  # its prologue is always in the first segment
                statements += 1
            piece = Piece("", statements, part.opens_with_expression)
            if with_lines:
                from desugar.compiler.lines import Columns, line_map

                piece.columns = Columns()
                piece.text, piece.lines = line_map(
                    module, output, original_text=text, first_line=part.line, last=last,
                    columns=piece.columns, origins=origins, original_state=original,
                )
                if index < len(parts) - 1:
                    piece.lines.pop()  # the line after its last newline is the next piece's
                last = piece.lines[-1] if piece.lines else last
            else:
                piece.text = output.code
            pieces.append(piece)
            origins.clear()
            start_line = None
            del module, output, body, original
        if not walker.changed:
            return None
        return pieces
    except (TranslateError, RecursionError):  # (too deep: see `with_stack`)
        raise
    except Exception as error:  # a bug of ours, not the input's
        raise InternalError(
            f"INTERNAL ERROR while translating {filename}: {type(error).__name__}: {error}. "
            "This is a bug in desugar; please report it with the input file."
        ) from error


def _parse_segment(text: str, line: int, indent: str | None, filename: str, source: str) -> Any:
    """libcst's tree of one segment (starting at ``line``), as it is in the whole module's.

    The one setting libcst infers from the whole text is the default
    indentation (the first INDENT's), which lines generated in the segment
    take: where the segment's own first INDENT differs, or it has none, the
    whole module's is set, by parsing the segment after a statement indented
    so (the first segment has no INDENT then, and can just take it).
    """
    import libcst as cst

    probe = ""
    try:
        module = cst.parse_module(text)
        if indent is not None and module.default_indent != indent:
            if line == 1:
                return module.with_changes(default_indent=indent)
            probe = f"if 1:\n{indent}pass\n"
            module = cst.parse_module(probe + text)
            return module.with_changes(body=module.body[1:])
        return module
    except cst.ParserSyntaxError as error:
        shift = line - 1 - probe.count("\n")  # the segment's lines -> the module's
        raise validate.libcst_error(error, source, filename, line_offset=shift) from None


def _format(code: str, filename: str, pieces: list[Piece] | None = None) -> str:
    """black's format of ``code`` (the pieces it joins, if given, let black take it a chunk at a time)."""
    from desugar.compiler.formatting import format_code

    try:
        return format_code(code, pieces)
    except RecursionError:
        raise
    except Exception as error:
        raise InternalError(
            f"INTERNAL ERROR: black could not format the translation of {filename}: {error}. "
            "This is a bug in desugar; rerun with --no-format and report it with the input file."
        ) from error

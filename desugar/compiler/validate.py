"""Checks on the input before lowering: syntax, reserved names, what is supported yet.

They run on Python's own ``ast`` (fast, C) so that every error is located at
``line:col`` without asking libcst for positions.
"""

from __future__ import annotations

import ast
import contextlib
import gc
import re
import threading
from typing import Callable, Iterator

from desugar.compiler.names import PREFIX, RUNTIME
from desugar.errors import InternalError, TranslateError, source_lines

_AST_LOCK = threading.RLock()


@contextlib.contextmanager
def ast_guard() -> Iterator[None]:
    """Make or compile ``ast`` objects with no other thread doing so in between.

    CPython 3.11 before 3.11.8 and 3.12.0 keep one recursion-depth counter for
    that per interpreter, not per thread. A garbage collection in the middle of
    a conversion may run a finalizer, and with it another thread, which may
    convert too; then the first fails with "SystemError: AST constructor
    recursion depth mismatch" (python/cpython#106905). Translated modules
    imported from several threads at once (asgiref's thread pools do) would
    hit it, so conversions take a lock and run with the collector paused.
    """
    with _AST_LOCK:
        enabled = gc.isenabled()
        gc.disable()
        try:
            yield
        finally:
            if enabled:
                gc.enable()



def _column(lines: list[str], lineno: int, col_offset: int) -> int:
    """ast's UTF-8 byte offset -> 1-based character column (``lines`` from `source_lines`)."""
    if 1 <= lineno <= len(lines):
        prefix = lines[lineno - 1].encode("utf-8", errors="surrogatepass")[:col_offset]
        return len(prefix.decode("utf-8", errors="replace")) + 1
    return col_offset + 1


def parse_checked(source: str, filename: str, *, tree: bool = True) -> ast.Module | None:
    """Compile ``source`` as CPython would (TranslateError if it cannot), then parse it.

    The compile is the native one, from source: it refuses exactly what an
    import would. With ``tree`` false, only that check is made. Making the
    ``ast`` objects of deeply nested input can need more stack than
    compiling it: see `desugar.compiler.with_stack`, which runs the parse.
    """
    try:
        with ast_guard():
            compile(source, filename, "exec", dont_inherit=True)
    except SyntaxError as error:
        line = error.lineno or 1
        col = error.offset or 1
        raise TranslateError(f"SyntaxError: {error.msg}", line=line, col=col).located(
            filename, source
        ) from None
    except (RecursionError, MemoryError) as error:  # too deeply nested for CPython itself
        raise TranslateError(
            f"{type(error).__name__}: {error}",
            line=1,
            col=1,
            hint="CPython cannot compile this module either: nest the expression less deeply",
        ).located(filename, source) from None
    except ValueError as error:  # e.g. source with null bytes
        raise TranslateError(f"cannot compile: {error}", line=1, col=1).located(
            filename, source
        ) from None
    if not tree:
        return None
    with ast_guard():
        return compile(source, filename, "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)


class _Checker(ast.NodeVisitor):
    def __init__(self, source: str, filename: str) -> None:
        self.source = source
        self.filename = filename
        self.lines = source_lines(source)  # as CPython counts lines, not str.splitlines()
        self.scopes: list[ast.AST] = []  # enclosing function-like scopes
        self.has_async = False
        self.reserved_use: TranslateError | None = None

    def fail(self, node: ast.AST, message: str, hint: str | None = None) -> None:
        raise self.error(node, message, hint)

    # --- reserved names -------------------------------------------------
    def error(self, node: ast.AST, message: str, hint: str | None = None) -> TranslateError:
        lineno = getattr(node, "lineno", 1)
        col = _column(self.lines, lineno, getattr(node, "col_offset", 0))
        return TranslateError(message, line=lineno, col=col, hint=hint).located(
            self.filename, self.source
        )

    def reserved(self, node: ast.AST, name: str | None) -> None:
        # Only an error in a module that has something to translate: our own
        # output uses the prefix, and translating it again must change nothing.
        if name and name.startswith(PREFIX) and self.reserved_use is None:
            self.reserved_use = self.error(
                node,
                f"the name {name!r} uses the prefix {PREFIX!r}, which desugar reserves "
                "for the names it generates",
                hint=f"rename it so that it does not start with {PREFIX!r}",
            )

    def visit_Name(self, node: ast.Name) -> None:
        self.reserved(node, node.id)

    def visit_arg(self, node: ast.arg) -> None:
        self.reserved(node, node.arg)
        self.generic_visit(node)

    def visit_alias(self, node: ast.alias) -> None:
        self.reserved(node, node.asname or node.name.split(".")[0])

    def visit_Global(self, node: ast.Global) -> None:
        for name in node.names:
            self.reserved(node, name)

    visit_Nonlocal = visit_Global  # type: ignore[assignment]

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        self.reserved(node, node.name)
        self.generic_visit(node)

    def visit_MatchAs(self, node: ast.MatchAs) -> None:
        self.reserved(node, node.name)
        self.generic_visit(node)

    def visit_MatchStar(self, node: ast.MatchStar) -> None:
        self.reserved(node, node.name)

    def visit_MatchMapping(self, node: ast.MatchMapping) -> None:
        self.reserved(node, node.rest)
        self.generic_visit(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.reserved(node, node.name)
        self.scopes.append(node)
        self.generic_visit(node)
        self.scopes.pop()

    # --- scopes -----------------------------------------------------------
    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self.reserved(node, node.name)
        for decorator in node.decorator_list:
            self.visit(decorator)
        self.visit(node.args)
        if node.returns:
            self.visit(node.returns)
        self.scopes.append(node)
        for stmt in node.body:
            self.visit(stmt)
        self.scopes.pop()

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self.has_async = True
        self.visit_FunctionDef(node)  # type: ignore[arg-type]

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self.visit(node.args)
        self.scopes.append(node)
        self.visit(node.body)
        self.scopes.pop()



def check(tree: ast.Module, source: str, filename: str) -> bool:
    """Raise TranslateError at the first construct desugar cannot translate.

    Returns whether the module has anything to translate.
    """
    checker = _Checker(source, filename)
    checker.visit(tree)
    if checker.has_async and checker.reserved_use is not None:
        raise checker.reserved_use
    return checker.has_async


def is_translation(tree: ast.Module) -> bool:
    """True for our own output (it imports the runtime as ``_ds_rt``): translating it again changes nothing.

    Input may not use the reserved prefix, so no user module has that import.
    An async generator stays ``async def`` in the output, so the output may
    still hold async constructs.
    """
    for stmt in tree.body[:8]:
        if isinstance(stmt, ast.Import) and any(
            alias.name == "desugar.runtime" and alias.asname == RUNTIME for alias in stmt.names
        ):
            return True
    return False


_LIBCST_AT = re.compile(r"^(?:parser error: )?error at (\d+):(\d+): ")


def libcst_error(error: Exception, source: str, filename: str, line_offset: int = 0) -> TranslateError:
    """The report for valid Python that libcst cannot parse, at libcst's own location.

    libcst's native parser puts the place it stopped, a 1-based line and a
    0-based column, in the message (``parser error: error at 2:9: expected
    ...``); its ``raw_line`` and ``raw_column`` may name a later token.
    """
    message = str(getattr(error, "message", error))
    match = _LIBCST_AT.match(message)
    if match:
        line, col = int(match.group(1)), int(match.group(2)) + 1
        message = message[match.end() :]
    else:
        line = int(getattr(error, "raw_line", 1) or 1)
        col = int(getattr(error, "raw_column", 0) or 0) + 1
    return TranslateError(
        f"libcst, the parser desugar rewrites code with, cannot parse this valid Python: {message}",
        line=line + line_offset,
        col=col,
        hint="this is a limitation of libcst, not an error in the code: write this statement "
        "another way (inside a function, `(x): int = 1` is `x = 1`)",
    ).located(filename, source)


# --------------------------------------------------------------------------
# The output: never hand on a translation that does not compile

_ANCHOR = re.compile(r"^[ \t]*# line (\d+): ")
BUG_HINT = "This is a bug in desugar; please report it with the input file."


def check_output(
    code: str,
    source: str,
    filename: str,
    line_map: Callable[[], list[int] | None] | None = None,
) -> None:
    """Raise `InternalError` located in the input if the translation ``code`` does not compile.

    ``line_map``, called only then, may give for each line of ``code`` the
    line of ``source`` it comes from; without one, the compiler's own
    ``# line N:`` comment above the failing line names the input line.
    """
    try:
        compile(code, filename, "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
        raise uncompilable(error, code, source, filename, line_map) from None


def uncompilable(
    error: BaseException,
    code: str,
    source: str,
    filename: str,
    line_map: Callable[[], list[int] | None] | None = None,
) -> InternalError:
    """The report for a translation ``code`` that failed to compile with ``error``."""
    out_line = getattr(error, "lineno", None) if isinstance(error, SyntaxError) else None
    reason = f"{type(error).__name__}: {getattr(error, 'msg', None) or error}"
    if out_line:
        reason += f", at line {out_line} of the translation"
    in_line = _input_line(code, out_line, line_map)
    lines = source_lines(source)
    if in_line is None or not 1 <= in_line <= len(lines):
        return InternalError(
            f"INTERNAL ERROR while translating {filename}: the translation does not compile "
            f"({reason})",
            hint=BUG_HINT,
        )
    text = lines[in_line - 1]
    col = len(text) - len(text.lstrip()) + 1
    return InternalError(
        f"INTERNAL ERROR: the translation of this line does not compile ({reason})",
        filename=filename,
        line=in_line,
        col=col,
        source_line=text,
        hint=BUG_HINT,
    )


def _input_line(
    code: str, out_line: int | None, line_map: Callable[[], list[int] | None] | None
) -> int | None:
    if not out_line:
        return None
    if line_map is not None:
        try:
            lines = line_map()
        except Exception:  # noqa: BLE001 - the map is a help for the message only
            lines = None
        if lines and 1 <= out_line <= len(lines):
            return lines[out_line - 1]
    code_lines = source_lines(code)
    for text in reversed(code_lines[: min(out_line, len(code_lines))]):
        match = _ANCHOR.match(text)
        if match:
            return int(match.group(1))
    return None

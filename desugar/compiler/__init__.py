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
from types import CodeType
from typing import Any, Callable, TypeVar

from desugar.compiler import validate
from desugar.errors import InternalError, TranslateError


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


def translate_module(source: str, filename: str = "<string>", *, format: bool = True) -> str:
    """Translate a module's source; see `desugar.translate`."""
    tree = _parse(source, filename)
    return with_stack(_translate_module, source, filename, format, tree)


def _parse(source: str, filename: str) -> None:
    # CPython's parser and compiler, in the caller's thread with its recursion
    # limit: input is refused exactly where a native import would refuse it.
    validate.parse_checked(source, filename, tree=False)


def _translate_module(source: str, filename: str, format: bool, tree: None) -> str:
    result = _translate(source, filename, tree)
    if result is None:
        return source
    code = result[0].code
    if format:
        code = _format(code, filename)
    validate.check_output(code, source, filename)  # never hand out code that does not compile
    return code


def translate_with_lines(source: str, filename: str = "<string>") -> tuple[str, list[int]] | None:
    """The unformatted translation and, for each of its lines, the original line.

    None if the module has nothing to translate. Lines of generated code take
    the line of the original code they stand for (a poll loop, the line of its
    ``await``).
    """
    tree = _parse(source, filename)
    return with_stack(_translate_with_lines, source, filename, tree)


def _translate_with_lines(source: str, filename: str, tree: None) -> tuple[str, list[int]] | None:
    result = _translate(source, filename, tree)
    if result is None:
        return None
    output, original = result
    from desugar.compiler.lines import line_map

    return output.code, line_map(original, output)


def compile_module(source: str, filename: str) -> CodeType:
    """Compile ``source`` translated, with the original line numbers (for the import hook).

    A module with nothing to translate is compiled as it is.
    """
    tree = _parse(source, filename)
    return with_stack(_compile_module, source, filename, tree)


def _compile_module(source: str, filename: str, checked: None) -> CodeType:
    translated = _translate_with_lines(source, filename, checked)
    if translated is None:
        return compile(source, filename, "exec", dont_inherit=True)
    from desugar.compiler.lines import renumber

    code, lines = translated
    with validate.ast_guard():
        tree = ast.parse(code, filename)
        renumber(tree, lines, source)
        return compile(tree, filename, "exec", dont_inherit=True)


def _translate(source: str, filename: str, checked: None) -> tuple[Any, Any] | None:
    """(output module, input module) as libcst trees, or None if nothing changes.

    ``source`` has been compiled by `_parse` (``checked``), in the caller's thread.
    """
    if not needs_translation(source):
        return None
    with validate.ast_guard():
        tree = compile(source, filename, "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
    if validate.is_translation(tree):
        return None
    if not validate.check(tree, source, filename):
        return None
    # libcst is imported only when there is something to rewrite.
    import libcst as cst

    from desugar.compiler.async_fn import import_runtime, lower_async_def
    from desugar.compiler.walk import StatementWalker, async_def_lines

    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as error:
        raise validate.libcst_error(error, source, filename) from None
    try:
        lines = async_def_lines(tree)
        walker = StatementWalker(
            lambda node: lower_async_def(node, next(lines), filename, source)
        )
        body = walker.statements(module.body)
        if not walker.changed:
            return None
        return import_runtime(module.with_changes(body=body)), module
    except (TranslateError, RecursionError):  # (too deep: retried, see `with_stack`)
        raise
    except Exception as error:  # a bug of ours, not the input's
        raise InternalError(
            f"INTERNAL ERROR while translating {filename}: {type(error).__name__}: {error}. "
            "This is a bug in desugar; please report it with the input file."
        ) from error


def _format(code: str, filename: str) -> str:
    import black

    try:
        return black.format_str(code, mode=black.Mode())
    except RecursionError:
        raise
    except Exception as error:
        raise InternalError(
            f"INTERNAL ERROR: black could not format the translation of {filename}: {error}. "
            "This is a bug in desugar; rerun with --no-format and report it with the input file."
        ) from error

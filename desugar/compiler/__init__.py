"""The compiler: Python source in, Python source with poll loops out.

Pipeline: a cheap bail-out for modules without ``async``; CPython's own
parser and compiler for syntax errors; an ``ast`` pass for reserved names and
constructs not lowered yet; libcst for the rewrite (keeping comments and
layout); black for the final format.
"""

from __future__ import annotations

import ast
from types import CodeType
from typing import Any

from desugar.compiler import validate
from desugar.errors import InternalError, TranslateError


def needs_translation(source: str) -> bool:
    """Cheap test: could ``source`` contain an async construct?"""
    return "async" in source or "await" in source


def translate_module(source: str, filename: str = "<string>", *, format: bool = True) -> str:
    """Translate a module's source; see `desugar.translate`."""
    result = _translate(source, filename)
    if result is None:
        return source
    code = result[0].code
    if format:
        code = _format(code, filename)
    return code


def translate_with_lines(source: str, filename: str = "<string>") -> tuple[str, list[int]] | None:
    """The unformatted translation and, for each of its lines, the original line.

    None if the module has nothing to translate. Lines of generated code take
    the line of the original code they stand for (a poll loop, the line of its
    ``await``).
    """
    result = _translate(source, filename)
    if result is None:
        return None
    output, original = result
    from desugar.compiler.lines import line_map

    return output.code, line_map(original, output)


def compile_module(source: str, filename: str) -> CodeType:
    """Compile ``source`` translated, with the original line numbers (for the import hook).

    A module with nothing to translate is compiled as it is.
    """
    translated = translate_with_lines(source, filename)
    if translated is None:
        return compile(source, filename, "exec", dont_inherit=True)
    from desugar.compiler.lines import renumber

    code, lines = translated
    with validate.ast_guard():
        tree = ast.parse(code, filename)
        renumber(tree, lines, source)
        return compile(tree, filename, "exec", dont_inherit=True)


def _translate(source: str, filename: str) -> tuple[Any, Any] | None:
    """(output module, input module) as libcst trees, or None if nothing changes."""
    tree = validate.parse_checked(source, filename)  # CPython's parser: fast, exact errors
    if not needs_translation(source) or validate.is_translation(tree):
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
    except TranslateError:
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
    except Exception as error:
        raise InternalError(
            f"INTERNAL ERROR: black could not format the translation of {filename}: {error}. "
            "This is a bug in desugar; rerun with --no-format and report it with the input file."
        ) from error

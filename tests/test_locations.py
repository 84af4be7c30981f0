"""Error locations: lines as CPython counts them, the line shown, libcst's own place.

CPython ends a line only at ``\\n``, ``\\r\\n`` and ``\\r``; ``str.splitlines()``
also splits at form feed, vertical tab, ``\\x1c``-``\\x1e``, ``\\x85``, U+2028
and U+2029, characters a comment or a string may hold. Each test puts them
before an error and checks the line, the column and the line shown.
"""

from __future__ import annotations

import ast
import asyncio
import sys
import types

import pytest

import desugar
from desugar.compiler import compile_module, translate_with_lines
from desugar.compiler.lines import renumber
from desugar.errors import TranslateError

#: Characters str.splitlines() ends a line at and CPython does not.
SEPARATORS = {
    "form_feed": "\f",
    "vertical_tab": "\v",
    "fs": "\x1c",
    "gs": "\x1d",
    "rs": "\x1e",
    "nel": "\x85",
    "line_separator": "\u2028",
    "paragraph_separator": "\u2029",
}


def translate_error(source: str) -> TranslateError:
    with pytest.raises(TranslateError) as info:
        desugar.translate(source, "m.py", format=False)
    return info.value


def shown(error: TranslateError) -> tuple[str, str]:
    """The line and the caret line under the location in the printed error."""
    lines = str(error).split("\n")
    return lines[1], lines[2]


@pytest.mark.parametrize("sep", SEPARATORS.values(), ids=SEPARATORS.keys())
def test_reserved_name_after_separators_is_at_its_line_and_column(sep: str) -> None:
    target = f"    s = 'a{sep}b'; _ds_x = 1"
    source = f"# one{sep}comment\nasync def f():\n{target}\n"
    error = translate_error(source)
    col = target.index("_ds_x") + 1
    assert (error.line, error.col) == (3, col)
    assert error.source_line == target
    assert str(error).startswith(f"m.py:3:{col}: the name '_ds_x' uses the prefix")
    line, caret = shown(error)
    assert line == "    " + target.replace(sep, " ")  # one column per character
    assert caret == "    " + " " * (col - 1) + "^"
    assert line[caret.index("^")] == "_"


@pytest.mark.parametrize("sep", SEPARATORS.values(), ids=SEPARATORS.keys())
def test_syntax_error_after_separators_shows_the_line_cpython_names(sep: str) -> None:
    source = f"# one{sep}comment\nx = '{sep}'\nasync def f():\n    return (1 +\n"
    with pytest.raises(SyntaxError) as native:
        compile(source, "m.py", "exec")
    error = translate_error(source)
    assert (error.line, error.col) == (native.value.lineno, native.value.offset) == (4, 12)
    assert error.source_line == "    return (1 +"
    assert shown(error) == ("        return (1 +", "               ^")


def test_form_feed_as_indentation_before_an_error() -> None:
    source = "\fimport os\n\f\nasync def f():\n\f    _ds_y = os\n"
    error = translate_error(source)
    assert (error.line, error.col) == (4, 6)
    assert error.source_line == "\f    _ds_y = os"
    line, caret = shown(error)
    assert line[caret.index("^") :].startswith("_ds_y")


@pytest.mark.parametrize("sep", SEPARATORS.values(), ids=SEPARATORS.keys())
def test_original_lines_of_hook_compiled_code_span_their_own_line(sep: str) -> None:
    # Without the column map, each node spans its original line (so tracebacks
    # underline nothing); taken from the wrong line, it has another line's columns.
    # The hook's code keeps the columns of the original code, as natively.
    raising = "    raise ValueError(x)"
    source = f"async def f(x):\n    y = x  # a{sep}long comment, longer than the next line\n{raising}\n"
    translated = translate_with_lines(source, "m.py")
    assert translated is not None
    code, lines = translated
    tree = ast.parse(code)
    renumber(tree, lines, source)
    spans = {
        (node.col_offset, node.end_col_offset)
        for node in ast.walk(tree)
        if getattr(node, "lineno", None) == 3
    }
    assert spans == {(4, len(raising))}
    if sys.version_info >= (3, 11):  # code positions (PEP 657) are 3.11's
        def positions(module: types.CodeType) -> set:
            function = next(c for c in module.co_consts if isinstance(c, types.CodeType))
            return {
                (col, end)
                for line, _, col, end in function.co_positions()
                if line == 3 and col is not None
            }

        native = positions(compile(source, "m.py", "exec"))
        assert positions(compile_module(source, "m.py")) == native
        assert (4, len(raising)) in native and len(native) > 1


def test_parenthesized_annotated_target_in_an_async_def() -> None:
    # Valid Python: inside a function the annotation is not evaluated and x is bound.
    source = (
        "async def g():\n    return 2\n\n\n"
        "async def f():\n    (x): int = 1\n    y = await g()\n    return x + y\n"
    )
    try:
        translated = desugar.translate(source, "m.py")
    except TranslateError as error:
        # libcst cannot parse it: say so where libcst stops (the `int` of line
        # 6), not at a later line.
        assert (error.line, error.col) == (6, 10)
        assert error.source_line == "    (x): int = 1"
        assert "libcst" in error.message and "valid Python" in error.message
        assert error.hint and "libcst" in error.hint
        line, caret = shown(error)
        assert line[caret.index("^") :] == "int = 1"
    else:
        namespace: dict[str, object] = {}
        exec(compile(translated, "m.py", "exec"), namespace)
        assert asyncio.run(namespace["f"]()) == 3  # type: ignore[operator]


@pytest.mark.parametrize("sep", SEPARATORS.values(), ids=SEPARATORS.keys())
def test_construct_refused_after_separators_is_at_its_line(sep: str) -> None:
    target = "        yield from g()"
    source = (
        f"# a{sep}b\nasync def f():\n    s = '{sep}'\n    try:\n        pass\n    except ValueError:\n{target}\n"
    )
    error = translate_error(source)
    assert (error.line, error.col) == (7, 9)
    assert error.source_line == target
    assert shown(error)[0] == "    " + target

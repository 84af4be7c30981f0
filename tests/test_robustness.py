"""Arbitrary valid Python from hypothesmith: desugar never crashes on it.

For every generated module, `desugar.translate` either

* raises `desugar.TranslateError` whose ``str()`` starts with
  ``<file>:<line>:<col>: `` (a clean, located error), or
* returns source that ``compile()``s, holds no ``async def`` / ``await`` /
  ``async for`` / ``async with`` any more when the input had some, equals the
  input when the input had none, and that translating again leaves unchanged.

Anything else fails the test: `desugar.InternalError` (the message then says
whether black or the compiler is to blame, found by translating again with
``format=False``) and any other exception.

hypothesmith rarely writes ``async`` itself, so most tests put the generated
code inside ``async def`` first: the module as the body of an ``async def``
with ``await`` statements inserted between its statements, or with chosen
subexpressions replaced by ``await (...)``. Only variants that CPython itself
compiles are kept (``assume``).

``DESUGAR_HYPOTHESMITH_EXAMPLES`` sets the number of examples (default 200).
"""

from __future__ import annotations

import ast
import os
import re
import textwrap

import hypothesmith
import pytest
from hypothesis import HealthCheck, Phase, assume, given, note, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

import desugar
from support import leftover_async

EXAMPLES = int(os.environ.get("DESUGAR_HYPOTHESMITH_EXAMPLES", "200"))

# hypothesmith writes code such as `0()`, which compile() warns about.
pytestmark = pytest.mark.filterwarnings("ignore::SyntaxWarning")

SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    # The explain phase reruns a failing example hundreds of times: minutes here.
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.large_base_example,
    ],
)

FILENAME = "gen.py"

_ASYNC_NODES = (ast.AsyncFunctionDef, ast.Await, ast.AsyncFor, ast.AsyncWith)


def _has_async(tree: ast.AST) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, _ASYNC_NODES):
            return True
        if isinstance(node, ast.comprehension) and node.is_async:
            return True
    return False


def _compiles(source: str) -> bool:
    try:
        compile(source, FILENAME, "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return False
    return True


def _blame(source: str) -> str:
    """After an InternalError: is it black's or the compiler's?"""
    try:
        raw = desugar.translate(source, FILENAME, format=False)
    except Exception as error:  # noqa: BLE001 - reported, not swallowed
        return f"the compiler (format=False fails too: {type(error).__name__}: {error})"
    if not _compiles(raw):
        return "the compiler (its unformatted output does not compile):\n" + raw
    return "black (format=False gives output that compiles):\n" + raw


def _note(text: str) -> None:
    if currently_in_test_context():  # check_translation also runs in plain tests
        note(text)


def check_translation(source: str) -> str | None:
    """The property of the module docstring; returns the translation, or None
    after a clean TranslateError."""
    _note(f"input:\n{source}")
    try:
        out = desugar.translate(source, FILENAME)
    except desugar.TranslateError as error:
        text = str(error)
        _note(f"TranslateError:\n{text}")
        assert isinstance(error.line, int) and error.line >= 1, text
        assert isinstance(error.col, int) and error.col >= 1, text
        assert text.startswith(f"{FILENAME}:{error.line}:{error.col}: "), text
        assert text.split(": ", 1)[1].strip(), "an error needs a message"
        return None
    except desugar.InternalError as error:
        pytest.fail(f"InternalError: {error}\nto blame: {_blame(source)}")
    _note(f"output:\n{out}")
    compile(out, FILENAME, "exec", dont_inherit=True)  # SyntaxError fails the test
    if _has_async(ast.parse(source)):
        assert not _has_async(ast.parse(out)), "async constructs left in the output"
    else:
        assert out == source, "a module without async must come back unchanged"
    assert desugar.translate(out, FILENAME) == out, "translating the output changed it"
    return out


# ===========================================================================
# Making async code from generated code
# ===========================================================================

_NEWLINE = re.compile(r"\r\n|\r|\n")


def _physical_lines(source: str) -> list[str]:
    """Lines as the tokenizer numbers them (str.splitlines also splits on \\f, \\x85, ...)."""
    lines = _NEWLINE.split(source)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def as_async_body(source: str, insert_before: set[int], *, await_first: bool = True) -> str:
    """``source`` as the body of ``async def _wrapper():`` (indented by one tab,
    which keeps any mix of tabs and spaces consistent), with an ``await _w``
    line inserted before each line number in ``insert_before``, at that line's
    own indentation."""
    lines = _physical_lines(source)
    out = ["async def _wrapper():"]
    if await_first or not source.strip():
        out.append("\tawait _w")
    for number, line in enumerate(lines, start=1):
        if number in insert_before:
            indent = line[: len(line) - len(line.lstrip(" \t\f"))]
            out.append("\t" + indent + "await _w")
        out.append("\t" + line if line.strip() else line)
    return "\n".join(out) + "\n"


def statement_starts(source: str) -> list[int]:
    """Line numbers where a statement of the module's own scope (not inside a
    nested def, lambda or class) begins its line, decorators included."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    lines = _physical_lines(source)
    starts: list[int] = []

    def visit_block(stmts: list[ast.stmt]) -> None:
        for stmt in stmts:
            first = min([stmt.lineno] + [d.lineno for d in getattr(stmt, "decorator_list", [])])
            line = lines[first - 1] if first <= len(lines) else ""
            stripped = line.lstrip(" \t\f")
            if stripped.startswith("@") or (first == stmt.lineno and
                                            len(line) - len(stripped) == stmt.col_offset):
                starts.append(first)
            if isinstance(stmt, (ast.FunctionDef, ast.ClassDef)):
                continue  # a sync scope: `await` is not allowed there
            for name in ("body", "orelse", "finalbody"):
                visit_block(getattr(stmt, name, []) or [])
            for handler in getattr(stmt, "handlers", []):
                visit_block(handler.body)
            for case in getattr(stmt, "cases", []):
                visit_block(case.body)

    visit_block(tree.body)
    return sorted(set(starts))


class _Candidates(ast.NodeVisitor):
    """Expressions of the outer scope that ``await (...)`` could replace."""

    def __init__(self) -> None:
        self.found: list[ast.expr] = []
        self.in_pattern = 0

    def generic_visit(self, node: ast.AST) -> None:
        if isinstance(node, ast.expr) and self._wrappable(node):
            self.found.append(node)
        if isinstance(node, ast.JoinedStr):
            for value in node.values:  # Constant / FormattedValue parts stay as they are
                if isinstance(value, ast.FormattedValue):
                    self.visit(value.value)
                    if value.format_spec is not None:
                        self.visit(value.format_spec)
            return
        super().generic_visit(node)

    @staticmethod
    def _wrappable(node: ast.expr) -> bool:
        if isinstance(node, (ast.Starred, ast.Slice, ast.FormattedValue)):
            return False
        ctx = getattr(node, "ctx", None)
        return ctx is None or isinstance(ctx, ast.Load)

    def visit_pattern(self, node: ast.AST) -> None:
        pass  # match patterns are not expressions

    visit_MatchValue = visit_MatchSingleton = visit_MatchSequence = visit_pattern
    visit_MatchMapping = visit_MatchClass = visit_MatchStar = visit_MatchAs = visit_pattern
    visit_MatchOr = visit_pattern

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        # Decorators, defaults and annotations run in the outer scope; the body does not.
        for child in [*node.decorator_list, *node.args.defaults, *node.args.kw_defaults]:
            if child is not None:
                self.visit(child)

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self.found.append(node)
        for child in [*node.args.defaults, *node.args.kw_defaults]:
            if child is not None:
                self.visit(child)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for child in [*node.decorator_list, *node.bases, *(k.value for k in node.keywords)]:
            self.visit(child)


class _AwaitThese(ast.NodeTransformer):
    def __init__(self, chosen: set[int]) -> None:
        self.chosen = chosen

    def visit(self, node: ast.AST) -> ast.AST:
        new = super().visit(node)
        if id(node) in self.chosen:
            return ast.Await(new)
        return new


def with_awaits(tree: ast.Module, picks: list[int]) -> str | None:
    """``tree`` with the picked candidate expressions awaited, unparsed, or None."""
    collector = _Candidates()
    collector.visit(tree)
    if not collector.found:
        return None
    chosen = {id(collector.found[i % len(collector.found)]) for i in picks}
    new = ast.fix_missing_locations(_AwaitThese(chosen).visit(tree))
    try:
        return ast.unparse(new)
    except Exception:  # noqa: BLE001 - ast.unparse has gaps; such a sample is dropped
        return None


# ===========================================================================
# The tests
# ===========================================================================


@SETTINGS
@given(hypothesmith.from_grammar())
def test_generated_module(source: str) -> None:
    check_translation(source)


@SETTINGS
@given(hypothesmith.from_grammar(), st.data())
def test_generated_module_as_the_body_of_an_async_def_with_await_statements(
    source: str, data: st.DataObject
) -> None:
    starts = statement_starts(source)
    chosen = data.draw(st.sets(st.sampled_from(starts))) if starts else set()
    wrapped = as_async_body(source, chosen)
    assume(_compiles(wrapped))
    check_translation(wrapped)


@SETTINGS
@given(hypothesmith.from_grammar(), st.lists(st.integers(0, 1000), min_size=1, max_size=6))
def test_generated_code_with_awaited_subexpressions_inside_an_async_def(
    source: str, picks: list[int]
) -> None:
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        assume(False)
        return
    # A module with no expression to await (hypothesmith writes many) still
    # gets the `await _w` first line rather than being thrown away.
    body = with_awaits(tree, picks) or ast.unparse(tree) or "pass"
    wrapped = "async def _wrapper():\n    await _w\n" + textwrap.indent(body, "    ") + "\n"
    assume(_compiles(wrapped))
    check_translation(wrapped)


def test_input_black_cannot_parse_is_translated_without_formatting() -> None:
    """CPython accepts a form feed in an indentation that black's tokenizer refuses (found by the
    test below): the translation is given unformatted, not refused as desugar's own failure."""
    import black

    source = "async def _wrapper():\n\tawait _w\n\tif ...:\\\n\t\x0cawait _w\n\t\x0cpass\n"
    with pytest.raises(Exception):
        black.format_str(source, mode=black.Mode())
    out = check_translation(source)
    assert out == desugar.translate(source, FILENAME, format=False)


@settings(SETTINGS, max_examples=max(EXAMPLES // 4, 1))
@given(hypothesmith.from_node(), st.data())
def test_libcst_generated_module_plain_and_as_an_async_body(
    source: str, data: st.DataObject
) -> None:
    check_translation(source)
    starts = statement_starts(source)
    chosen = data.draw(st.sets(st.sampled_from(starts))) if starts else set()
    wrapped = as_async_body(source, chosen)
    if _compiles(wrapped):
        check_translation(wrapped)


# --- the helpers themselves ---------------------------------------------------


def test_as_async_body_inserts_awaits_at_each_statements_indentation() -> None:
    source = "x = 1\nif x:\n\ty = 2\n\tfor i in y:\n\t\tpass\n@d\ndef f():\n    return 3\n"
    starts = statement_starts(source)
    assert starts == [1, 2, 3, 4, 5, 6]  # nothing inside `def f`
    wrapped = as_async_body(source, {2, 5, 6})
    assert wrapped == (
        "async def _wrapper():\n\tawait _w\n\tx = 1\n\tawait _w\n\tif x:\n\t\ty = 2\n"
        "\t\tfor i in y:\n\t\t\tawait _w\n\t\t\tpass\n\tawait _w\n\t@d\n\tdef f():\n"
        "\t    return 3\n"
    )
    assert _compiles(wrapped)


def test_with_awaits_wraps_only_outer_scope_load_expressions() -> None:
    tree = ast.parse("a.b = f(x, *y)[1:2]\ndef g(d=h()):\n    return k\nlambda: m\n")
    collector = _Candidates()
    collector.visit(tree)
    texts = sorted(ast.unparse(node) for node in collector.found)
    # not the targets `a.b`, not `*y`, not the slice, not `k` or `m` (other scopes)
    assert texts == sorted(["a", "f(x, *y)[1:2]", "f(x, *y)", "f", "x", "y", "1", "2",
                            "h()", "h", ast.unparse(ast.parse("lambda: m"))])
    source = with_awaits(ast.parse("print(x + 1)\n"), [1])
    assert source is not None and "await" in source
    wrapped = "async def _wrapper():\n" + textwrap.indent(source, "    ") + "\n"
    assert _compiles(wrapped)
    assert check_translation(wrapped) is not None


def test_check_translation_accepts_a_clean_error_and_rejects_a_bad_module(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # `_ds_` names are reserved: a located TranslateError, which the check accepts.
    assert check_translation("async def f():\n    _ds_x = 1\n") is None
    with pytest.raises(desugar.TranslateError) as info:
        desugar.translate("async def f():\n    _ds_x = 1\n", FILENAME)
    assert str(info.value).startswith(f"{FILENAME}:2:5: ")
    source = "async def f():\n    await g()\n"
    assert leftover_async(check_translation(source) or "async def f(): pass") == []

    # What the check must reject, with a stand-in for translate:
    def returning(text: str):  # type: ignore[no-untyped-def]
        return lambda source, filename, **kwargs: text

    def raising(error: Exception):  # type: ignore[no-untyped-def]
        def translate(source: str, filename: str, **kwargs: object) -> str:
            raise error
        return translate

    bad = {
        "output that does not compile": (returning("def (:\n"), SyntaxError),
        "async left in the output": (returning(source), AssertionError),
        "an unlocated error": (raising(desugar.TranslateError("oops", line=0)), AssertionError),
        "an internal error": (raising(desugar.InternalError("bug")), pytest.fail.Exception),
        "any other exception": (raising(KeyError("x")), KeyError),
    }
    for what, (stand_in, expected) in bad.items():
        monkeypatch.setattr(desugar, "translate", stand_in)
        with pytest.raises(expected) as info:
            check_translation(source)
        if what == "an internal error":
            assert "InternalError: bug" in str(info.value)
            assert "to blame: the compiler (format=False fails too" in str(info.value)
    monkeypatch.setattr(desugar, "translate", returning("x = 1\n"))
    with pytest.raises(AssertionError, match="unchanged"):
        check_translation("x = 2\n")

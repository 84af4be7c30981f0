"""The pytest plugin's compile step: a test file translated, its asserts given back to pytest.

`Compile` is the `desugar.cache.Step` through which `desugar.pytest_plugin`
loads a test file or ``conftest.py`` that uses ``async``/``await``: the source
is translated (`desugar.compiler.translate_with_lines`), parsed, given back the
original line numbers (`desugar.compiler.lines.renumber`), its awaiting
asserts turned back into ``assert`` statements (`restore_asserts`), and only
then rewritten by pytest (`_pytest.assertion.rewrite.rewrite_asserts`) and
compiled under the original file name. The import hook's cache keeps the
result, keyed by this module and the plugin's too (`Compile.shaping`).
"""

from __future__ import annotations

import ast
import importlib.util
import os
from pathlib import Path
from types import CodeType

import pytest

import desugar
from desugar import cache
from desugar.mode import Mode

_AWAITED = "_ds_awaited"  # the local that holds an awaited value tested by an assert
_POLL = "_ds_awaitee"  # the compiler's name for the awaitee; its .value is the awaited value


class Compile(cache.Step):
    """The plugin's compile step, cached by the hook: the translation, then pytest's asserts."""

    shaping = ("pytest_plugin.py", os.path.basename(__file__))

    def __init__(self, config: pytest.Config, rewrite: bool) -> None:
        self.config = config
        self.rewrite = rewrite
        self.tag = f"pytest-{pytest.__version__}" + ("" if rewrite else "-plain")

    @property
    def key(self) -> str:  # (read when first used, as pytest reads its ini options)
        key = self.__dict__.get("_key")
        if key is None:
            if self.rewrite:
                passes = self.config.getini("enable_assertion_pass_hook")
                asserts = f"asserts rewritten; enable_assertion_pass_hook {passes!r}"
            else:
                asserts = "plain asserts"
            key = self.__dict__["_key"] = f"pytest {pytest.__version__}; {asserts}"
        return key

    def compile(self, source: bytes, source_path: str, mode: Mode) -> CodeType:
        return compile_test_file(Path(source_path), source, rewrite=self.rewrite, mode=mode, config=self.config)


def compile_test_file(
    fn: Path, source: bytes, *, rewrite: bool, mode: Mode, config: pytest.Config
) -> CodeType:
    """The code of ``source``, translated in ``mode``, with pytest's asserts if ``rewrite``."""
    from desugar.compiler import translate_with_lines

    filename = str(fn)
    text = importlib.util.decode_source(source)
    failure: desugar.TranslateError | None = None
    try:
        translated = translate_with_lines(text, filename, mode=mode)
    except desugar.TranslateError as error:
        failure = error
    if failure is not None:
        # Not valid Python: CPython's own SyntaxError, as pytest reports it natively.
        syntax_error = _native_syntax_error(source, filename)
        raise syntax_error if syntax_error is not None else failure
    from desugar.compiler.validate import ast_guard

    with ast_guard():  # (ast objects made in several threads at once: see ast_guard)
        for lazy_messages in (rewrite, False):
            messages: list[_Message] = []
            if translated is None:
                tree = ast.parse(source, filename)
            else:
                from desugar.compiler.lines import renumber

                output, lines = translated
                tree = ast.parse(output, filename)
                renumber(tree, lines, text)
                _place_generated_decorators(tree)
                messages = restore_asserts(tree, text, rewrite=lazy_messages)
            if rewrite:
                from _pytest.assertion.rewrite import rewrite_asserts

                rewrite_asserts(tree, source, filename, config)
            if inject_messages(tree, messages):
                break
            # pytest's rewriting changed shape: leave asserts with awaited messages lowered
        return compile(tree, filename, "exec", dont_inherit=True)


def restore_asserts(tree: ast.Module, source: str, *, rewrite: bool) -> list[_Message]:
    """Turn the compiler's lowering of an assert that awaits back into an ``assert``.

    ``assert T, M`` with an ``await`` in ``T`` becomes ``if __debug__:``, the
    poll loops of ``T``, then ``if not (T'): <poll loops of M> assert False, M'``
    (``T'`` reads the awaited values from temporaries and ``_ds_awaitee.value``).
    That ``if`` is the same as ``assert T', M'``, which pytest can explain;
    ``_ds_awaitee.value`` is read into a local first, so the explanation shows
    the awaited value as pytest shows it natively (``assert 42 == 0``). Each
    such ``assert`` takes the first line of the original ``assert``.

    If ``M`` awaits, its poll loops must run only when the assert fails: the
    assert gets a placeholder name as its message, and `inject_messages` puts
    the loops into the failure branch pytest's rewriting makes. Without
    rewriting (``rewrite`` false) such an assert is left as it is.
    """
    starts: dict[int, int] | None = None
    messages: list[_Message] = []
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.If)
            and isinstance(node.test, ast.Name)
            and node.test.id == "__debug__"
            and not node.orelse
            and node.body
        ):
            continue
        check = node.body[-1]
        match check:
            case ast.If(
                test=ast.UnaryOp(op=ast.Not(), operand=test),
                body=[*message_steps, ast.Assert(test=ast.Constant(value=False), msg=msg)],
                orelse=[],
            ):
                pass
            case _:
                continue
        if message_steps and not rewrite:
            continue
        folded, freed = _fold_tested_temporary(node.body, test)
        if folded is not None:
            test = folded
        if starts is None:
            starts = _assert_starts(source)
        line = starts.get(check.lineno, check.lineno)
        replacement: list[ast.stmt] = []
        if _reads_poll(test):
            replacement.append(
                ast.Assign(
                    targets=[ast.Name(_AWAITED, ast.Store())],
                    value=ast.Attribute(ast.Name(_POLL, ast.Load()), "value", ast.Load()),
                )
            )
            test = _ReplacePoll().visit(test)
        if message_steps:
            assert msg is not None
            placeholder = f"_ds_message{len(messages) + 1}"
            assign = ast.Assign(targets=[ast.Name(placeholder, ast.Store())], value=msg)
            ast.fix_missing_locations(ast.copy_location(assign, message_steps[-1]))
            messages.append(_Message(placeholder, [*message_steps, assign]))
            msg = ast.Name(placeholder, ast.Load())
        replacement.append(ast.Assert(test=test, msg=msg))
        if replacement[0] is not replacement[-1]:
            replacement.append(ast.Delete(targets=[ast.Name(_AWAITED, ast.Del())]))
        replacement.extend(freed)
        for stmt in replacement:
            for part in ast.walk(stmt):
                if "lineno" in part._attributes:
                    part.lineno = line  # type: ignore[attr-defined]
                    part.end_lineno = line  # type: ignore[attr-defined]
                    part.col_offset = getattr(part, "col_offset", None) or 0  # type: ignore[attr-defined]
                    if getattr(part, "end_col_offset", None) is None:
                        part.end_col_offset = check.end_col_offset  # type: ignore[attr-defined]
        node.body[-1:] = replacement
    return messages


def _fold_tested_temporary(body: list[ast.stmt], test: ast.expr) -> tuple[ast.expr | None, list[ast.stmt]]:
    """The test of a lowered assert whose operands were held in temporaries, and their ``del``.

    When an operand awaits, the compiler computes the test into a temporary,
    frees the operands' temporaries as CPython pops them, then takes its truth:
    ``_ds_tN = A == B``, ``del _ds_t1``, ``_ds_tN = True if _ds_tN else False``,
    ``if not _ds_tN: assert False``. For pytest to explain the assert, the test
    goes back into the ``assert`` (``assert A == B``) and the ``del`` after it.
    The statements are taken out of ``body``; (None, []) if the shape is not this.
    """
    if not (isinstance(test, ast.Name) and len(body) >= 3):
        return None, []
    name = test.id
    truth = body[-2]
    match truth:
        case ast.Assign(
            targets=[ast.Name(id=target)],
            value=ast.IfExp(test=ast.Name(id=tested), body=ast.Constant(value=True), orelse=ast.Constant(value=False)),
        ) if target == name and tested == name:
            pass
        case _:
            return None, []
    index = len(body) - 3
    freed: list[ast.stmt] = []
    while index >= 0 and isinstance(body[index], ast.Delete):
        freed.insert(0, body[index])
        index -= 1
    if index < 0:
        return None, []
    computed = body[index]
    match computed:
        case ast.Assign(targets=[ast.Name(id=target)], value=value) if target == name:
            pass
        case _:
            return None, []
    if any(isinstance(part, ast.Name) and part.id == name for part in ast.walk(value)):
        return None, []
    del body[index:-1]
    return value, freed


class _Message:
    """An assert's message that awaits: its placeholder and the statements that compute it."""

    def __init__(self, placeholder: str, steps: list[ast.stmt]) -> None:
        self.placeholder = placeholder
        self.steps = steps


def inject_messages(tree: ast.Module, messages: list[_Message]) -> bool:
    """Put each message's statements first in the failure branch of its rewritten assert.

    That branch is the ``if`` that pytest's rewriting made, whose statements
    (not those of an inner block) use the placeholder to format the message.
    False if one of them is not found.
    """
    if not messages:
        return True
    wanted = {message.placeholder: message for message in messages}
    found: dict[str, ast.If] = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.If):
            continue
        for stmt in node.body:
            if isinstance(stmt, (ast.Assign, ast.Expr, ast.Raise)):
                for part in ast.walk(stmt):
                    if isinstance(part, ast.Name) and part.id in wanted:
                        found.setdefault(part.id, node)
    if len(found) != len(wanted):
        return False
    for placeholder, branch in found.items():
        branch.body[:0] = wanted[placeholder].steps
    return True


def _place_generated_decorators(tree: ast.Module) -> None:
    """Give the decorator the compiler adds (``@_ds_rt.async_fn``) the line below it.

    The line map gives a generated line the line of the original code above
    it; for a generated first decorator that is a line before the function,
    and the function's ``co_firstlineno`` (which pytest and ``inspect`` use to
    show its source) would start there. Work-around: the line of the next
    decorator or of the ``def``.
    """
    for node in ast.walk(tree):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        following = node.lineno
        for decorator in reversed(node.decorator_list):
            if _is_generated(decorator):
                for part in ast.walk(decorator):
                    if "lineno" in part._attributes:
                        part.lineno = part.end_lineno = following  # type: ignore[attr-defined]
            else:
                following = decorator.lineno


def _is_generated(node: ast.expr) -> bool:
    while isinstance(node, (ast.Attribute, ast.Call)):
        node = node.value if isinstance(node, ast.Attribute) else node.func
    return isinstance(node, ast.Name) and node.id.startswith("_ds_")


def _assert_starts(source: str) -> dict[int, int]:
    """For each line of each ``assert`` statement of ``source``, the assert's first line."""
    starts: dict[int, int] = {}
    try:
        original = ast.parse(source)
    except SyntaxError:  # pragma: no cover - it was translated, so it parses
        return starts
    for node in ast.walk(original):
        if isinstance(node, ast.Assert):
            for line in range(node.lineno, (node.end_lineno or node.lineno) + 1):
                starts.setdefault(line, node.lineno)
    return starts


def _is_poll_value(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "value"
        and isinstance(node.ctx, ast.Load)
        and isinstance(node.value, ast.Name)
        and node.value.id == _POLL
    )


def _reads_poll(test: ast.AST) -> bool:
    return any(_is_poll_value(node) for node in ast.walk(test))


class _ReplacePoll(ast.NodeTransformer):
    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        if _is_poll_value(node):
            return ast.copy_location(ast.Name(_AWAITED, ast.Load()), node)
        return self.generic_visit(node)


def _native_syntax_error(source: bytes, filename: str) -> SyntaxError | None:
    try:
        ast.parse(source, filename)
    except SyntaxError as error:
        return error
    return None


# -- ahead of time (``desugar cache``) -----------------------------------------

DEFAULT_PYTHON_FILES = ("test_*.py", "*_test.py")


class IniValues:
    """The one part of a pytest `Config` that `Compile` reads: ``getini``, from a dict."""

    def __init__(self, values: dict[str, object]) -> None:
        self.values = values

    def getini(self, name: str) -> object:
        return self.values[name]


def ahead_of_time_settings(args: list[str]) -> tuple[tuple[str, ...], bool]:
    """pytest's ``python_files`` and ``enable_assertion_pass_hook`` for a run on ``args``.

    Read from the configuration file pytest would find from here for those
    arguments (its ``determine_setup``); pytest's defaults where there is none,
    or where this pytest reads its files otherwise.
    """
    patterns, passes = DEFAULT_PYTHON_FILES, False
    try:
        import shlex

        from _pytest.config import findpaths

        found = findpaths.determine_setup(
            inifile=None, override_ini=None, args=args, rootdir_cmd_arg=None, invocation_dir=Path.cwd()
        )
        values = found[2]
        raw = getattr(values.get("python_files"), "value", values.get("python_files"))
        if isinstance(raw, str):
            patterns = tuple(shlex.split(raw)) or patterns
        elif isinstance(raw, (list, tuple)) and raw:
            patterns = tuple(str(p) for p in raw)
        raw = getattr(
            values.get("enable_assertion_pass_hook"), "value", values.get("enable_assertion_pass_hook")
        )
        if raw is not None:
            passes = str(raw).strip().lower() in ("y", "yes", "t", "true", "on", "1")
    except Exception:  # noqa: BLE001 - another pytest's internals: its defaults
        pass
    return patterns, passes


def is_test_file(path: str, patterns: tuple[str, ...]) -> bool:
    """Does pytest import ``path`` as a test module (by ``patterns``) or a ``conftest.py``?"""
    from _pytest.pathlib import fnmatch_ex

    fn = Path(path)
    return fn.name == "conftest.py" or any(fnmatch_ex(pattern, fn) for pattern in patterns)


def ahead_of_time_step(passes: bool) -> Compile:
    """The step `pytest --desugar` compiles test files with (asserts rewritten, as by default)."""
    return Compile(IniValues({"enable_assertion_pass_hook": passes}), rewrite=True)  # type: ignore[arg-type]

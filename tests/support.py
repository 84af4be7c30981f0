"""Helpers for differential tests: run a program natively and translated, compare."""

from __future__ import annotations

import contextlib
import functools
import io
import pathlib
import re
import sys
import traceback
import types

import pytest

import desugar

_REQUIRES = re.compile(r"# requires: (\d+)\.(\d+) \((.+)\)")


def program_params(paths: list[pathlib.Path]) -> list:
    """One ``pytest.param`` per corpus program, with its stem as id.

    A program whose first line is ``# requires: 3.11 (what it needs)`` runs only
    on that Python or a newer one; on an older one its test is skipped with that
    reason. Any other first line starting with ``# requires:`` is an error, so a
    mistyped marker cannot silently run or skip a program.
    """
    params = []
    for path in paths:
        first = path.read_text(encoding="utf-8").split("\n", 1)[0]
        marks = []
        if first.startswith("# requires:"):
            match = _REQUIRES.fullmatch(first.rstrip())
            if match is None:
                raise ValueError(f"{path}:1: expected `# requires: 3.N (reason)`, got {first!r}")
            needed = (int(match[1]), int(match[2]))
            marks.append(pytest.mark.skipif(
                sys.version_info < needed,
                reason=f"{path.name} needs Python {needed[0]}.{needed[1]}+: {match[3]}",
            ))
        params.append(pytest.param(path, marks=marks, id=path.stem))
    return params


def run(
    source: str, *, translated: bool, name: str = "program", style: str | None = None,
    lowering: str | None = None, format: bool = True,
) -> str:
    """Execute ``source`` (translated first, in ``style`` and ``lowering``, if asked, and
    laid out by black unless ``format`` is false) as a fresh module.

    Returns what it printed, followed by ``!! Type: message`` if it raised.
    """
    code = (desugar.translate(source, f"{name}.py", style=style, lowering=lowering, format=format)
            if translated else source)
    module = types.ModuleType(name)
    module.__file__ = f"{name}.py"
    out = io.StringIO()
    sys.modules[name] = module
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(code, f"{name}.py", "exec", dont_inherit=True), module.__dict__)
    except BaseException as error:  # the program's own failure is part of its output
        out.write("".join(traceback.format_exception_only(type(error), error)).rstrip("\n"))
        out.write("\n")
        out.write(f"!! {type(error).__name__}\n")
    finally:
        sys.modules.pop(name, None)
    return out.getvalue()


def assert_same_behaviour(source: str) -> str:
    """Run ``source`` natively and translated; fail with both outputs if they differ."""
    native = run(source, translated=False)
    ours = run(source, translated=True)
    assert ours == native, f"native:\n{native}\ntranslated:\n{ours}"
    return native


def leftover_async(code: str) -> list[str]:
    """The async constructs a translation still holds, but for the ones it keeps on purpose.

    An async generator stays a native ``async def`` (its items are yielded as
    natively), and its poll loops suspend with ``await _ds_awaitee`` (its
    ``async for`` with ``await _ds_iterN``); an async generator expression
    made inside a sync comprehension, a lambda or a plain ``def`` (in their own scope, which
    CPython's symtable keeps sync) stays as written. Every other ``async
    def``, ``await``, ``async for``, ``async with`` and async comprehension
    must be gone.
    """
    import ast

    tree = ast.parse(code)
    kept: set[ast.AST] = set()
    comprehensions = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)

    def keep_inside(node: ast.AST) -> None:  # (not inside definitions: they answer for themselves)
        stack = [node]
        while stack:
            n = stack.pop()
            if isinstance(n, (ast.Await, ast.comprehension)):
                kept.add(n)
            if not isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                stack.extend(ast.iter_child_nodes(n))

    for node in ast.walk(tree):
        if isinstance(node, ast.AsyncFunctionDef):
            own = [n for n in ast.walk(node) if isinstance(n, (ast.Yield, ast.YieldFrom))]
            if own:
                kept.add(node)
        elif isinstance(node, ast.Await) and re.fullmatch(r"await (_ds_awaitee|_ds_iter\d+)", ast.unparse(node)):
            kept.add(node)
        elif isinstance(node, comprehensions) and not any(g.is_async for g in node.generators):
            first = node.generators[0]
            for child in ast.iter_child_nodes(node):
                if child is not first:
                    keep_inside(child)
            for child in [first.target, *first.ifs]:
                keep_inside(child)
        elif isinstance(node, ast.Lambda):
            keep_inside(node.body)
        elif isinstance(node, ast.FunctionDef) and not any(
            ast.unparse(d).startswith("_ds_rt.") for d in node.decorator_list
        ):  # a plain def's async generator expressions (its only valid async code) stay
            for stmt in node.body:
                keep_inside(stmt)
    return [
        f"{type(n).__name__} at line {n.lineno}"
        for n in ast.walk(tree)
        if n not in kept
        and (
            isinstance(n, (ast.AsyncFunctionDef, ast.Await, ast.AsyncFor, ast.AsyncWith))
            or isinstance(n, ast.comprehension) and n.is_async
        )
    ]


# ---- the runtime's twins: its pure-Python hot path and the C one -------------------------


class Twin:
    """One implementation of the runtime's hot path, as `desugar.runtime._awaitee` and
    `desugar.runtime._stream` name its pieces (``PyAwaitee``/``CAwaitee``,
    ``py_into_future``/``c_into_future``, ...), whichever the process runs."""

    def __init__(self, name: str, awaitee, into_future, async_fn, type_lookup, anext, async_for,
                 into_iter) -> None:
        self.name = name
        self.Awaitee = awaitee
        self.into_future = into_future
        self.async_fn = async_fn
        self.type_lookup = type_lookup
        self.anext = anext
        self.async_for = async_for
        self.into_iter = into_iter

    def __repr__(self) -> str:
        return f"<the {self.name} runtime>"


@functools.cache
def twins() -> tuple[Twin, Twin | None]:
    """The pure-Python twin, and the C one (None where it is not built: see `NO_C_TWIN`)."""
    from desugar.runtime import _awaitee, _stream

    python = Twin("python", _awaitee.PyAwaitee, _awaitee.py_into_future, _awaitee.py_async_fn,
                  _awaitee.py_type_lookup, _stream.py_anext, _stream.py_async_for, _stream.py_into_iter)
    try:  # (built, it is importable under DESUGAR_PURE_PYTHON=1 too: its helpers are the pure ones)
        from desugar.runtime import _speedups
    except ImportError:
        return python, None
    if getattr(_speedups, "C_API", None) != _awaitee.C_API:
        return python, None
    c = Twin("c", _speedups.Awaitee, _speedups.into_future, _speedups.async_fn,
             _speedups.type_lookup, _speedups.anext, _speedups.async_for, _speedups.into_iter)
    return python, c


NO_C_TWIN = (
    "the C runtime (desugar.runtime._speedups) is not built here, or from other sources: "
    "build it with `python setup.py build_ext --inplace`"
)

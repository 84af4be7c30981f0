"""Helpers for differential tests: run a program natively and translated, compare."""

from __future__ import annotations

import contextlib
import io
import sys
import traceback
import types

import desugar


def run(source: str, *, translated: bool, name: str = "program") -> str:
    """Execute ``source`` (translated first if asked) as a fresh module.

    Returns what it printed, followed by ``!! Type: message`` if it raised.
    """
    code = desugar.translate(source, f"{name}.py") if translated else source
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
    natively), and its poll loops suspend with ``await _ds_awaitee``; every
    other ``async def``, ``await``, ``async for``, ``async with`` and async
    comprehension must be gone.
    """
    import ast

    tree = ast.parse(code)
    kept: set[ast.AST] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.AsyncFunctionDef):
            own = [n for n in ast.walk(node) if isinstance(n, (ast.Yield, ast.YieldFrom))]
            if own:
                kept.add(node)
        elif isinstance(node, ast.Await) and ast.unparse(node) == "await _ds_awaitee":
            kept.add(node)
    return [
        f"{type(n).__name__} at line {n.lineno}"
        for n in ast.walk(tree)
        if n not in kept
        and (
            isinstance(n, (ast.AsyncFunctionDef, ast.Await, ast.AsyncFor, ast.AsyncWith))
            or isinstance(n, ast.comprehension) and n.is_async
        )
    ]

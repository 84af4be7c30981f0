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

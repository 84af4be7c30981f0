"""Translated programs under every driver their originals run under, compared with native runs.

Each program in ``driver_corpus/`` runs twice in this process: natively, and
translated by the import hook's compiler (so tracebacks carry the original
lines), under asyncio, trio, anyio on both backends, trio as asyncio's guest,
a curio-style kernel and hand-written ``send`` loops. What each prints, its
exceptions with their ``__context__``, ``__cause__``, ``__suppress_context__``
and traceback frames, and what ``inspect`` says, must be the same.

The programs call two helpers this module gives them: ``frames(error)``, the
``function:line`` of each traceback entry, and ``chain(error)``, an
exception's type, args, context, cause, suppression and frames. On Python
3.10 the pure-Python runtime's own frame shows between the frames of an await
chain (3.10's bare ``raise`` keeps the traceback it caught), so there, and
only there, ``frames`` leaves out frames of ``desugar/runtime``.

A program that needs a newer Python than the oldest supported one starts with
``# requires: 3.N (what it needs)`` and is skipped, with that reason, on older
ones (``support.program_params``).
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import traceback
import types
from pathlib import Path

import pytest

import desugar.runtime
from desugar.compiler import compile_module
from support import program_params

CORPUS = Path(__file__).parent / "driver_corpus"
PROGRAMS = sorted(CORPUS.glob("*.py"))
RUNTIME_DIR = os.path.dirname(desugar.runtime.__file__) + os.sep
HIDE_RUNTIME_FRAMES = sys.version_info < (3, 11) and desugar.runtime._awaitee.IMPLEMENTATION == "python"


def frames(error: BaseException, hide_runtime: bool = HIDE_RUNTIME_FRAMES) -> list[str]:
    out = []
    tb = error.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        if not (hide_runtime and code.co_filename.startswith(RUNTIME_DIR)):
            out.append(f"{code.co_name}:{tb.tb_lineno}")
        tb = tb.tb_next
    return out


def chain(error: BaseException, frames=frames) -> tuple:
    def name(e: BaseException | None) -> str | None:
        return None if e is None else type(e).__name__

    return (
        type(error).__name__, error.args, name(error.__context__), name(error.__cause__),
        error.__suppress_context__, frames(error),
    )


def ends(frames_: list[str]) -> list[str]:
    """A traceback's ends: the frame that caught the error and the frame that raised it."""
    return frames_ if len(frames_) < 2 else [frames_[0], frames_[-1]]


def run(path: Path, *, translated: bool, lowering: str | None = None, ends_only: bool = False) -> str:
    source = path.read_text()
    filename = path.name
    code = (
        compile_module(source, filename, mode=desugar.Mode(lowering)) if translated
        else compile(source, filename, "exec", dont_inherit=True)
    )
    name = path.stem
    module = types.ModuleType(name)
    module.__file__ = filename
    if ends_only:  # (the runtime's frames left out; see the callback test)
        hidden = lambda error: ends(frames(error, hide_runtime=True))  # noqa: E731
        module.__dict__.update(frames=hidden, chain=lambda error: chain(error, frames=hidden))
    else:
        module.__dict__.update(frames=frames, chain=chain)
    sys.modules[name] = module
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            exec(code, module.__dict__)
    except BaseException as error:  # a program's own failure is part of its output
        out.write("!! " + "".join(traceback.format_exception_only(type(error), error)))
    finally:
        sys.modules.pop(name, None)
    return out.getvalue()


@pytest.mark.parametrize("path", program_params(PROGRAMS))
def test_translated_program_behaves_as_native_under_its_driver(path: Path) -> None:
    native = run(path, translated=False)
    assert native.strip(), "a program must print what it did"
    assert "!! " not in native, f"{path.name} fails natively:\n{native}"
    translated = run(path, translated=True)
    assert translated == native


CALLBACK_XFAIL = {
    "09_exceptions_in_aexit_and_finally_during_cancellation": (
        "a coroutine whose finally awaits while it is closed: natively close() raises "
        "'coroutine ignored GeneratorExit' and the coroutine stays suspended in that await; "
        "under the callback lowerings the frame that ignores it is a job's generator, closed "
        "by the runner, so the message says 'generator', the error gets GeneratorExit as its "
        "context, and the outermost coroutine ends closed (no cr_frame to inspect)"
    ),
}


def _callback_params() -> list:
    params = []
    for param in program_params(PROGRAMS):
        path = param.values[0]
        reason = CALLBACK_XFAIL.get(path.stem)
        if reason is not None:
            param = pytest.param(path, id=param.id, marks=[*param.marks, pytest.mark.xfail(strict=True, reason=reason)])
        params.append(param)
    return params


@pytest.mark.parametrize("lowering", ["callback", "callback-async-stacks"])
@pytest.mark.parametrize("path", _callback_params())
def test_callback_lowering_behaves_as_native_under_its_driver(path: Path, lowering: str) -> None:
    """The callback lowerings under every driver, tracebacks compared by their ends.

    Under the callback lowerings an error keeps the traceback it was raised
    with, as a JavaScript error keeps its stack: the awaiters it is thrown
    into on its way out add no frames (tests/test_lowerings.py pins them). So
    each traceback is compared by the frame that caught the error and the one
    that raised it, the runtime's frames left out.
    """
    native = run(path, translated=False, ends_only=True)
    assert run(path, translated=True, lowering=lowering, ends_only=True) == native

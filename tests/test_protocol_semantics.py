"""The awaitable, async-context-manager and async-iterator protocols as CPython runs them.

Each program in ``data/protocol/`` runs natively and translated, in every
style and lowering; what it prints must be the same. The programs exercise:

* how special methods are found: ``__await__``, ``__aenter__``, ``__aexit__``,
  ``__aiter__`` and ``__anext__`` on the type only (not the instance, not the
  metaclass), bound as CPython binds them (``_PyObject_LookupSpecial`` and the
  type slots): functions, staticmethods, classmethods, ``__slots__`` members,
  properties and other descriptors, ``None``, a ``__get__`` that fails;
* the errors the protocols raise, with CPython's messages, ``__context__``,
  ``__cause__`` and ``__suppress_context__`` (each ``_PyErr_FormatFromCause``
  an await reaches: an invalid ``__anext__`` result, StopIteration turned into
  RuntimeError by a coroutine, a generator or an async generator);
* a synchronous ``__anext__`` that raises StopIteration (an error, not the
  end of the loop);
* a module that binds ``BaseException`` and ``StopAsyncIteration``.

The programs share `PRELUDE`: ``show(label, make)`` drives ``make()`` with
``send(None)`` and prints its result or its exception, described with its
context and cause. Run the file under both runtimes (the C one, and
``DESUGAR_PURE_PYTHON=1``): the lookups and errors are the pure-Python
runtime's in both, the ``async for`` stream is the C runtime's in the first.
"""

from __future__ import annotations

import pathlib

import pytest

from support import run

DATA = pathlib.Path(__file__).parent / "data" / "protocol"
PROGRAMS = sorted(DATA.glob("*.py"))

PRELUDE = '''\
import functools


def describe(error, depth=0):
    if error is None:
        return "None"
    text = f"{type(error).__name__}({str(error)!r})"
    if depth < 2:
        text += (f" [context={describe(error.__context__, depth + 1)}"
                 f" cause={describe(error.__cause__, depth + 1)}"
                 f" suppress={error.__suppress_context__}]")
    return text


def drive(coro):
    try:
        while True:
            coro.send(None)
    except StopIteration as stop:
        return stop.value


def show(label, make):
    try:
        result = drive(make())
    except BaseException as error:
        print(label, "->", describe(error))
    else:
        print(label, "=", result)


def done(value):
    if False:
        yield
    return value


async def coro_of(value):
    return value


'''

STRATEGIES = [
    pytest.param({"style": "poll"}, id="poll"),
    pytest.param({"style": "hir"}, id="hir"),
    pytest.param({"style": "yield-from"}, id="yield-from"),
    pytest.param({"lowering": "callback"}, id="callback"),
    pytest.param({"lowering": "callback-async-stacks"}, id="callback-async-stacks"),
]


def test_there_are_programs() -> None:
    assert len(PROGRAMS) >= 8, PROGRAMS


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # (coroutines a failed protocol never awaits)
@pytest.mark.filterwarnings("ignore::FutureWarning")  # (3.13: a functools.partial will bind in 3.14)
@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("path", PROGRAMS, ids=[p.stem for p in PROGRAMS])
def test_protocol_behaves_as_natively(path: pathlib.Path, strategy: dict) -> None:
    source = PRELUDE + path.read_text(encoding="utf-8")
    native = run(source, translated=False, name=path.stem)
    lines = native.splitlines()
    assert len(lines) >= 10, f"{path.stem} printed too little natively:\n{native}"
    assert not any(line.startswith("!! ") for line in lines), f"{path.stem} failed natively:\n{native}"
    ours = run(source, translated=True, name=path.stem, **strategy)
    assert ours == native, f"native:\n{native}\ntranslated:\n{ours}"

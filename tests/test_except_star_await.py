"""``await`` in the type of an ``except*`` clause, natively and translated.

CPython evaluates each clause's type when its turn comes (after the handlers
of the clauses before it ran), with ``sys.exception()`` the part the last
matching clause took; it checks the type (``TypeError`` for an exception group
or a non-exception), splits what is left, wraps a naked exception, and at the
end merges what the handlers raised with what no clause matched. Each program
runs natively and translated (the import hook's compiler, so tracebacks' lines
are comparable) under the runtime this process uses (CI runs both) and prints
the same: handlers run, ``sys.exception()`` at each step, the result's shape,
contexts, causes, notes and tracebacks.
"""

from __future__ import annotations

import textwrap

import pytest

import desugar
from test_native_parity import run

try:
    compile("try:\n    pass\nexcept* ValueError:\n    pass\n", "probe", "exec")
    HAS_EXCEPT_STAR = True
except SyntaxError:
    HAS_EXCEPT_STAR = False

pytestmark = pytest.mark.skipif(not HAS_EXCEPT_STAR, reason="this Python has no except* (3.11+)")

PROGRAM = '''
import asyncio, sys

SHOW_TRACEBACKS = {tracebacks}
log = []

async def kind(t):
    log.append(("type", getattr(t, "__name__", repr(t)), repr(sys.exception())))
    await asyncio.sleep(0)
    return t

def tb_lines(e):
    out = []
    tb = e.__traceback__
    while tb is not None:
        out.append((tb.tb_frame.f_code.co_name, tb.tb_lineno))
        tb = tb.tb_next
    return out if SHOW_TRACEBACKS else None

def show(e, depth=0):
    print("  " * depth + repr(e), "ctx", repr(e.__context__), "cause", repr(e.__cause__),
          "tb", tb_lines(e), "notes", getattr(e, "__notes__", None))
    for x in getattr(e, "exceptions", ()):
        show(x, depth + 1)

async def body(mode):
    if mode == "naked":
        raise ValueError("naked")
    if mode == "naked other":
        raise IndexError("naked other")
    if mode == "none":
        return
    g = ExceptionGroup("g", [ValueError(1), TypeError(2), ExceptionGroup("inner", [KeyError(3), ValueError(4)])])
    if mode == "notes":
        g.add_note("a note")
    if mode == "cause":
        raise g from OSError("cause")
    raise g

async def case(mode):
    try:
        try:
            await body(mode)
        except* (await kind(ValueError)) as e:
            log.append(("h1", repr(e), repr(sys.exception()), sys.exception() is e))
            if mode == "raise":
                raise OSError("from h1")
            if mode in ("reraise", "notes", "cause"):
                raise
        except* TypeError:
            log.append(("h2", repr(sys.exception())))
            if mode == "raise":
                raise KeyError("h2")
        except* (await kind((KeyError, IndexError))) as e:
            log.append(("h3", repr(e)))
            if mode == "reraise":
                raise e
            if mode == "naked other":
                raise RuntimeError("h3") from e
        else:
            log.append("else")
        finally:
            log.append(("finally", repr(sys.exception())))
        log.append("after")
    except BaseException as r:
        show(r)
    try:
        e
    except NameError:
        log.append("e unbound")

async def bad(mode):
    try:
        try:
            raise ExceptionGroup("g", [ValueError(1)])
        except* ValueError:
            log.append("h1")
        except* (await kind({{"eg": ExceptionGroup, "int": int, "tuple": (KeyError, BaseExceptionGroup)}}[mode])):
            log.append("never")
    except BaseException as r:
        show(r)

async def main():
    for mode in ("group", "naked", "naked other", "none", "raise", "reraise", "notes", "cause"):
        print("--", mode)
        await case(mode)
        for line in log:
            print(line)
        log.clear()
    for mode in ("eg", "int", "tuple"):
        print("--", mode)
        await bad(mode)
        for line in log:
            print(line)
        log.clear()
    try:
        raise RuntimeError("outer")
    except RuntimeError:
        print("-- inside a handler")
        await case("raise")
        await case("group")
        print(repr(sys.exception()))
        for line in log:
            print(line)
        log.clear()

asyncio.run(main())
'''

LOWERINGS = ["poll", "callback", "callback-async-stacks"]


@pytest.mark.parametrize("lowering", LOWERINGS)
def test_an_awaiting_except_star_type_runs_as_natively(lowering: str) -> None:
    # (The callback lowerings' tracebacks of an awaited call hold the trampoline's
    # resumptions, except* or not: compared without tracebacks there.)
    source = PROGRAM.format(tracebacks=lowering == "poll")
    native = run(source, translated=False)
    assert "!!" not in native and "h3" in native and "catching ExceptionGroup with except*" in native
    assert run(source, None if lowering == "poll" else lowering, translated=True) == native


def test_each_clause_type_is_evaluated_in_turn_even_when_nothing_is_left() -> None:
    source = textwrap.dedent(
        """
        import asyncio
        async def t(label, kind):
            print("type", label)
            return kind
        async def main():
            try:
                raise ExceptionGroup("g", [ValueError(1)])
            except* (await t(1, ValueError)):
                print("handler 1")
            except* (await t(2, TypeError)):
                print("handler 2")
            try:
                pass
            except* (await t(3, ValueError)):
                print("never")
            print("done")
        asyncio.run(main())
        """
    )
    native = run(source, translated=False)
    assert native == "type 1\nhandler 1\ntype 2\ndone\n"
    for lowering in (None, "callback"):
        assert run(source, lowering, translated=True) == native


def test_no_frame_of_the_statement_survives_it() -> None:
    """The group and what the handlers raised die with the statement, as natively (no cycle)."""
    source = textwrap.dedent(
        """
        import asyncio, gc, weakref
        async def k():
            return ValueError
        class Big(ValueError):
            pass
        refs = []
        async def main():
            try:
                raise ExceptionGroup("g", [Big(1)])
            except* (await k()):
                pass
            try:
                try:
                    error = Big(2)
                    refs.append(weakref.ref(error))
                    raise ExceptionGroup("g", [error])
                except* (await k()) as e:
                    raise KeyError(3)
            except KeyError:
                pass
            del error
            print("alive", [r() is not None for r in refs])
        gc.disable()
        asyncio.run(main())
        gc.enable()
        """
    )
    native = run(source, translated=False)
    assert native == "alive [False]\n"
    assert run(source, translated=True) == native


def test_the_translation_is_one_except_handler() -> None:
    source = "async def f(g):\n    try:\n        pass\n    except* (await g()):\n        pass\n"
    code = desugar.translate(source, "prog.py")
    assert "except*" not in code and "_ds_rt.ExceptStar(" in code

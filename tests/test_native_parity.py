"""What a debugger, a driver or an inspector sees of a translated await, against native runs.

Each program here runs natively and translated (the import hook's compiler, so
lines are the original's), under the runtime this process uses (the C one, or
the pure-Python one under ``DESUGAR_PURE_PYTHON=1``), and what it prints must
be the same: the frames on the stack on the ``send`` and ``throw`` paths, the
objects ``cr_await`` and ``gi_yieldfrom`` give, what a hand-written driver gets
from ``throw`` under the callback lowerings, the order ``__hash__`` runs in a
display before an await.
"""

from __future__ import annotations

import contextlib
import io
import sys
import textwrap
import types

import pytest

from desugar.compiler import compile_module
from desugar.mode import Mode
from desugar.runtime import _awaitee

PURE = _awaitee.IMPLEMENTATION == "python"


def run(source: str, lowering: str | None = None, *, translated: bool) -> str:
    """What ``source`` prints (and ``!! Type: message`` if it raises), as a fresh module."""
    source = textwrap.dedent(source)
    code = (
        compile_module(source, "prog.py", mode=Mode(lowering)) if translated
        else compile(source, "prog.py", "exec", dont_inherit=True)
    )
    module = types.ModuleType("prog")
    module.__file__ = "prog.py"
    sys.modules["prog"] = module
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            exec(code, module.__dict__)
    except BaseException as error:  # the program's failure is part of its output
        out.write(f"!! {type(error).__name__}: {error}\n")
    finally:
        sys.modules.pop("prog", None)
    return out.getvalue()


def same(source: str, lowering: str | None = None) -> str:
    native = run(source, translated=False)
    ours = run(source, lowering, translated=True)
    assert ours == native, f"native:\n{native}\ntranslated ({lowering or 'poll'}):\n{ours}"
    return native


LOWERINGS = ["poll", "callback", "callback-async-stacks"]

# ---------------------------------------------------------------------------
# Item: a hand-written driver's throw() under every lowering
# ---------------------------------------------------------------------------

GENERATOR_EXIT_IN_FINALLY = """
import types

@types.coroutine
def suspend(tag):
    yield tag
    return tag

async def x():
    return await suspend("x")

async def y():
    print("finally awaits y")
    return await suspend("y")

async def main():
    try:
        await x()
    finally:
        await y()
        print("finally done")
    print("after")

c = main()
print("first:", c.send(None))
print("throw GeneratorExit:", c.throw(GeneratorExit()))
try:
    c.send(None)
except BaseException as e:
    print("then:", type(e).__name__, e.args)

c = main()
c.send(None)
try:
    c.close()
except BaseException as e:
    print("close:", type(e).__name__, e.args)
c.throw(KeyError("dropped"))  # (raised at the finally's await)
"""


@pytest.mark.parametrize("lowering", LOWERINGS)
def test_generator_exit_thrown_in_suspends_in_the_finally_that_awaits(lowering: str) -> None:
    assert same(GENERATOR_EXIT_IN_FINALLY, lowering) == (
        "first: x\n"
        "finally awaits y\n"
        "throw GeneratorExit: y\n"
        "finally done\n"
        "then: GeneratorExit ()\n"
        "finally awaits y\n"
        "close: RuntimeError ('coroutine ignored GeneratorExit',)\n"
        "!! KeyError: 'dropped'\n"
    )


GENERATOR_EXIT_THROUGH_A_CHAIN = """
import types

@types.coroutine
def suspend(tag):
    try:
        yield tag
    finally:
        print("suspend closed:", tag)

async def inner():
    try:
        await suspend("inner")
    except GeneratorExit as e:
        print("inner got", type(e).__name__)
        raise

async def middle():
    try:
        await inner()
    finally:
        print("middle finally")
        await suspend("middle cleanup")

async def main():
    try:
        await middle()
    except BaseException as e:
        print("main got", repr(e))
        return "handled"

c = main()
print(c.send(None))
try:
    c.throw(GeneratorExit)
except StopIteration as stop:
    print("returned", stop.value)

c = main()
c.send(None)
c.close()
print("closed")
"""


@pytest.mark.parametrize("lowering", LOWERINGS)
def test_generator_exit_closes_what_each_level_awaits_innermost_first(lowering: str) -> None:
    assert same(GENERATOR_EXIT_THROUGH_A_CHAIN, lowering) == (
        "inner\n"
        "suspend closed: inner\n"
        "inner got GeneratorExit\n"
        "middle finally\n"
        "suspend closed: middle cleanup\n"
        "main got RuntimeError('coroutine ignored GeneratorExit')\n"
        "returned handled\n"
        "suspend closed: inner\n"
        "inner got GeneratorExit\n"
        "middle finally\n"
        "suspend closed: middle cleanup\n"
        "main got RuntimeError('coroutine ignored GeneratorExit')\n"
        "closed\n"
    )


STOP_ITERATION_INTO_A_GENERATOR = """
import types

@types.coroutine
def gen():
    yield 1

async def waits():
    try:
        await gen()
    except RuntimeError as e:
        print("caught:", e, "| cause:", type(e.__cause__).__name__, e.__cause__.args)
        raise

async def outer():
    await waits()

for make in (waits, outer):
    c = make()
    c.send(None)
    try:
        c.throw(StopIteration(9))
    except BaseException as e:
        print("throw StopIteration:", type(e).__name__, e)

async def raises():
    raise StopIteration(3)

async def awaits_raises():
    await raises()

try:
    awaits_raises().send(None)
except BaseException as e:
    print("own StopIteration:", type(e).__name__, e)
"""


@pytest.mark.parametrize("lowering", LOWERINGS)
def test_stop_iteration_thrown_into_an_awaited_generator_says_generator(lowering: str) -> None:
    assert same(STOP_ITERATION_INTO_A_GENERATOR, lowering) == (
        "caught: generator raised StopIteration | cause: StopIteration (9,)\n"
        "throw StopIteration: RuntimeError generator raised StopIteration\n"
        "caught: generator raised StopIteration | cause: StopIteration (9,)\n"
        "throw StopIteration: RuntimeError generator raised StopIteration\n"
        "own StopIteration: RuntimeError coroutine raised StopIteration\n"
    )


# ---------------------------------------------------------------------------
# cr_await: what an inspector reads of what a suspended coroutine awaits
# ---------------------------------------------------------------------------

CR_AWAIT = """
import inspect, types

@types.coroutine
def suspend():
    yield "w"
    return 1

class Awaitable:
    def __await__(self):
        return (yield "a")

async def inner():
    return await suspend()

async def via_await():
    return await Awaitable()

async def outer(make):
    return await make()

def describe(value):
    if hasattr(value, "f_code"):
        return f"frame {value.f_code.co_name}"
    if hasattr(value, "co_name"):
        return f"code {value.co_name}"
    if value is None or isinstance(value, (str, bool)):
        return repr(value)
    return value.__class__.__name__

def show(label, coro):
    coro.send(None)
    a = coro.cr_await
    print(label, a.__class__.__name__, inspect.iscoroutine(a), inspect.isgenerator(a),
          inspect.isawaitable(a), isinstance(a, types.CoroutineType), isinstance(a, types.GeneratorType))
    for name in ("cr_frame", "cr_await", "cr_code", "cr_running", "cr_origin", "gi_code", "gi_frame",
                 "gi_yieldfrom", "gi_running", "__name__", "__qualname__"):
        try:
            print("   ", name, describe(getattr(a, name)))
        except AttributeError as e:
            print("   ", name, "AttributeError:", e)
    if inspect.iscoroutine(a):
        print("    state", inspect.getcoroutinestate(a))
    if inspect.isgenerator(a):
        print("    state", inspect.getgeneratorstate(a))
    coro.close()

show("coroutine awaiting a coroutine:", outer(inner))
show("coroutine awaiting __await__:", outer(via_await))
show("coroutine awaiting a generator:", outer(suspend))

c = outer(inner)
c.send(None)
print("cr_await.cr_await.gi_code:", c.cr_await.cr_await.gi_code.co_name)
print("repr:", repr(c.cr_await).split(" at ")[0])
print("cr_await.cr_await repr:", repr(c.cr_await.cr_await).split(" at ")[0])
c.close()
print("after close:", c.cr_await)
"""


def test_cr_await_answers_every_attribute_an_inspector_reads_as_natively() -> None:
    out = same(CR_AWAIT)
    assert "cr_await.cr_await.gi_code: suspend" in out
    assert "coroutine awaiting a generator: generator False True True False True" in out


ASYNC_FOR_AWAIT = """
import gc, types

@types.coroutine
def suspend():
    yield "w"

async def agen():
    await suspend()
    yield 1

async def loops():
    async for x in agen():
        pass

def walk(coro):
    # trio's Task.iter_await_frames, as it reads an await chain
    while coro is not None:
        if hasattr(coro, "cr_frame"):
            yield coro.cr_frame.f_code.co_name
            coro = coro.cr_await
        elif hasattr(coro, "gi_frame"):
            yield coro.gi_frame.f_code.co_name
            coro = coro.gi_yieldfrom
        elif coro.__class__.__name__ in ["async_generator_athrow", "async_generator_asend"]:
            for referent in gc.get_referents(coro):
                if hasattr(referent, "ag_frame"):
                    yield referent.ag_frame.f_code.co_name
                    coro = referent.ag_await
                    break
            else:
                return
        else:
            break

c = loops()
c.send(None)
print(c.cr_await.__class__.__name__, list(walk(c)))
c.close()
"""


def test_async_for_cr_await_is_the_step_and_walks_find_the_native_frames() -> None:
    assert same(ASYNC_FOR_AWAIT) == "async_generator_asend ['loops', 'agen', 'suspend']\n"

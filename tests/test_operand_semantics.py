"""Each operand evaluated once, tested once, and dropped when natively: native vs translated.

Programs record ``__bool__`` calls and ``__del__``/finalization order in a
trace; each is run natively and translated in every lowering (and, by the
suite's second run with ``DESUGAR_PURE_PYTHON=1``, under both runtimes).
"""

from __future__ import annotations

import textwrap

import pytest

from desugar.mode import LOWERINGS
from support import run

PRELUDE = '''
import asyncio, gc, sys, weakref

log = []


class B:
    """A value whose truth is traced."""

    def __init__(self, name, value):
        self.name, self.value = name, value

    def __bool__(self):
        log.append(self.name)
        return self.value

    def __repr__(self):
        return self.name


class Obj:
    """A value whose death is traced."""

    def __init__(self, name):
        self.name = name

    def __del__(self):
        log.append(f"del {self.name}")

    def __bool__(self):
        log.append(f"bool {self.name}")
        return True


async def aw(x):
    await asyncio.sleep(0)
    return x


def f(*args):
    log.append("f")
    return Obj("result")


def show(label):
    print(label, log)
    log.clear()
'''


def same_in_every_lowering(body: str, lowerings=(*LOWERINGS, "yield-from")) -> str:
    source = PRELUDE + textwrap.dedent(body) + "\nasyncio.run(main())\n"
    native = run(source, translated=False)
    assert "!!" not in native, native
    for lowering in lowerings:
        style = None
        if lowering in ("hir", "yield-from"):
            lowering, style = None, lowering
        ours = run(source, translated=True, lowering=lowering, style=style)
        assert ours == native, f"lowering {lowering} {style}\nnative:\n{native}\ntranslated:\n{ours}"
    return native


def test_condition_tests_each_operand_once_in_every_position() -> None:
    out = same_in_every_lowering('''
        async def agen():
            yield 1

        async def main():
            t, f_ = B("t", True), B("f", False)
            if t or await aw(f_): pass
            show("if or")
            if f_ and await aw(t): pass
            show("if and")
            if not (t or await aw(f_)): pass
            show("if not or")
            if f_: pass
            elif t or await aw(f_): pass
            show("elif")
            i = 0
            while t and await aw(B(f"w{i}", i < 1)):
                i += 1
            show("while")
            assert t or await aw(f_)
            show("assert")
            match 1:
                case 1 if t or await aw(f_): pass
            show("guard")
            [1 for _ in [1] if t or await aw(f_)]
            show("comprehension if")
            [1 async for _ in agen() if t or await aw(f_)]
            show("async comprehension if")
            x = 1 if (t or await aw(f_)) else 2
            show("ternary test")
            if (t or await aw(f_)) and f_: pass
            show("nested and")
            if (f_ and await aw(t)) or t: pass
            show("nested or")
            if (await aw(t) if f_ else t): pass
            show("ternary as condition")
            if t or (await aw(f_) or f_): pass
            show("right nested")
    ''')
    assert "if or ['t']\n" in out and "while ['t', 'w0', 't', 'w1']\n" in out


def test_value_of_a_boolean_chain_tests_each_operand_once() -> None:
    out = same_in_every_lowering('''
        async def main():
            t, f_ = B("t", True), B("f", False)
            x = t or await aw(f_) or await aw(f_)
            show("or chain")
            x = f_ and await aw(t) and await aw(f_)
            show("and chain")
            x = f_ or B("g", False) or await aw(t)
            show("plain operands first")
            x = await aw(f_) or B("g", False) or t
            show("plain operands last")
            x = not (t or await aw(f_))
            show("not of the value")
            print(x, [t or await aw(f_)])
            show("in a display")
    ''')
    assert "or chain ['t']\n" in out and "not of the value ['t', 't']\n" in out


def test_operand_dies_once_the_operation_that_takes_it_is_done() -> None:
    out = same_in_every_lowering('''
        def g(*args):
            log.append("g")

        def gen():
            try:
                yield 1
            finally:
                log.append("generator closed")

        async def main():
            g(f(Obj(1), await aw(2)), log.append("after f"))
            show("argument")
            x = f(Obj(2), await aw(3)), log.append("after f")
            show("in a tuple")
            y = ([Obj(3), await aw(1)][1], log.append("after subscript"))
            show("in a list")
            z = (next(gen()) + await aw(1), log.append("after +"))
            show("generator")
            w = f(Obj(4), await aw(1))
            w = None
            show("assigned")
            if f(Obj(5), await aw(1)):
                log.append("body")
            show("if")
            while f(Obj(6), await aw(1)):
                log.append("body")
                break
            show("while")
            for i in [f(Obj(7), await aw(1))]:
                log.append("loop")
            show("for")
            v = 1 if f(Obj(8), await aw(1)) else 2
            show("ternary")
            assert f(Obj(9), await aw(1)), "message"
            show("assert")
            return f(Obj(10), await aw(1))
    ''')
    assert "argument ['f', 'del result', 'del 1', 'after f', 'g']\n" not in out  # (f's result is an argument of g)
    assert "argument ['f', 'del 1', 'after f', 'g', 'del result']\n" in out
    assert "if ['f', 'del 5', 'bool result', 'del result', 'body']\n" in out


def test_raise_of_an_awaited_exception_leaves_no_cycle() -> None:
    # With the cyclic collector off, the exception (and the frame's locals) die
    # as soon as the handler is done, as natively: no temporary holds them.
    # (The callback lowerings are left out: there an error reaches its awaiter
    # by the trampoline's `throw(error)`, whose argument lives until the
    # awaiter's step ends, after its handler, whatever the generated code does.)
    out = same_in_every_lowering(lowerings=("poll", "hir"), body='''
        class E(Exception):
            def __del__(self):
                log.append(f"del {self.args[0]}")

        async def raise_from():
            held = Obj("local")
            raise E("raised") from await aw(E("cause"))

        async def raise_awaited():
            raise await aw(E("awaited"))

        async def raise_built():
            raise E(await aw("built"))

        async def raise_from_built():
            raise E("outer") from E(await aw("inner"))

        async def main():
            gc.disable()
            try:
                for fn in (raise_from, raise_awaited, raise_built, raise_from_built):
                    try:
                        await fn()
                    except E as e:
                        log.append(f"caught {e.args[0]}")
                    log.append("handler done")
                    show(fn.__name__)
            finally:
                gc.enable()
    ''')
    assert "raise_from ['caught raised', 'del raised', 'del local', 'del cause', 'handler done']\n" in out


@pytest.mark.parametrize("lowering", list(LOWERINGS))
def test_translation_keeps_no_operand_in_a_temporary_after_its_operation(lowering: str) -> None:
    import desugar

    source = PRELUDE + textwrap.dedent('''
        async def main():
            print(f(Obj(1), await aw(2)), "x")
    ''')
    code = desugar.translate(source, "prog.py", lowering=lowering)
    lines = [line.strip() for line in code.splitlines()]
    call = next(i for i, line in enumerate(lines) if line.startswith("_ds_t4 = _ds_t2(_ds_t3, "))
    assert lines[call + 1] == "del _ds_t2, _ds_t3", code  # (f and Obj(1), before print runs)


def test_chained_comparison_with_an_awaiting_operand_evaluates_and_tests_as_natively() -> None:
    """``a < await b < c``: the middle operand evaluated once, each comparison's result tested once."""
    out = same_in_every_lowering('''
        class V:
            def __init__(self, name, n):
                self.name, self.n = name, n
            def __lt__(self, other):
                log.append(f"{self.name}<{other.name}")
                return B(f"({self.name}<{other.name})", self.n < other.n)

        async def get(v):
            log.append(f"get {v.name}")
            return await aw(v)

        async def main():
            a, b, c = V("a", 1), V("b", 2), V("c", 3)
            print(a < await get(b) < c)
            show("value")
            if a < await get(b) < c:
                log.append("then")
            show("if")
            if c < await get(b) < a:
                log.append("then")
            show("if false first")
            print(a < await get(b) < await get(c) < await get(a))
            show("three awaits, the last false")
            while a < await get(b) < c:
                break
            show("while")
            print([1 for _ in [1] if a < await get(b) < c])
            show("comprehension condition")
            print(not (a < await get(b) < c))
            show("not")
    ''')
    assert "if ['get b', 'a<b', '(a<b)', 'b<c', '(b<c)', 'then']\n" in out
    assert "if false first ['get b', 'c<b', '(c<b)']\n" in out

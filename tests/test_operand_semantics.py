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


def test_operands_die_before_the_handler_an_exception_reaches_runs() -> None:
    """An exception raised while operands wait (in an await, or in the operation
    after it) clears them natively as it unwinds: before an ``except`` (and its
    type), a ``finally``, a ``with``'s ``__exit__`` or an ``async with``'s
    ``__aexit__`` runs, and before the handler of a caller the exception leaves
    the frame for (whose traceback keeps the frame, not the value stack)."""
    out = same_in_every_lowering('''
        async def boom(x=None):
            await asyncio.sleep(0)
            raise ValueError("boom")

        def fails(*args):
            log.append("fails")
            del args  # (its frame, in the traceback, would hold them)
            raise ValueError("fails")

        class CM:
            def __enter__(self):
                return self
            def __exit__(self, *exc):
                log.append(f"exit {exc[0].__name__}")
                return True

        class ACM:
            async def __aenter__(self):
                return self
            async def __aexit__(self, *exc):
                log.append(f"aexit {exc[0].__name__}")
                return True

        def key_error():
            log.append("except type")
            return KeyError

        async def in_except():
            try:
                f(Obj("a"), await boom())
            except ValueError:
                log.append("handler")

        async def after_the_await():
            try:
                fails(Obj("a"), await aw(Obj("value")))
            except ValueError:
                log.append("handler")

        async def in_finally():
            try:
                try:
                    x = [Obj("a"), await boom()]
                finally:
                    log.append("finally")
            except ValueError:
                log.append("handler")

        async def in_with():
            with CM():
                f(Obj("a"), await boom())

        async def in_async_with():
            async with ACM():
                f(Obj("a"), await boom())

        async def nested_try():
            try:
                try:
                    f(Obj("a"), await boom())
                except key_error():
                    log.append("inner handler")
            except ValueError:
                log.append("outer handler")

        async def leaves():
            f(Obj("a"), await boom())

        async def leaves_a_try():
            try:
                f(Obj("a"), await boom())
            except KeyError:
                pass

        async def condition():
            try:
                if f(Obj("a"), await boom()):
                    pass
            except ValueError:
                log.append("handler")

        async def loop_test():
            try:
                while f(Obj("a"), await boom()):
                    pass
            except ValueError:
                log.append("handler")

        async def iterable():
            try:
                for i in f(Obj("a"), await boom()):
                    pass
            except ValueError:
                log.append("handler")

        def items(*args):
            try:
                yield 1
            finally:
                log.append("generator closed")

        async def loop_body():
            try:
                for i in items(Obj("iterable"), await aw(1)):
                    fails()
            except ValueError:
                log.append("handler")

        async def manager():
            try:
                async with f(Obj("a"), await boom()):
                    pass
            except ValueError:
                log.append("handler")

        class Mapping:
            def __getitem__(self, key):
                return 1

        async def augmented():
            try:
                Mapping()[Obj("key")] += await boom()
            except ValueError:
                log.append("handler")

        async def not_in_a_try():
            f(Obj("a"), await aw(1))
            log.append("next statement")

        async def main():
            for fn in (in_except, after_the_await, in_finally, in_with, in_async_with, nested_try,
                       condition, loop_test, iterable, loop_body, manager, augmented):
                await fn()
                show(fn.__name__)
            for fn in (leaves, leaves_a_try):
                try:
                    await fn()
                except ValueError:
                    log.append("caller's handler")
                show(fn.__name__)
            await not_in_a_try()
            show("not in a try")
    ''')
    assert "in_except ['del a', 'handler']\n" in out
    assert "after_the_await ['fails', 'del value', 'del a', 'handler']\n" in out
    assert "in_finally ['del a', 'finally', 'handler']\n" in out
    assert "in_with ['del a', 'exit ValueError']\n" in out
    assert "in_async_with ['del a', 'aexit ValueError']\n" in out
    assert "nested_try ['del a', 'except type', 'outer handler']\n" in out
    assert "leaves ['del a', \"caller's handler\"]\n" in out
    assert "leaves_a_try ['del a', \"caller's handler\"]\n" in out
    assert "loop_body ['fails', 'generator closed', 'del iterable', 'handler']\n" in out
    assert "augmented ['del key', 'handler']\n" in out
    assert "not in a try ['f', 'del a', 'del result', 'next statement']\n" in out


def test_an_async_with_manager_dies_with_its_exit() -> None:
    """The manager is held by its bound ``__aexit__`` only, as on CPython's stack."""
    out = same_in_every_lowering('''
        class ACM:
            async def __aenter__(self):
                return None
            async def __aexit__(self, *exc):
                log.append("aexit")
            def __del__(self):
                log.append("del manager")

        def make(*args):
            return ACM()

        async def main():
            async with make(await aw(1)):
                log.append("body")
            log.append("after")
            show("async with")
    ''')
    assert "async with ['body', 'aexit', 'del manager', 'after']\n" in out

"""Random programs of the shapes where a translation has differed from CPython.

Each test draws whole programs of one shape and runs them natively and
translated (in a lowering and style drawn with the program), comparing what
they print: every side effect is recorded in order in a global ``trace``.
The shapes:

- short circuits: ``and``/``or``/``not`` over objects whose ``__bool__``
  records itself, awaited or not, as the condition of ``if``/``elif``,
  ``while``, conditional expressions, comprehension filters, match guards and
  ``assert``: each ``__bool__`` runs as often, and in the order, it does natively;
- ``__del__`` timing: temporaries (call arguments, display items, subscripted
  values, a started generator, an exception's argument) evaluated before an
  ``await`` in the same statement, and the point in the trace where each dies;
- nested blocks: ``async with``, ``async for``, ``for``, ``while``, ``try``
  and ``if``/``elif`` chains with awaiting conditions, nested a few levels,
  with ``break``, ``continue``, ``return`` and raised errors crossing them;
  and as deep as CPython allows (99 ``elif``, 19 nested blocks);
- match guards that await, on every kind of pattern, irrefutable ones too;
- special methods of the async protocols (``__aenter__``, ``__aexit__``,
  ``__aiter__``, ``__anext__``, ``__await__``) defined as a function, a
  ``staticmethod``, a ``classmethod``, a ``__slots__`` member, a callable
  object without ``__get__`` or a descriptor of the program's own;
- errors the protocols raise (a bad result of ``__aenter__``, ``__aexit__``,
  ``__anext__``, an ``__await__`` that raises): message, ``__context__``, ``__cause__``;
- shadowed builtins: a module that binds ``BaseException``,
  ``StopAsyncIteration``, ``iter``, ``next`` ... (which native code never looks
  up for ``async with``/``async for``/``await``);
- names and frames: ``__name__``/``__qualname__`` of functions and lambdas,
  ``co_name`` of frames and of the caller's frame, traceback frame names, in
  and out of async comprehensions.

Shapes whose known differences are still open (issue 17) are ``xfail(strict=True)``
with the item named, each with an explicit example that shows the difference; a
passing run of one of them fails the suite (remove the mark). The others must pass.

``DESUGAR_FUZZ_EXAMPLES`` sets the number of programs per test (default 15).
"""

from __future__ import annotations

import os
import re
import sys
import textwrap

import pytest
from hypothesis import HealthCheck, Phase, example, given, note, settings
from hypothesis import strategies as st

from desugar.runtime import _awaitee, _callback
from desugar.mode import LOWERINGS, STYLES
from support import run

EXAMPLES = int(os.environ.get("DESUGAR_FUZZ_EXAMPLES", "15"))
PURE = _awaitee.IMPLEMENTATION == "python"

SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# An xfail test stops at its explicit example (which fails today); should the
# example pass, the generated programs run as in any other test, the same ones
# on every run (derandomized: a strict xfail must not pass or fail by chance).
KNOWN = settings(SETTINGS, phases=[Phase.explicit, Phase.generate], derandomize=True, database=None)

# (lowering, style): every lowering, and the poll lowering in each of its styles.
TARGETS = [("poll", style) for style in STYLES] + [(lowering, None) for lowering in list(LOWERINGS)[1:]]

PRELUDE = '''\
import gc
import sys
import traceback
from desugar.runtime import block_on, yield_now

trace = []


def t(label, value=None):
    trace.append(label)
    if len(trace) > 400:
        raise OverflowError("trace budget")
    return value


def s(*args):
    return 0


class B:
    def __init__(self, label, truth):
        self.label = label
        self.truth = truth

    def __bool__(self):
        trace.append("bool " + self.label)
        return self.truth


class D:
    def __init__(self, label):
        self.label = label

    def __del__(self):
        trace.append("del " + self.label)


async def a(label, value=None):
    trace.append(">" + label)
    await yield_now()
    trace.append("<" + label)
    return value


async def ag(label, n):
    try:
        for i in range(n):
            trace.append(label + " yield " + str(i))
            await yield_now()
            yield i
    finally:
        trace.append(label + " closed")


def gen(label):
    try:
        yield 1
        yield 2
    finally:
        trace.append("fin " + label)


def started(g):
    next(g)
    return g


class CM:
    def __init__(self, label, suppress=False):
        self.label = label
        self.suppress = suppress

    async def __aenter__(self):
        trace.append("enter " + self.label)
        await yield_now()
        return self.label

    async def __aexit__(self, typ, value, tb):
        trace.append("exit " + self.label + " " + (typ.__name__ if typ else "-"))
        await yield_now()
        return self.suppress


class SyncCM:
    def __init__(self, label):
        self.label = label

    def __enter__(self):
        trace.append("enter " + self.label)

    def __exit__(self, typ, value, tb):
        trace.append("exit " + self.label + " " + (typ.__name__ if typ else "-"))
'''

MAIN = '''
async def main():
    for fn in ({names}):
        for arg in (0, 1, 2):
            trace.clear()
            try:
                result = await fn(arg)
            except Exception as error:
                trace.append("caller caught")
                result = "raised " + type(error).__name__ + " " + str(error)
            print(fn.__name__, arg, "->", result, trace)
    trace.clear()
    gc.collect()  # what only the cyclic collector frees
    print("end", trace)


block_on(main())
'''


def program(functions: list[str], *, head: str = "") -> str:
    """The prelude, ``head`` (classes, shadows), the functions ``f0..fN`` and ``main``."""
    names = "".join(f"f{i}, " for i in range(len(functions)))
    parts = [PRELUDE, head, *functions, MAIN.format(names=names)]
    return "\n\n".join(part for part in parts if part)


def function(index: int, body: list[str]) -> str:
    return f"async def f{index}(p):\n" + textwrap.indent("\n".join(body + ["return 'done'"]), "    ") + "\n"


def block(lines: list[str]) -> str:
    return textwrap.indent("\n".join(lines), "    ")


def check(source: str, target: tuple[str, str | None]) -> None:
    lowering, style = target
    note(f"lowering {lowering}, style {style}")
    note(source)
    native = run(source, translated=False)
    note(f"native output:\n{native}")
    assert "!! " not in native, native  # the program itself runs to its end
    assert native.count(" -> ") >= 3, native
    # Unformatted: black's layout is the random layouts' subject (test_random_programs.py),
    # and it costs ten times the translation.
    ours = run(source, translated=True, lowering=lowering, style=style, format=False)
    assert ours == native


class Labels:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, prefix: str = "L") -> str:
        self.count += 1
        return f"{prefix}{self.count}"


targets = st.sampled_from(TARGETS)
CALLBACK_TARGETS = st.sampled_from([target for target in TARGETS if target[0] != "poll"])


# ===========================================================================
# Short circuits with __bool__ side effects
# ===========================================================================


def condition(draw: st.DrawFn, labels: Labels, depth: int = 2) -> str:
    """``and``/``or``/``not`` over ``B`` objects, some awaited, some through ``t``."""
    kind = draw(st.integers(0, 3 if depth > 0 else 0))
    if kind == 0:  # an operand
        truth = draw(st.booleans())
        how = draw(st.integers(0, 2))
        label = labels("b")
        if how == 0:
            return f"B({label!r}, {truth})"
        if how == 1:
            return f"(await a({labels()!r}, B({label!r}, {truth})))"
        return f"t({labels()!r}, B({label!r}, {truth}))"
    if kind == 3:
        return f"(not {condition(draw, labels, depth - 1)})"
    op = " and " if kind == 1 else " or "
    count = draw(st.integers(2, 4))
    return "(" + op.join(condition(draw, labels, depth - 1) for _ in range(count)) + ")"


@st.composite
def short_circuit_programs(draw: st.DrawFn) -> str:
    labels = Labels()
    functions = []
    for index in range(draw(st.integers(1, 2))):
        body = []
        for _ in range(draw(st.integers(1, 4))):
            c = lambda: condition(draw, labels)  # noqa: E731
            kind = draw(st.integers(0, 7))
            if kind == 0:
                elifs = "".join(f"elif {c()}:\n    t({labels('elif')!r})\n" for _ in range(draw(st.integers(0, 2))))
                body.append(f"if {c()}:\n    t({labels('then')!r})\n{elifs}else:\n    t({labels('else')!r})")
            elif kind == 1:
                body.append(f"n = 0\nwhile n < 2 and {c()}:\n    n += 1\n    t({labels('loop')!r})")
            elif kind == 2:
                body.append(f"x = t({labels('yes')!r}) if {c()} else t({labels('no')!r})")
            elif kind == 3:
                body.append(f"x = [i for i in range(2) if {c()}]\nt(str(x))")
            elif kind == 4:
                body.append(f"x = [i async for i in ag({labels('ag')!r}, 2) if {c()}]\nt(str(x))")
            elif kind == 5:
                body.append(
                    f"match p:\n    case 0 if {c()}:\n        t('m0')\n    case int() if {c()}:\n"
                    f"        t('m1')\n    case _:\n        t('m2')"
                )
            elif kind == 6:
                body.append(f"try:\n    assert {c()}, 'no'\nexcept AssertionError:\n    t('assert failed')")
            else:
                body.append(f"x = {c()}\nt(type(x).__name__)")
        functions.append(function(index, body))
    return program(functions)


SHORT_CIRCUIT_DOUBLE_BOOL = program([function(0, [
    "if B('x', True) or await a('y', B('y', True)):\n    t('then')",
])])


@SETTINGS
@example(source=SHORT_CIRCUIT_DOUBLE_BOOL, target=TARGETS[0])
@given(short_circuit_programs(), targets)
def test_short_circuits_call_each_bool_once_and_in_order(source: str, target) -> None:
    check(source, target)


# ===========================================================================
# __del__ timing of temporaries around an await
# ===========================================================================


@st.composite
def del_timing_programs(draw: st.DrawFn) -> str:
    labels = Labels()
    functions = []
    for index in range(draw(st.integers(1, 2))):
        body = []
        for _ in range(draw(st.integers(1, 4))):
            k, w = labels("k"), labels()
            kind = draw(st.integers(0, 12))
            if kind == 0:
                body.append(f"x = s(D({k!r}), await a({w!r}, 1)) + t('mid {k}', 0)")
            elif kind == 1:
                body.append(f"x = [D({k!r}), await a({w!r}, 0)][1] + t('mid {k}', 0)")
            elif kind == 2:
                body.append(f"x = {{'d': D({k!r}), 'v': await a({w!r}, 0)}}['v'] + t('mid {k}', 0)")
            elif kind == 3:
                body.append(f"x = s(started(gen({k!r})), await a({w!r}, 1)) + t('mid {k}', 0)")
            elif kind == 4:
                body.append(f"x = D({k!r})\nx = await a({w!r}, 0)\nt('mid {k}')")
            elif kind == 5:
                body.append(
                    f"try:\n    raise ValueError(await a({w!r}, D({k!r})))\nexcept ValueError:\n    t('caught {k}')"
                )
            elif kind == 6:
                body.append(
                    f"try:\n    raise ValueError('v') from await a({w!r}, KeyError(D({k!r})))\n"
                    f"except ValueError:\n    t('caught {k}')"
                )
            elif kind == 7:
                body.append(f"x = D({k!r}).label + str(await a({w!r}, 0))\nt('mid {k}')")
            else:  # an exception while operands wait (when p is 0): they die before what handles it
                raising = f"s(D({k!r}), await a({w!r}, 1), 1 // p)"
                body.append([
                    f"try:\n    {raising}\nexcept ZeroDivisionError:\n    t('caught {k}')",
                    f"try:\n    try:\n        {raising}\n    finally:\n        t('finally {k}')\n"
                    f"except ZeroDivisionError:\n    t('caught {k}')",
                    f"with SyncCM({k!r}):\n    {raising}",
                    f"async with CM({k!r}, True):\n    {raising}",
                    raising,  # (to the caller's handler)
                ][kind - 8])
            body.append(f"t('after {k}')")
        functions.append(function(index, body))
    return program(functions)


DEL_AFTER_STATEMENT = program([function(0, [
    "x = s(D('k'), await a('w', 1)) + t('mid', 0)",
])])

DEL_BEFORE_HANDLER = program([function(0, [
    "try:\n    s(D('k'), await a('w', 1), 1 // p)\nexcept ZeroDivisionError:\n    t('caught')",
])])


@SETTINGS
@example(source=DEL_AFTER_STATEMENT, target=TARGETS[0])
@example(source=DEL_BEFORE_HANDLER, target=TARGETS[0])
@given(del_timing_programs(), st.sampled_from([target for target in TARGETS if target[0] == "poll"]))
def test_temporaries_die_when_they_die_natively(source: str, target) -> None:
    check(source, target)


VALUE_HELD_BY_TRAMPOLINE = program([function(0, [
    "try:\n    raise ValueError(await a('w', D('k')))\nexcept ValueError:\n    t('caught')",
    "t('after')",
])])


@SETTINGS
@example(source=VALUE_HELD_BY_TRAMPOLINE, target=("callback", None))
@example(source=DEL_BEFORE_HANDLER, target=("callback", None))
@given(del_timing_programs(), CALLBACK_TARGETS)
def test_temporaries_die_when_they_die_natively_under_the_callback_lowerings(source: str, target) -> None:
    check(source, target)


# ===========================================================================
# Nested blocks and elif chains
# ===========================================================================


class Nest:
    """Draws nested statements: blocks of every kind with awaits in them."""

    def __init__(self, draw: st.DrawFn, labels: Labels, *, depth: int, elifs: int) -> None:
        self.draw = draw
        self.labels = labels
        self.depth = depth
        self.elifs = elifs

    def pick(self, n: int) -> int:
        return self.draw(st.integers(0, n - 1))

    def leaf(self, in_loop: bool) -> str:
        kind = self.pick(7 if in_loop else 5)
        label = self.labels()
        if kind == 0:
            return f"t({label!r})"
        if kind == 1:
            return f"await a({label!r})"
        if kind == 2:
            return f"t({label!r}, 1 // (p - {self.pick(3)}))"  # ZeroDivisionError for one p
        if kind == 3:
            return f"if await a({label!r}, p == {self.pick(3)}):\n    return {label!r}"
        if kind == 4:
            return f"x = await a({label!r}, p) + t({self.labels()!r}, 1)"
        if kind == 5:
            return f"if await a({label!r}, p == {self.pick(3)}):\n    break"
        return f"if t({label!r}, p == {self.pick(3)}):\n    continue"

    def body(self, depth: int, in_loop: bool) -> list[str]:
        return [self.statement(depth, in_loop) for _ in range(1 + self.pick(2))]

    def statement(self, depth: int, in_loop: bool) -> str:
        if depth <= 0 or self.pick(3) == 0:
            return self.leaf(in_loop)
        kind = self.pick(8)
        label = self.labels()
        inner = lambda loop=in_loop: block(self.body(depth - 1, loop))  # noqa: E731
        if kind == 0:
            suppress = self.pick(2) == 0
            return f"async with CM({label!r}, {suppress}) as v{depth}:\n{inner()}"
        if kind == 1:
            return f"async for i{depth} in ag({label!r}, {1 + self.pick(2)}):\n{inner(True)}"
        if kind == 2:
            return f"for i{depth} in range(2):\n{inner(True)}"
        if kind == 3:
            return f"n{depth} = 0\nwhile n{depth} < 2:\n    n{depth} += 1\n{inner(True)}"
        if kind == 4:
            return f"try:\n{inner()}\nexcept ZeroDivisionError:\n{block([f't({self.labels()!r})'])}"
        if kind == 5:
            return f"try:\n{inner()}\nfinally:\n{block([f'await a({self.labels()!r})'])}"
        if kind == 6:
            return f"with SyncCM({label!r}):\n{inner()}"
        count = self.pick(self.elifs + 1)
        text = f"if await a({label!r}, p == 0):\n{inner()}\n"
        for i in range(count):
            text += f"elif await a({self.labels()!r}, p == {i + 1}):\n{inner()}\n"
        if self.pick(2):
            text += f"else:\n{inner()}\n"
        return text.rstrip("\n")


@st.composite
def nested_programs(draw: st.DrawFn) -> str:
    labels = Labels()
    nest = Nest(draw, labels, depth=4, elifs=4)
    functions = [function(i, nest.body(4, False)) for i in range(draw(st.integers(1, 2)))]
    return program(functions)


@SETTINGS
@given(nested_programs(), targets)
def test_nested_blocks_with_awaits_run_as_natively(source: str, target) -> None:
    check(source, target)


@st.composite
def deep_chains(draw: st.DrawFn) -> str:
    """An ``elif`` chain of 95 to 99 awaiting conditions, or a match of 90 to 97
    awaiting guards, which CPython compiles (its limit: 100 indentation levels)."""
    if draw(st.booleans()):
        count = draw(st.integers(95, 99))
        lines = ["if await a('c0', p == 0):\n    return 0"]
        lines += [f"elif await a('c{i}', p == {i}):\n    return {i}" for i in range(1, count)]
        return program([function(0, lines)])
    count = draw(st.integers(90, 97))
    cases = "".join(f"    case {i} if await a('g{i}', True):\n        return {i}\n" for i in range(count))
    return program([function(0, [f"match p:\n{cases}    case _:\n        return 'other'"])])


@SETTINGS
@given(deep_chains(), targets)
def test_elif_chains_and_guards_as_long_as_cpython_allows_run_as_natively(source: str, target) -> None:
    check(source, target)


def nested_blocks(kinds: list[int]) -> str:
    """Blocks nested in the order given (0 ``async with``, 1 ``async for``, 2
    ``try``/``finally``, 3 ``for``) around one statement."""
    text = "t('core')"
    for level, kind in reversed(list(enumerate(kinds))):
        if kind == 2:
            text = f"try:\n{block([text])}\nfinally:\n    t('fin{level}')"
            continue
        head = [f"async with CM('w{level}'):", f"async for i{level} in ag('f{level}', 1):", "",
                f"for i{level} in range(1):"][kind]
        text = f"{head}\n{block([text])}"
    return program([function(0, [text])])


@st.composite
def deep_nesting(draw: st.DrawFn) -> str:
    """10 to 19 nested blocks (``async with``, ``async for`` and others), which
    CPython compiles (its limit: 20 statically nested blocks)."""
    return nested_blocks(draw(st.lists(st.integers(0, 3), min_size=10, max_size=19)))


DEEP_WITH = nested_blocks([0] * 11)


@SETTINGS
@example(source=DEEP_WITH, target=TARGETS[0])
@given(deep_nesting(), targets)
def test_nesting_as_deep_as_cpython_allows_translates(source: str, target) -> None:
    check(source, target)


# ===========================================================================
# Match guards
# ===========================================================================


def guard(draw: st.DrawFn, labels: Labels) -> str:
    kind = draw(st.integers(0, 2))
    if kind == 0:
        return f"await a({labels()!r}, p == {draw(st.integers(0, 2))})"
    if kind == 1:
        return f"t({labels()!r}, p != {draw(st.integers(0, 2))}) and await a({labels()!r}, True)"
    return f"(await a({labels()!r}, p)) % 2 == {draw(st.integers(0, 1))}"


@st.composite
def guard_programs(draw: st.DrawFn, irrefutable: bool) -> str:
    labels = Labels()
    functions = []
    for index in range(draw(st.integers(1, 2))):
        subject = draw(st.sampled_from(["p", "[p, p]", "{'k': p}", "str(p)"]))
        cases = []
        patterns = ["0", "1 | 2", "int()", "[x, *rest]", "{'k': x}", "str()", "(0 | 1) as x"]
        if irrefutable:
            patterns += ["x", "_", "(x)", "y as x"]
        for _ in range(draw(st.integers(1, 4))):
            pattern = draw(st.sampled_from(patterns))
            cases.append(f"    case {pattern} if {guard(draw, labels)}:\n        t({labels('case')!r})\n"
                         f"        return {labels('r')!r}\n")
        cases.append("    case _:\n        t('fallthrough')")
        functions.append(function(index, [f"match {subject}:\n" + "".join(cases)]))
    return program(functions)


@SETTINGS
@given(guard_programs(irrefutable=False), targets)
def test_awaiting_guards_on_refutable_patterns_run_as_natively(source: str, target) -> None:
    check(source, target)


CAPTURE_GUARD = program([function(0, [
    "match p:\n    case x if await a('g', x > 1):\n        return 'big'\n    case _:\n        return 'small'",
])])


@SETTINGS
@example(source=CAPTURE_GUARD, target=TARGETS[0])
@given(guard_programs(irrefutable=True), targets)
def test_awaiting_guards_on_irrefutable_patterns_run_as_natively(source: str, target) -> None:
    check(source, target)


# ===========================================================================
# Special methods defined by descriptors
# ===========================================================================

SPECIAL_KINDS = ("function", "staticmethod", "classmethod", "slot", "callable", "descriptor")


def special_class(name: str, methods: dict[str, tuple[str, str]]) -> str:
    """``class NAME`` whose special methods are defined as the kind given for each:
    ``methods[special] = (kind, body)``, ``body`` an async function of ``(obj, *args)``
    where ``obj`` is the instance (``None`` where the kind does not get one)."""
    slots = [m for m, (kind, _) in methods.items() if kind == "slot"]
    lines = [f"class {name}:"]
    if slots:
        lines.append(f"    __slots__ = {tuple(slots + ['state'])!r}")
    init = ["        self.state = 0"]
    for special, (kind, body) in methods.items():
        impl = f"_{name}_{special.strip('_')}"
        if kind == "function":
            lines.append(f"    {special} = {impl}")
        elif kind == "staticmethod":
            lines.append(f"    {special} = staticmethod(lambda *args: {impl}(None, *args))")
        elif kind == "classmethod":
            lines.append(f"    {special} = classmethod(lambda cls, *args: {impl}(None, *args))")
        elif kind == "slot":
            init.append(f"        self.{special} = lambda *args: {impl}(self, *args)")
        elif kind == "callable":
            lines.append(f"    {special} = Plain({impl})")
        else:
            lines.append(f"    {special} = Bind({impl})")
    lines.append("    def __init__(self):\n" + "\n".join(init))
    return "\n".join(lines)


SPECIAL_HEAD = '''\
class Plain:
    """A callable that is no descriptor: found on the type, called as it is."""
    def __init__(self, fn):
        self.fn = fn

    def __call__(self, *args):
        return self.fn(None, *args)


class Bind:
    """A descriptor of its own: binds like a function, and says so."""
    def __init__(self, fn):
        self.fn = fn

    def __get__(self, obj, owner=None):
        trace.append("get " + self.fn.__name__)
        return lambda *args: self.fn(obj, *args)


def aw():
    return (yield from a("await body", 7).__await__())
'''

SPECIAL_IMPLS = {
    "__aenter__": "async def _{n}_aenter(obj):\n    trace.append('aenter')\n    await yield_now()\n    return 'entered'\n",
    "__aexit__": ("async def _{n}_aexit(obj, typ, value, tb):\n    trace.append('aexit ' + "
                  "(typ.__name__ if typ else '-'))\n    await yield_now()\n    return {suppress}\n"),
    "__aiter__": "def _{n}_aiter(obj):\n    trace.append('aiter')\n    return obj if obj is not None else Counter()\n",
    "__anext__": ("def _{n}_anext(obj):\n    counter = obj if obj is not None else COUNTER\n"
                  "    counter.state += 1\n    return a('anext', counter.state) if counter.state <= 2 else stop()\n"),
    "__await__": "def _{n}_await(obj):\n    trace.append('await')\n    return aw()\n",
}


@st.composite
def special_method_programs(draw: st.DrawFn, kinds: tuple[str, ...]) -> str:
    cm = {m: draw(st.sampled_from(kinds)) for m in ("__aenter__", "__aexit__")}
    it = {m: draw(st.sampled_from(kinds)) for m in ("__aiter__", "__anext__")}
    awaitable = draw(st.sampled_from(kinds))
    suppress = draw(st.booleans())
    impls = [SPECIAL_IMPLS["__aenter__"].format(n="CMx"),
             SPECIAL_IMPLS["__aexit__"].format(n="CMx", suppress=suppress),
             SPECIAL_IMPLS["__aiter__"].format(n="It"), SPECIAL_IMPLS["__anext__"].format(n="It"),
             SPECIAL_IMPLS["__await__"].format(n="Aw")]
    head = "\n".join([
        SPECIAL_HEAD, *impls,
        "async def stop():\n    await yield_now()\n    raise StopAsyncIteration",
        special_class("CMx", {m: (k, "") for m, k in cm.items()}),
        special_class("It", {m: (k, "") for m, k in it.items()}),
        special_class("Aw", {"__await__": (awaitable, "")}),
        "Counter = It\nCOUNTER = It()",
    ])
    statements = [
        "async with CMx() as v:\n    t(v)\n    if p == 1:\n        raise KeyError('in body')",
        "async for v in It():\n    t(v)",
        "t(await Aw())",
        "t([v async for v in It()])",
        "async with CMx() as v, CMx() as w:\n    t(v + w)",
    ]
    chosen = draw(st.lists(st.sampled_from(statements), min_size=1, max_size=4))
    return program([function(0, chosen)], head=head)


@SETTINGS
@given(special_method_programs(("function",)), targets)
def test_special_methods_defined_as_functions_run_as_natively(source: str, target) -> None:
    check(source, target)


SLOT_ANEXT = program([function(0, ["async for v in It():\n    t(v)"])], head="\n".join([
    SPECIAL_HEAD, SPECIAL_IMPLS["__aiter__"].format(n="It"), SPECIAL_IMPLS["__anext__"].format(n="It"),
    "async def stop():\n    await yield_now()\n    raise StopAsyncIteration",
    special_class("It", {"__aiter__": ("function", ""), "__anext__": ("slot", "")}),
    "Counter = It\nCOUNTER = It()",
]))


@SETTINGS
@example(source=SLOT_ANEXT, target=TARGETS[0])
@given(special_method_programs(SPECIAL_KINDS), targets)
def test_special_methods_defined_by_any_descriptor_run_as_natively(source: str, target) -> None:
    check(source, target)


# ===========================================================================
# Errors raised by the protocols: message, context and cause
# ===========================================================================

PROTOCOL_HEAD = '''\
class F:
    def __await__(self):
        raise KeyError("in await")


class Bad:
    """An async context manager and iterator whose special methods return what it is given."""
    def __init__(self, enter=None, exit=None, anext=None):
        self.enter, self.exit, self.anext_ = enter, exit, anext

    def __aenter__(self):
        return self.enter()

    def __aexit__(self, *exc):
        return self.exit()

    def __aiter__(self):
        return self

    def __anext__(self):
        return self.anext_()


def describe(error):
    return "%s(%s) context=%s cause=%s" % (
        type(error).__name__, error, type(error.__context__).__name__, type(error.__cause__).__name__)


def stop_iteration():
    raise StopIteration(5)
'''

PROTOCOL_CASES = {
    "aenter returns 1": "async with Bad(enter=lambda: 1, exit=lambda: a('x')):\n    t('body')",
    "aexit returns 1": "async with Bad(enter=lambda: a('x'), exit=lambda: 1):\n    t('body')",
    "aexit returns 1 after an error": "async with Bad(enter=lambda: a('x'), exit=lambda: 1):\n    raise ValueError('body')",
    "aenter's __await__ raises": "async with Bad(enter=F, exit=lambda: a('x')):\n    t('body')",
    "anext returns 1": "async for v in Bad(anext=lambda: 1):\n    t(v)",
    "anext's __await__ raises": "async for v in Bad(anext=F):\n    t(v)",
    "anext raises StopIteration": "async for v in Bad(anext=stop_iteration):\n    t(v)\nelse:\n    t('else ran')",
    "anext awaits then stops": "n = 0\nasync for v in Bad(anext=lambda: a('n', 1) if t('next', True) else None):\n"
                               "    n += 1\n    if n > 2:\n        break",
}


def protocol_case(name: str) -> str:
    return f"try:\n{block([PROTOCOL_CASES[name]])}\nexcept BaseException as e:\n    t({name!r} + ': ' + describe(e))"


@st.composite
def protocol_error_programs(draw: st.DrawFn) -> str:
    names = draw(st.lists(st.sampled_from(sorted(PROTOCOL_CASES)), min_size=1, max_size=4))
    return program([function(0, [protocol_case(name) for name in names])], head=PROTOCOL_HEAD)


ANEXT_AWAIT_RAISES = program([function(0, [protocol_case("anext's __await__ raises")])], head=PROTOCOL_HEAD)


@SETTINGS
@example(source=ANEXT_AWAIT_RAISES, target=TARGETS[0])
@given(protocol_error_programs(), targets)
def test_protocol_errors_carry_cpythons_message_context_and_cause(source: str, target) -> None:
    check(source, target)


# ===========================================================================
# Shadowed builtins
# ===========================================================================

# Builtins the prelude and main do not use themselves (they use len, type, str, range, print).
SHADOWABLE = ("BaseException", "StopAsyncIteration", "StopIteration", "GeneratorExit", "iter", "next",
              "aiter", "anext", "getattr", "isinstance", "callable", "super", "hasattr", "tuple", "list")


@st.composite
def shadowed_programs(draw: st.DrawFn) -> str:
    names = draw(st.lists(st.sampled_from(SHADOWABLE), min_size=1, max_size=4, unique=True))
    head = []
    for name in names:
        if name[0].isupper():
            head.append(f"class {name}(ArithmeticError):\n    pass")
        else:
            head.append(f"def {name}(*args, **kwargs):\n    raise AssertionError('shadowed {name} called')")
    labels = Labels()
    nest = Nest(draw, labels, depth=2, elifs=1)
    body = nest.body(2, False)
    extra = draw(st.lists(st.sampled_from([
        "async with CM('s', True):\n    raise KeyError('suppressed')",
        "try:\n    async with CM('k'):\n        raise KeyboardInterrupt\nexcept KeyboardInterrupt:\n    t('ki')",
        "t(str([v async for v in ag('c', 2)]))",
        "t(str({v: v async for v in ag('d', 2)}))",
        "x = await a('w', 3)",
    ]), max_size=3))
    return program([function(0, body + extra)], head="\n\n".join(head))


SHADOWED_BASE_EXCEPTION = program(
    [function(0, ["try:\n    async with CM('k'):\n        raise KeyboardInterrupt\n"
                  "except KeyboardInterrupt:\n    t('ki')"])],
    head="class BaseException(ArithmeticError):\n    pass",
)


@SETTINGS
@example(source=SHADOWED_BASE_EXCEPTION, target=TARGETS[0])
@given(shadowed_programs(), targets)
def test_shadowed_builtins_change_nothing(source: str, target) -> None:
    check(source, target)


# ===========================================================================
# Names and frames
# ===========================================================================

NAME_PROBES = [
    "t(f{i}.__name__ + ' ' + f{i}.__qualname__)",
    "t((lambda: 0).__qualname__)",
    "t(sys._getframe().f_code.co_name)",
    "t(await caller())",
    "t(await caller_via())",
    "try:\n    await raiser()\nexcept KeyError as e:\n    t(str([f.name for f in traceback.extract_tb(e.__traceback__)]))",
    "t(inner().__qualname__)",
    "c = nested()\nt(type(c).__name__)\nc.close()",
]

COMPREHENSION_PROBES = [
    "t(str([(lambda: 0).__qualname__ async for v in ag('q', 1)]))",
    "t(str([sys._getframe().f_code.co_name async for v in ag('q', 1)]))",
    "t(str([(await a('n', v)) for v in range(1)]))",
    "t(str({{sys._getframe().f_code.co_name: v async for v in ag('q', 1)}}))",
    "g = (sys._getframe().f_code.co_name async for v in ag('q', 1))\nt(g.__name__ + ' ' + g.__qualname__)",
    # From 3.12 a list, set or dict comprehension is inlined (PEP 709): the function's
    # frame, its locals beside the comprehension's variables, which are isolated.
    "t(str([sorted(k for k in locals() if k[0] not in '._') async for w in ag('q', 2)]))",
    "t(str([w async for w in ag('q', 2)]))\nt('w' in locals())",
    "v = 'outer'\ntry:\n    t(str([1 // (v - 1) async for v in ag('q', 2)]))\n"
    "except ZeroDivisionError as error:\n    t(str([f.name for f in traceback.extract_tb(error.__traceback__)]))\nt(v)",
    "v = 'outer'\nt(str([(v, u) async for v in ag('q', 2) for u in [await a('u', v)] if await a('c', u)]))\nt(v)",
    "t(str([[(v, u, sys._getframe().f_code.co_name) async for u in ag('i', v + 1)] async for v in ag('o', 2)]))",
    "t(str([v async for v in await a('first', ag('q', 2))]))",
    "t(str({{v: await a('k', v) for v in range(2) if await a('c', v)}}))",
    "t(str([(c(), c.__qualname__) for c in [lambda: x async for x in ag('q', 2)]]))",
]

NAMES_HEAD = '''\
async def caller():
    await yield_now()
    return sys._getframe(1).f_code.co_name


async def caller_via():
    return await caller()


async def raiser():
    await a("r")
    raise KeyError("r")


def inner():
    async def innermost():
        pass
    return innermost


async def nested():
    pass
'''


#: On Python 3.10 the pure runtime shows in a traceback caught after an await, between the
#: awaiting frame and the awaited one, the awaitee's poll (the poll lowering: docs/semantics.md,
#: "Known differences") or `callback_result` (the callback lowerings: docs/lowerings.md), as 3.10's
#: bare `raise` keeps the entry it caught; the C runtime and 3.11+ show neither. There, and only
#: there, a probe lists the traceback without the entries of those two modules; everywhere else
#: it lists them all.
RUNTIME_IN_TRACEBACKS = (_awaitee.__file__, _callback.__file__) if PURE and sys.version_info < (3, 11) else ()


def native_frames(probe: str) -> str:
    """``probe``, its ``traceback.extract_tb(...)`` without the runtime's entries where they show."""
    if not RUNTIME_IN_TRACEBACKS:
        return probe
    return re.sub(
        r"traceback\.extract_tb\((\w+)\.__traceback__\)",
        rf"[f for f in traceback.extract_tb(\1.__traceback__) if f.filename not in {RUNTIME_IN_TRACEBACKS!r}]",
        probe,
    )


@st.composite
def names_programs(draw: st.DrawFn, probes: list[str]) -> str:
    functions = []
    for index in range(draw(st.integers(1, 2))):
        chosen = [native_frames(probe) for probe in draw(st.lists(st.sampled_from(probes), min_size=1, max_size=4))]
        body = [probe.replace("{i}", str(index)).replace("{{", "{").replace("}}", "}") for probe in chosen]
        if draw(st.booleans()):  # the same from inside a nested coroutine
            body = ["async def inside():\n" + block(body + ["return 0"]), "await inside()"]
        functions.append(function(index, body))
    return program(functions, head=NAMES_HEAD)


# (Under the pure runtime, `sys._getframe(1)` from an awaited coroutine is a known
# difference, pinned by the strict xfail below: the other tests draw without it.)
CALLER_FREE_PROBES = [probe for probe in NAME_PROBES if "caller" not in probe]
POLL_TARGETS = st.sampled_from([target for target in TARGETS if target[0] == "poll"])
CALLER_NAME = program([function(0, ["t(await caller())"])], head=NAMES_HEAD)


@pytest.mark.xfail(PURE, strict=True, reason="issue 17 item 7: under the pure runtime sys._getframe(1) "
                   "from an awaited coroutine sees the runtime's frames")
@KNOWN
@example(source=CALLER_NAME, target=("poll", None))
@given(names_programs(NAME_PROBES), POLL_TARGETS)
def test_names_and_frames_are_native(source: str, target) -> None:
    check(source, target)


@pytest.mark.xfail(strict=True, reason="issue 17 item 7: under the callback lowerings sys._getframe(1) "
                   "from an awaited coroutine is the runtime's _step")
@KNOWN
@example(source=CALLER_NAME, target=("callback", None))
@given(names_programs(NAME_PROBES), CALLBACK_TARGETS)
def test_names_and_frames_are_native_under_the_callback_lowerings(source: str, target) -> None:
    check(source, target)


COMPREHENSION_NAME = program([function(0, [
    "t(str([sys._getframe().f_code.co_name async for v in ag('q', 1)]))",
])], head=NAMES_HEAD)


@SETTINGS
@example(source=COMPREHENSION_NAME, target=TARGETS[0])
@given(names_programs(CALLER_FREE_PROBES + COMPREHENSION_PROBES if PURE else NAME_PROBES + COMPREHENSION_PROBES),
       POLL_TARGETS)
def test_names_and_frames_in_async_comprehensions_are_native(source: str, target) -> None:
    check(source, target)


@SETTINGS
@given(names_programs(COMPREHENSION_PROBES), targets)
def test_async_comprehensions_are_native_in_every_lowering(source: str, target) -> None:
    """Frames, locals, lambdas' names and isolated variables of async comprehensions
    (inlined from 3.12, as natively), in every lowering and style."""
    check(source, target)


@settings(SETTINGS, max_examples=max(EXAMPLES // 3, 2))
@given(st.one_of(
    short_circuit_programs(), del_timing_programs(), deep_nesting(),
    special_method_programs(SPECIAL_KINDS), shadowed_programs(), protocol_error_programs(),
    names_programs(NAME_PROBES + COMPREHENSION_PROBES),
))
def test_the_shapes_of_the_xfail_tests_run_natively_to_their_end(source: str) -> None:
    """The generators of the xfail tests write sound programs (while the tests
    themselves stop at their explicit example)."""
    note(source)
    native = run(source, translated=False)
    assert "!! " not in native, native
    assert native.count(" -> ") >= 3, native


def test_the_xfail_examples_differ_today_for_the_reason_given() -> None:
    """Each explicit example above is a program that runs natively to its end;
    the shapes the generated tests must pass hold awaits in every block kind."""
    for source in (SHORT_CIRCUIT_DOUBLE_BOOL, DEL_AFTER_STATEMENT, VALUE_HELD_BY_TRAMPOLINE, DEEP_WITH,
                   CAPTURE_GUARD, SLOT_ANEXT, SHADOWED_BASE_EXCEPTION, CALLER_NAME, COMPREHENSION_NAME,
                   ANEXT_AWAIT_RAISES):
        native = run(source, translated=False)
        assert "!! " not in native, native
        assert native.count(" -> ") == 3, native
    assert sys.version_info >= (3, 10)

"""Expressions of every layout and depth: the translation compiles and behaves as natively.

Regression tests for expressions split across lines inside brackets (with
comments and backslash continuations), implicitly concatenated f-strings
whose later parts await, nesting as deep as CPython compiles, long chains of
comparisons and conditional expressions, and PEP 695 generics.
"""

from __future__ import annotations

import sys
import textwrap

import pytest

import desugar
from support import run

PRELUDE = """\
import asyncio
log = []
def v(x):
    log.append(x)
    return x
async def a(x):
    log.append(("a", x))
    await asyncio.sleep(0)
    return x
"""


def same(body: str, *, call: str = "f()") -> str:
    """``body`` (defining ``f``) run natively and translated, with and without black."""
    source = PRELUDE + textwrap.dedent(body) + f"\nprint(asyncio.run({call}), log)\n"
    native = run(source, translated=False)
    assert "!!" not in native, native
    for format in (False, True):
        code = desugar.translate(source, "program.py", format=format)
        compile(code, "program.py", "exec")
        ours = run_code(code)
        assert ours == native, f"format={format}\n{code}"
    return native


def run_code(code: str) -> str:
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "program.py", "exec", dont_inherit=True), {"__name__": "program"})
    return out.getvalue()


MULTILINE = {
    "sum": """
        async def f():
            return (v(1) +
                v(2) + await a(3))
        """,
    "black-style sum": """
        async def f():
            return (
                v(1)
                + v(2)
                + await a(3)
                - v(4)
            )
        """,
    "and chain": """
        async def f():
            return (v(1) and
                v(2) and await a(3))
        """,
    "or chain with comments": """
        async def f():
            return (v(0) or  # first
                # between
                v(0) or await a(3)  # last
            )
        """,
    "comparison chain": """
        async def f():
            return (v(1) <
                v(2) < await a(3) <
                v(4))
        """,
    "backslash continuations": """
        async def f():
            x = (v(1) + \\
                v(2) + \\
                await a(3))
            y = v(1) + \\
                await a(2)
            return x, y
        """,
    "attribute and call chain": """
        async def f():
            return (v("a b c")
                .upper()
                .split(await a(" ")))
        """,
    "subscript split": """
        async def f():
            d = {"k": [1, 2, 3]}
            return (v(d)
                ["k"]
                [await a(1)])
        """,
    "conditional across lines": """
        async def f():
            return (v(1)
                if await a(True)
                else v(2))
        """,
    "unary and await across lines": """
        async def f():
            return (not
                v(0) + await a(1))
        """,
    "assignment statements": """
        async def f():
            x = [
                v(1) +
                await a(2),
            ]
            y = {"k": (v(3)
                * await a(4))}
            x[0] += (v(5) -
                await a(6))
            assert (v(1) ==
                await a(1)), (v("m") +
                await a("n"))
            return x, y
        """,
    "if and while tests": """
        async def f():
            n = 0
            while (v(n) <
                    await a(3)):
                n += 1
            if (v(n) ==
                    await a(3)):
                return n
        """,
    "call arguments": """
        async def f():
            return max(v(1),
                v(5) -
                # comment
                await a(2),
                key=lambda x: (x
                    * -1))
        """,
    "with and for headers": """
        import contextlib
        async def f():
            out = []
            for x in (v([1, 2]) +
                    await a([3])):
                out.append(x)
            with (contextlib.nullcontext(v(1) +
                    await a(2))) as y:
                out.append(y)
            return out
        """,
    "return tuple": """
        async def f():
            return v(1), (v(2) +
                await a(3)), v(4)
        """,
    "raise from": """
        async def f():
            try:
                raise (ValueError(v("x") +
                    await a("y"))) from (KeyError(v(1) +
                    await a(2)))
            except ValueError as e:
                return repr(e), repr(e.__cause__)
        """,
}


@pytest.mark.parametrize("body", MULTILINE.values(), ids=MULTILINE.keys())
def test_multiline_expressions(body: str) -> None:
    same(body)


FSTRINGS = {
    "two parts": """
        async def f():
            return f'a' f'{await a(1)}'
        """,
    "plain then f": """
        async def f():
            return 'x{}' f'{await a(2)!r:>4}' '{y}'
        """,
    "across lines with a comment": """
        async def f():
            return (f'{v(1)}'
                # comment
                'mid' f"{await a('q')}"
                f'{v(3)=}')
        """,
    "as an operand": """
        async def f():
            return 'p' f'{await a(1)}' * 2, '%s-' 'x%s' % (v(1), await a(2))
        """,
    "in a call": """
        async def f():
            return len('ab' f'{await a("cd")}')
        """,
}


@pytest.mark.parametrize("body", FSTRINGS.values(), ids=FSTRINGS.keys())
def test_concatenated_fstrings(body: str) -> None:
    same(body)


def deep_source(expr: str) -> str:
    return "async def f():\n    x = 1\n    g = lambda *args: args\n    return " + expr + "\n"


DEEP = {
    "nested calls": "g(" * 190 + "await a(1)" + ")" * 190,
    "nested lists": "[" * 190 + "await a(1)" + "]" * 190,
    "long sum": " + ".join(["x"] * 1500) + " + await a(1)",
    "long and": " and ".join(["x"] * 5000) + " and await a(1)",
    "long comparison": " < ".join(["x"] * 3000) + " < await a(2)",
    "comparison awaiting everywhere": " < ".join(["await a(x)"] * 300),
    "long conditional": " else ".join(f"await a({i}) if x == {i}" for i in range(300)) + " else 0",
    "attribute chain": "(await a(1))" + ".real" * 1500,
}


@pytest.mark.parametrize("expr", DEEP.values(), ids=DEEP.keys())
def test_deep_expressions(expr: str) -> None:
    """As deep as CPython compiles: no RecursionError, no indentation too deep."""
    source = PRELUDE + deep_source(expr) + "r = asyncio.run(f())\nprint(r if not isinstance(r, tuple) else len(str(r)), len(log))\n"
    native = run(source, translated=False)
    assert "!!" not in native, native
    code = desugar.translate(source, "program.py", format=False)
    assert run_code(code) == native


def test_too_deep_for_cpython_is_cpythons_error() -> None:
    source = deep_source(" + ".join(["x"] * 20000) + " + await a(1)")
    with pytest.raises((RecursionError, MemoryError)) as native:
        compile(source, "program.py", "exec")
    with pytest.raises(desugar.TranslateError) as ours:
        desugar.translate(source, "program.py")
    message = str(ours.value)
    assert message.startswith("program.py:1:1: ")
    assert f"{type(native.value).__name__}: " in message
    assert "bug in desugar" not in message


def test_deep_translation_through_the_hook(tmp_path, monkeypatch) -> None:
    (tmp_path / "deepmod.py").write_text(PRELUDE + deep_source("g(" * 150 + "await a(1)" + ")" * 150))
    monkeypatch.syspath_prepend(str(tmp_path))
    import asyncio

    with desugar.install(["deepmod"]):
        module = __import__("deepmod")
    try:
        assert hasattr(module, "_ds_rt")  # translated, not imported as it is
        result = asyncio.run(module.f())
        depth = 0
        while isinstance(result, tuple):
            result, depth = result[0], depth + 1
        assert (result, depth) == (1, 150)
    finally:
        sys.modules.pop("deepmod", None)


COMPARISONS = {
    "awaits in the middle": """
        async def f(n=6):
            return v(1) < v(2) < v(3) < await a(4) < v(5) < v(n) < await a(7) < v(8)
        """,
    "short circuit before the await": """
        async def f():
            return v(1) < v(2) > v(3) < await a(4), v(3) < v(2) < await a(1)
        """,
    "first operand awaits": """
        async def f():
            return v(1) < await a(0) < v(3), v(1) < await a(2) < v(3) < v(4) < await a(5)
        """,
}


@pytest.mark.parametrize("body", COMPARISONS.values(), ids=COMPARISONS.keys())
def test_comparison_chains(body: str) -> None:
    same(body)


def test_conditional_chain_is_one_if_elif() -> None:
    body = """
        async def f(n):
            return 'neg' if v(n) < 0 else await a('zero') if n == 0 else (await a('one') if n == 1 else 'two' if n == 2 else await a('many'))
        """
    for n in (-1, 0, 1, 2, 3):
        same(body, call=f"f({n})")
    code = desugar.translate(PRELUDE + textwrap.dedent(body), "program.py", format=False)
    assert code.count("elif ") == 3


@pytest.mark.skipif(sys.version_info < (3, 12), reason="PEP 695 type parameters are new in Python 3.12")
def test_generic_nested_definitions_with_awaits() -> None:
    same(
        """
        def deco(fn):
            fn.tag = 'd'
            return fn
        async def f():
            async def inner[U](x: U = await a(5)) -> U:
                return x
            @deco
            def plain[T](y: T = await a(7), *, k: T = await a(8)) -> list[T]:
                return [y, k]
            class Box[V](list[V]):
                size = 2
            return (await inner(), str(inner.__annotations__), plain(), plain.tag,
                    str(plain.__annotations__), Box.size, str(Box.__type_params__))
        """
    )


def test_too_deep_for_cpython_through_the_hook(tmp_path, monkeypatch) -> None:
    """Imported with the hook, it fails as a native import does: CPython's own error."""
    (tmp_path / "toodeep.py").write_text(deep_source(" + ".join(["x"] * 20000) + " + await a(1)"))
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises((RecursionError, MemoryError)) as native:
        compile((tmp_path / "toodeep.py").read_text(), "toodeep.py", "exec")
    with desugar.install(["toodeep"]):
        with pytest.raises(type(native.value)) as ours:
            __import__("toodeep")
    sys.modules.pop("toodeep", None)
    assert str(ours.value) == str(native.value)
    assert ours.value.__context__ is None and ours.value.__cause__ is None


def test_comprehension_clauses_across_lines() -> None:
    same(
        """
        async def agen(n):
            for i in range(n):
                yield i

        async def f():
            a = [x
                + 1 async for x in agen(3)
                if x
                % 2 == 0]
            b = {k:
                 v * await a_(k) for k, v in
                 {1: 2}.items()}
            c = [y async for y in
                 agen(await a_(2))]
            return a, b, c

        async def a_(x):
            return x
        """
    )


def test_code_generation_nests_without_reentering_the_interpreter() -> None:
    """libcst's ``_codegen`` is replaced (see cst_depth) in the libcst this suite runs with."""
    from libcst._nodes.base import CSTNode

    from desugar.compiler import cst_depth

    assert cst_depth.install()
    assert CSTNode._codegen is cst_depth._codegen

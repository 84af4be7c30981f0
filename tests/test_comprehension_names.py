"""Async comprehensions keep CPython's names and scopes: native vs translated, on the running Python.

Up to 3.11 each comprehension has a function and frame of its own
(``<listcomp>``, ``<setcomp>``, ``<dictcomp>``, ``<genexpr>``); from 3.12 (PEP
709) list, set and dict comprehensions run in the enclosing function's frame,
so what shows is that function's name, and zero-argument ``super()`` works in
a method's. Generator expressions keep their own everywhere.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from desugar.mode import LOWERINGS
from desugar.runtime import _awaitee
from support import run

NAMES = '''
import asyncio, sys

async def agen(n=1):
    for i in range(n):
        yield i

def here():
    code = sys._getframe(1).f_code
    return code.co_name, getattr(code, "co_qualname", None)

async def main():
    print("list", [here() async for _ in agen()])
    print("set", {here() async for _ in agen()})
    print("dict", {here(): 1 async for _ in agen()})
    print("awaiting", [here() for _ in [1] if await asyncio.sleep(0) is None])
    print("lambda", [(lambda: 0).__qualname__ async for _ in agen()])
    print("def", [type(lambda: 0)(compile("0", "", "eval"), {}).__qualname__ async for _ in agen()])
    print("nested", [[here() async for _ in agen()] async for _ in agen()])
    print("nested lambda", [[(lambda: 0).__qualname__ async for _ in agen()] async for _ in agen()])
    g = (here() async for _ in agen())
    print("genexp", g.__name__, g.__qualname__, g.ag_code.co_name, [x async for x in g])
    g = ((lambda: 0).__qualname__ async for _ in agen())
    print("genexp lambda", [x async for x in g])
    g = ([here() async for _ in agen()] async for _ in agen())
    print("list in genexp", [x async for x in g])

class K:
    async def method(self):
        return [here() async for _ in agen()], [(lambda: 0).__qualname__ async for _ in agen()]

print(asyncio.run(main()), asyncio.run(K().method()))
'''


def _same(source: str, lowerings=tuple(LOWERINGS)) -> str:
    native = run(source, translated=False)
    assert "!!" not in native, native
    for lowering in lowerings:
        ours = run(source, translated=True, lowering=lowering)
        assert ours == native, f"lowering {lowering}\nnative:\n{native}\ntranslated:\n{ours}"
    return native


def test_async_comprehensions_have_the_names_cpython_gives_them() -> None:
    out = _same(NAMES)
    if sys.version_info >= (3, 12):  # inlined: the enclosing function's names
        assert "list [('main', 'main')]\n" in out
        assert "lambda ['main.<locals>.<lambda>']\n" in out
    else:
        assert "list [('<listcomp>', " in out
        assert "lambda ['main.<locals>.<listcomp>.<lambda>']\n" in out
    assert "genexp <genexpr> main.<locals>.<genexpr> <genexpr>" in out


def test_zero_argument_super_in_a_methods_async_comprehension_is_as_native() -> None:
    out = _same(textwrap.dedent('''
        import asyncio

        async def agen():
            yield 1

        class Base:
            def hi(self):
                return "hi from Base"

        class C(Base):
            async def listed(self):
                return [super().hi() async for _ in agen()]

            async def awaited(self):
                return {super().hi(): await asyncio.sleep(0) async for _ in agen()}

            async def nested(self):
                return [[super().hi() async for _ in agen()] async for _ in agen()]

            async def in_genexp(self):
                return [x async for x in (super().hi() async for _ in agen())]

            @classmethod
            async def of_class(cls):
                return [super().hi.__name__ async for _ in agen()]

        async def main():
            for name in ("listed", "awaited", "nested", "in_genexp", "of_class"):
                try:
                    print(name, await getattr(C(), name)())
                except TypeError as error:
                    # (3.13 names the object's type: natively the generator
                    # expression's iterator, translated the stream over it)
                    print(name, "TypeError", "" if name == "in_genexp" else error)

        asyncio.run(main())
    '''))
    if sys.version_info >= (3, 12):
        assert "listed ['hi from Base']\n" in out
    else:
        assert "listed TypeError super(type, obj): obj must be an instance or subtype of type\n" in out
    assert "in_genexp TypeError" in out  # (a generator expression is never inlined)


TRACEBACK = '''
import asyncio, traceback

async def agen():
    yield 0

async def main():
    try:
        [1 / x async for x in agen()]
    except ZeroDivisionError as error:
        return [frame.name for frame in traceback.extract_tb(error.__traceback__)]

print(asyncio.run(main()))
'''


def test_traceback_names_the_comprehensions_frame_as_cpython_does() -> None:
    native = run(TRACEBACK, translated=False)
    ours = run(TRACEBACK, translated=True)
    if sys.version_info >= (3, 12):  # inlined: no frame of its own, natively and translated
        assert native == ours == "['main']\n"
    elif sys.version_info < (3, 11) and _awaitee.IMPLEMENTATION == "python":
        # 3.10's bare `raise` keeps the pure awaitee's poll frame (docs/semantics.md)
        assert native == "['main', '<listcomp>']\n"
        assert ours == "['main', '__iter__', '<listcomp>']\n"
    else:
        assert native == ours == "['main', '<listcomp>']\n"


def test_hook_gives_comprehensions_their_names(tmp_path) -> None:
    (tmp_path / "names_program.py").write_text(NAMES, encoding="utf-8")
    native = subprocess.run(
        [sys.executable, str(tmp_path / "names_program.py")], capture_output=True, text=True, check=True
    ).stdout
    ours = subprocess.run(
        [sys.executable, "-m", "desugar", "run", str(tmp_path / "names_program.py")],
        capture_output=True, text=True, check=True,
    ).stdout
    assert ours == native


INLINED = sys.version_info >= (3, 12)  # (a list comprehension has no function to rename)


@pytest.mark.parametrize(
    ("comprehension", "functions"),
    [("[x async for x in agen()]", 0 if INLINED else 1),
     ("[y async for y in (x async for x in agen())]", 1 if INLINED else 2)],
)
def test_renaming_is_done_once_per_code_object(comprehension: str, functions: int) -> None:
    from desugar.runtime import _names

    source = textwrap.dedent(f'''
        import asyncio

        async def agen():
            yield 1

        async def main():
            results = []
            for _ in range(3):
                results.append({comprehension})
            print(results)

        asyncio.run(main())
    ''')
    before = len(_names._renamed)
    assert run(source, translated=True) == run(source, translated=False)
    assert len(_names._renamed) - before == functions


def test_awaits_in_a_methods_comprehension_keep_their_line_comments() -> None:
    """The ``super()`` rewrite leaves the comprehension's nodes as written, so each await
    keeps its ``# line N:`` comment, in the original's words."""
    import desugar

    source = textwrap.dedent(
        """\
        class C(B):
            async def plain(self, paths):
                return [await self.get(p) for p in paths if p]

            async def with_super(self, paths):
                return [await super().get(p) for p in paths]
        """
    )
    code = desugar.translate(source, "c.py")
    assert "# line 3: await self.get(p)\n" in code
    assert "# line 6: await super().get(p)\n" in code
    # (the rewrite was made where the comprehension has a function of its own)
    assert ("comprehension_self(self" in code) is not INLINED

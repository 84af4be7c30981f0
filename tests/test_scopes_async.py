"""What is async is what CPython's symtable says is async.

A comprehension's scope is a coroutine's when a clause is ``async for`` or
when the code run in its scope awaits: an ``await`` there, or a list, set or
dict comprehension there that is itself async. A generator expression there
is only an async generator, created without awaiting: the comprehension
around it stays sync. Each program below runs natively and translated (both
runtimes, every lowering) and must print the same; the ones CPython refuses
on the running version must be refused by desugar with CPython's message at
CPython's line and column.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

import desugar
from support import assert_same_behaviour, leftover_async, run

PRELUDE = '''\
import asyncio

async def agen(n):
    for i in range(n):
        await asyncio.sleep(0)
        yield i

async def val(x):
    await asyncio.sleep(0)
    return x

async def drain(g):
    return [x async for x in g]

def show(x):
    import inspect
    kind = ("async generator" if inspect.isasyncgen(x) else "generator" if inspect.isgenerator(x)
            else "coroutine" if inspect.iscoroutine(x) else type(x).__name__)
    print(kind)
    return x
'''

# (name, body of `async def main()`): each prints what it builds.
PROGRAMS = {
    # The example: a sync genexp of async genexps.
    "sync_genexp_of_async_genexps": """
        gens = show((i async for i in agen(j)) for j in [2, 3])
        print([x for g in gens async for x in g])
    """,
    "sync_genexp_of_await_genexps": """
        gens = show((await val(i) for i in range(j)) for j in [2, 3])
        print([x for g in gens async for x in g])
    """,
    "sync_listcomp_of_async_genexps": """
        gens = show([(i * j async for i in agen(j)) for j in [2, 3]])
        print([await drain(g) for g in gens])
    """,
    "sync_listcomp_of_await_genexps": """
        gens = [show(await val(i) + j for i in range(2)) for j in [10, 20]]
        print([await drain(g) for g in gens])
    """,
    "sync_setcomp_and_dictcomp_of_async_genexps": """
        gens = {j: (i async for i in agen(j)) for j in [1, 2]}
        print({j: await drain(g) for j, g in gens.items()})
        print(len({(i async for i in agen(j)) for j in [1, 2]}))
    """,
    "genexp_first_iterable_awaits_in_genexp": """
        gens = show((i for i in await val(range(j))) for j in [2, 3])
        print([x async for g in gens for x in g])
    """,
    "listcomp_first_iterable_awaits_in_genexp": """
        gens = show([(i for i in await val(range(j))) for j in [2, 3]])
        print([list(g) for g in gens])
    """,
    "lambda_making_async_genexp": """
        make = lambda n: (i async for i in agen(n))
        show(make(2))
        print([x async for x in make(3)])
    """,
    "lambda_making_await_genexp": """
        make = lambda n: (await val(i) for i in range(n))
        show(make(2))
        print([x async for x in make(3)])
    """,
    "nested_def_making_async_genexp": """
        def make(n):
            return (i async for i in agen(n))
        show(make(2))
        print([x async for x in make(3)])
    """,
    "async_genexp_inside_sync_genexp_inside_listcomp": """
        out = []
        for j in [0, 10]:
            out.append([await drain(g) for g in ((i + k async for i in agen(2)) for k in (j, j))])
        print(out)
    """,
    "async_genexp_element_alone": """
        g = show((i async for i in agen(3)))
        print([x async for x in g])
    """,
    "await_in_sync_genexp_condition": """
        g = show(i for i in range(4) if await val(i % 2))
        print([x async for x in g])
    """,
    "await_in_genexp_inner_iterable": """
        g = show(i for j in range(2) for i in await val(range(j + 2)))
        print([x async for x in g])
    """,
    "sync_genexp_with_lambda_awaiting_nothing": """
        g = show((lambda: (i async for i in agen(j))) for j in [1, 2])
        print([await drain(f()) for f in g])
    """,
    "genexp_with_async_genexp_in_condition": """
        g = show(j for j in [1, 2] if (i async for i in agen(j)))
        print(list(g))
    """,
    "genexp_with_async_genexp_as_inner_iterable_of_sync_for": """
        g = show(j for j in [1, 2] for k in [(i async for i in agen(j))])
        print(list(g))
    """,
}

# Valid on 3.11+ only: an async comprehension inside a sync one (bpo-33346).
PROGRAMS_311 = {
    "sync_genexp_of_async_listcomps": """
        gens = show([i async for i in agen(j)] for j in [2, 3])
        print([x async for x in gens])
    """,
    "sync_listcomp_of_async_listcomps": """
        print(show([[i async for i in agen(j)] for j in [2, 3]]))
    """,
    "dictcomp_value_async_listcomp": """
        print({j: [i async for i in agen(j)] for j in [1, 2]})
    """,
    "setcomp_condition_async_listcomp": """
        print({j for j in [0, 1, 2] if [i async for i in agen(j)]})
    """,
    "genexp_of_genexp_of_async_listcomp": """
        gens = show((([i async for i in agen(j)] for k in [0]) for j in [1, 2]))
        print([await drain(g) for g in gens])
    """,
    "listcomp_of_await_listcomps": """
        print([[await val(i * j) for i in range(2)] for j in [1, 2]])
    """,
}


def program(body: str) -> str:
    return PRELUDE + "\nasync def main():\n" + textwrap.indent(textwrap.dedent(body).strip("\n"), "    ") + "\n\nasyncio.run(main())\n"


def compiles(source: str) -> bool:
    try:
        compile(source, "program.py", "exec", dont_inherit=True)
    except SyntaxError:
        return False
    return True


@pytest.mark.parametrize("body", PROGRAMS.values(), ids=list(PROGRAMS))
def test_async_is_what_symtable_says(body: str) -> None:
    source = program(body)
    assert compiles(source)
    native = assert_same_behaviour(source)
    assert "!!" not in native, native
    assert leftover_async(desugar.translate(source, "program.py")) == []


@pytest.mark.parametrize("body", PROGRAMS_311.values(), ids=list(PROGRAMS_311))
def test_async_comprehension_inside_sync_comprehension(body: str) -> None:
    source = program(body)
    if not compiles(source):
        # 3.10 refuses these: desugar must refuse them as CPython does.
        with pytest.raises(SyntaxError) as native:
            compile(source, "program.py", "exec", dont_inherit=True)
        with pytest.raises(desugar.TranslateError) as ours:
            desugar.translate(source, "program.py")
        error = native.value
        assert str(ours.value).startswith(
            f"program.py:{error.lineno}:{error.offset}: SyntaxError: {error.msg}"
        ), str(ours.value)
        return
    native = assert_same_behaviour(source)
    assert "!!" not in native, native


@pytest.mark.parametrize("lowering", ["callback", "callback-async-stacks"])
@pytest.mark.parametrize("name", ["sync_genexp_of_async_genexps", "sync_listcomp_of_await_genexps"])
def test_async_is_what_symtable_says_in_every_lowering(name: str, lowering: str) -> None:
    source = program(PROGRAMS[name])
    native = run(source, translated=False)
    assert run(source, translated=True, lowering=lowering) == native


def test_async_is_what_symtable_says_under_the_pure_runtime() -> None:
    sources = [program(body) for body in PROGRAMS.values()]
    script = textwrap.dedent(
        """
        import sys
        sys.path.insert(0, sys.argv[1])
        import json
        from support import run
        for source in json.loads(sys.stdin.read()):
            native = run(source, translated=False)
            ours = run(source, translated=True)
            assert ours == native, (source, native, ours)
        print("ok")
        """
    )
    import json

    env = dict(os.environ, DESUGAR_PURE_PYTHON="1")
    done = subprocess.run(
        [sys.executable, "-c", script, os.path.dirname(__file__)],
        input=json.dumps(sources), capture_output=True, text=True, env=env, timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.startswith("ok")


# Where CPython refuses an async construct, desugar refuses it with CPython's words and place.
REFUSED = {
    "await_in_lambda": "async def f():\n    g = lambda: await a\n",
    "async_listcomp_in_lambda": "async def f():\n    g = lambda: [i async for i in a]\n",
    "async_listcomp_in_sync_def": "async def f():\n    def h():\n        return [i async for i in a]\n",
    "await_in_class_body": "async def f():\n    class C:\n        x = await a\n",
    "async_listcomp_in_class_body": "async def f():\n    class C:\n        x = [i async for i in a]\n",
    "await_in_lambda_in_listcomp": "async def f():\n    g = [lambda: await i for i in a]\n",
    "async_listcomp_in_lambda_in_listcomp": "async def f():\n    g = [lambda: [i async for i in a] for j in b]\n",
    "async_listcomp_in_listcomp_in_sync_def": "async def f():\n    def h():\n        return [[i async for i in a] for j in b]\n",
    "await_in_sync_def": "async def f():\n    def h():\n        await a\n",
}


@pytest.mark.parametrize("source", REFUSED.values(), ids=list(REFUSED))
def test_refused_as_cpython_refuses(source: str) -> None:
    with pytest.raises(SyntaxError) as native:
        compile(source, "program.py", "exec", dont_inherit=True)
    error = native.value
    with pytest.raises(desugar.TranslateError) as ours:
        desugar.translate(source, "program.py")
    assert str(ours.value).startswith(
        f"program.py:{error.lineno}:{error.offset}: SyntaxError: {error.msg}\n"
    ), str(ours.value)

"""Code nested as deeply as CPython allows translates to code that compiles, and runs as natively.

CPython refuses more than 100 indentation levels and more than 20 statically
nested blocks per function. The lowering must not add a level per branch
where CPython has none (an ``elif`` chain, ``match`` cases with awaiting
guards), nor blocks that native code does not have, where the input is near
the limit (``async with``, ``async for``, an ``await``'s poll loop: see
`desugar.compiler.blocks`). Each program is generated, compiled natively, then
run natively and translated (both runtimes, the lowerings) with equal output.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import desugar
import desugar.compiler.blocks as blocks
from support import run

PRELUDE = '''\
import asyncio

log = []

async def val(x):
    await asyncio.sleep(0)
    return x

async def ag(label, n):
    for i in range(n):
        await asyncio.sleep(0)
        yield i
    log.append(f"{label} done")

class CM:
    def __init__(self, label, suppress=False):
        self.label, self.suppress = label, suppress
    async def __aenter__(self):
        await asyncio.sleep(0)
        log.append(f"enter {self.label}")
        return self.label
    async def __aexit__(self, *exc):
        await asyncio.sleep(0)
        log.append(f"exit {self.label} {exc[0].__name__ if exc[0] else None}")
        return self.suppress
'''


def program(body: str, calls: str = "for p in (0, 1, 2, 50, 98, 500):\n    print(p, asyncio.run(f(p)))") -> str:
    return PRELUDE + "\nasync def f(p):\n" + textwrap.indent(body, "    ") + "\n\n" + calls + "\nprint(log)\n"


def elif_chain(count: int) -> str:
    arms = [f"{'if' if i == 0 else 'elif'} await val(p == {i}):\n    return {i}" for i in range(count)]
    return "\n".join(arms) + "\nelse:\n    return 'other'"


def mixed_elif_chain(count: int) -> str:
    """Awaiting and plain tests in turn, an elif body with a loop that breaks."""
    arms = []
    for i in range(count):
        test = f"await val(p == {i})" if i % 3 else f"p == {i}"
        arms.append(f"{'if' if i == 0 else 'elif'} {test}:\n    for k in range(3):\n        if k == 1:\n            break\n    return ({i}, k)")
    return "\n".join(arms)


def match_guards(count: int) -> str:
    cases = []
    for i in range(count):
        pattern = ("x", "_", "int(x)", f"{i} | {i + 1000}")[i % 4]
        cases.append(f"    case {pattern} if await val(p == {i}):\n        return {i}")
    return "match p:\n" + "\n".join(cases) + "\n    case x:\n        return ('fallthrough', x)"


def nested(heads: list[str], core: str) -> str:
    lines = []
    for depth, head in enumerate(heads):
        lines.append("    " * depth + head)
    lines += ["    " * len(heads) + line for line in core.splitlines()]
    return "\n".join(lines)


def async_withs(count: int) -> str:
    heads = [f"async with CM('w{i}', suppress={i == 2}) as v{i}:" for i in range(count)]
    core = "await val(0)\nlog.append(v0)\nif p == 1:\n    raise KeyError(p)"
    return nested(heads, core) + "\nreturn p"


def async_fors(count: int) -> str:
    heads = [f"async for i{i} in ag('f{i}', {2 if i in (0, count - 1) else 1}):" for i in range(count)]
    core = f"await val(0)\nlog.append(i{count - 1})\nif p == 1:\n    break"
    return "t = 0\n" + nested(heads, core + "\nt += 1") + "\nreturn t"


def mixed(count: int) -> str:
    """async with, async for, for and try/finally in turn: 20 blocks natively."""
    heads = []
    for i in range(count):
        heads.append((
            f"async with CM('w{i}'):",
            f"async for i{i} in ag('f{i}', 1):",
            f"for j{i} in range(1):",
            "try:",
        )[i % 4])
    lines = []
    for depth, head in enumerate(heads):
        lines.append("    " * depth + head)
    lines.append("    " * len(heads) + "log.append(await val(p))")
    for depth in reversed(range(len(heads))):
        if heads[depth] == "try:":
            lines.append("    " * depth + "finally:")
            lines.append("    " * depth + f"    log.append('finally {depth}')")
    return "\n".join(lines) + "\nreturn p"


def awaits_in_loops(count: int) -> str:
    heads = [f"for k{i} in range(1):" for i in range(count)]
    return nested(heads, "log.append(await val(p))") + "\nreturn p"


PROGRAMS = {
    "elif_chain_99": program(elif_chain(99)),
    "elif_chain_150": program(elif_chain(150)),
    "mixed_elif_chain_120": program(mixed_elif_chain(120)),
    "match_100_awaiting_guards": program(match_guards(100)),
    "async_with_10": program(async_withs(10)),
    "async_with_19": program(async_withs(19)),
    "async_with_20": program(async_withs(20)),
    "async_for_11": program(async_fors(11)),
    "async_for_20": program(async_fors(20)),
    "mixed_blocks_20": program(mixed(20)),
    "await_in_20_loops": program(awaits_in_loops(20)),
}


def compiles(source: str) -> bool:
    try:
        compile(source, "program.py", "exec", dont_inherit=True)
    except SyntaxError:
        return False
    return True


def skip_if_cpython_crashes_compiling(source: str) -> None:
    """Some CPython releases (3.12.1 here) crash compiling deeply nested ``async with``
    natively: probed in a child process, such a program is skipped on them."""
    done = subprocess.run(
        [sys.executable, "-c", "import sys; compile(sys.stdin.read(), 'program.py', 'exec')"],
        input=source, capture_output=True, text=True, timeout=120,
    )
    if done.returncode < 0:
        pytest.skip(f"CPython {sys.version.split()[0]} crashes (signal {-done.returncode}) compiling it natively")


@pytest.mark.parametrize("name", list(PROGRAMS))
def test_nested_as_deeply_as_cpython_allows_runs_as_natively(name: str) -> None:
    source = PROGRAMS[name]
    skip_if_cpython_crashes_compiling(source)
    assert compiles(source)
    native = run(source, translated=False)
    assert "!!" not in native, native
    for style in ("poll", "hir"):
        code = desugar.translate(source, "program.py", style=style, format=style == "poll")
        assert run(code, translated=False) == native, style


@pytest.mark.parametrize(
    "name",
    ["elif_chain_150", "match_100_awaiting_guards", "async_with_10", "async_with_20", "async_for_11", "await_in_20_loops"],
)
def test_nested_as_deeply_as_cpython_allows_under_the_callback_lowering(name: str) -> None:
    source = PROGRAMS[name]
    skip_if_cpython_crashes_compiling(source)
    assert run(source, translated=True, lowering="callback") == run(source, translated=False)


@pytest.mark.skipif(
    os.environ.get("DESUGAR_PURE_PYTHON", "") not in ("", "0"),
    reason="this run is the pure runtime's: the tests above already ran every program under it",
)
def test_nested_as_deeply_as_cpython_allows_under_the_pure_runtime() -> None:
    script = textwrap.dedent(
        """
        import json, sys
        sys.path.insert(0, sys.argv[1])
        from support import run
        for name, source in json.loads(sys.stdin.read()).items():
            if name not in sys.argv[2:]:
                continue
            native = run(source, translated=False)
            ours = run(source, translated=True)
            assert ours == native, (name, native, ours)
        print("ok")
        """
    )
    names = []
    for name, source in PROGRAMS.items():
        try:
            skip_if_cpython_crashes_compiling(source)
        except pytest.skip.Exception:
            continue
        names.append(name)
    env = dict(os.environ, DESUGAR_PURE_PYTHON="1")
    done = subprocess.run(
        [sys.executable, "-c", script, str(Path(__file__).parent), *names],
        input=json.dumps(PROGRAMS), capture_output=True, text=True, env=env, timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout == "ok\n"


def test_an_elif_chain_is_not_nested_per_branch() -> None:
    code = desugar.translate(PROGRAMS["elif_chain_150"], "program.py")
    deepest = max(len(line) - len(line.lstrip(" ")) for line in code.splitlines() if line.strip())
    assert deepest <= 4 * 4, deepest  # def, `if not _ds_arm1:`, the poll loop, its body


def test_match_guards_are_not_nested_per_case() -> None:
    code = desugar.translate(PROGRAMS["match_100_awaiting_guards"], "program.py")
    deepest = max(len(line) - len(line.lstrip(" ")) for line in code.splitlines() if line.strip())
    assert deepest <= 4 * 4, deepest


def test_shallow_functions_keep_the_usual_shapes() -> None:
    """Only a function near the limit is lowered in the compact shapes."""
    source = program(async_fors(3)) + "\n\nasync def g(p):\n" + textwrap.indent(async_fors(11), "    ") + "\n"
    code = desugar.translate(source, "program.py")
    f_part, g_part = code.split("def g(p):")
    assert "for _ds_poll in _ds_awaitee" in f_part and "finally:" in f_part
    assert "for _ds_poll in _ds_awaitee" not in g_part and "yield from _ds_awaitee.__await__()" in g_part


def test_a_function_deeper_than_cpython_allows_is_refused_as_cpython_refuses_it() -> None:
    source = program(async_fors(21))
    with pytest.raises(SyntaxError) as native:
        compile(source, "program.py", "exec", dont_inherit=True)
    with pytest.raises(desugar.TranslateError) as ours:
        desugar.translate(source, "program.py")
    error = native.value
    assert str(ours.value).startswith(f"program.py:{error.lineno}:{error.offset}: SyntaxError: {error.msg}")


# --- the compact shapes' semantics, on the programs of the corpus and the fixtures that use them ----

ROOT = Path(__file__).resolve().parent.parent
_COMPACT_TOPICS = ("async_for", "async_with", "aiter", "anext", "compreh", "genexp", "agen", "async_gen", "await_in")
COMPACT_PROGRAMS = sorted(
    p for p in [*(ROOT / "fixtures").glob("*.py"), *(ROOT / "tests" / "corpus").glob("*.py")]
    if not p.name.endswith(".expected.py") and "executor" not in p.name
    and any(topic in p.name for topic in _COMPACT_TOPICS)
)


@pytest.fixture
def everything_compact(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(blocks, "LIMIT", -1)  # every function is "deep"
    monkeypatch.setattr(blocks, "_tight_withs", lambda function: frozenset())  # (none at the deepest block)


@pytest.fixture
def everything_tight(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(blocks, "LIMIT", -1)  # every function is "deep", every `async with` at the deepest block


@pytest.mark.usefixtures("everything_compact")
@pytest.mark.parametrize("path", COMPACT_PROGRAMS, ids=[p.stem for p in COMPACT_PROGRAMS])
def test_the_compact_shapes_run_as_natively(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    if source.startswith("# requires:") and not compiles(source):
        pytest.skip(f"{path.name} needs a newer Python")
    code = desugar.translate(source, path.name)
    if "async" in source:
        assert "for _ds_poll in" not in code  # (the compact shapes were used)
    native = run(source, translated=False)
    assert run(code, translated=False) == native
    if "async for" in source or "async with" in source:
        assert run(source, translated=True, style="hir") == native


COMPACT_CASES = {
    # `async with`: the body completes, raises, is suppressed; __aexit__ raises; the value.
    "async_with": """
        for mode in ("ok", "raise", "suppress", "exit raises", "enter raises"):
            class M:
                async def __aenter__(self):
                    await val(0)
                    if mode == "enter raises":
                        raise ValueError("enter")
                    return mode
                async def __aexit__(self, t, e, tb):
                    await val(0)
                    import sys
                    print("exit", t and t.__name__, e, sys.exc_info()[0] and sys.exc_info()[0].__name__)
                    if mode == "exit raises":
                        raise RuntimeError("exit")
                    return mode == "suppress"
            try:
                async with M() as value:
                    print("body", value)
                    if mode != "ok":
                        raise KeyError(mode)
                print("after", mode)
            except Exception as error:
                print("caught", type(error).__name__, error, type(error.__context__).__name__)
    """,
    # Jumps out of `async with`: exit first (inline), the value computed before the exit.
    "async_with_jumps": """
        async def inner(mode):
            async with CM("a"):
                async with CM("b"):
                    if mode == "return":
                        return await val("returned")
                    while True:
                        if mode == "while":
                            return "from while"
                        break
                    match mode:
                        case "match":
                            return "from match"
            return "end"
        for mode in ("return", "while", "match", "none"):
            print(await inner(mode), log)
            log.clear()
        for i in range(3):
            async with CM(f"loop {i}"):
                if i == 0:
                    continue
                if i == 1:
                    break
        print(log)
        log.clear()
        class Failing:
            async def __aenter__(self):
                return self
            async def __aexit__(self, *exc):
                log.append(f"failing exit {exc[0]}")
                raise RuntimeError("exit failed")
        async def jump():
            async with CM("outer"):
                async with Failing():
                    return 1
        try:
            await jump()
        except RuntimeError as error:
            print("caught", error, log)
        log.clear()
        async def from_for():
            async with CM("around for"):
                for k in range(3):
                    return k
        print(await from_for(), log)
    """,
    # `async for`: else, break, an error in the body, the iterator finalized after a break.
    "async_for": """
        async for i in ag("a", 3):
            print(i)
        else:
            print("else")
        async for i in ag("b", 3):
            if i == 1:
                break
        print("broke", i, log)
        try:
            async for i in ag("c", 3):
                raise KeyError(i)
        except KeyError as error:
            print("caught", error)
    """,
}


@pytest.mark.usefixtures("everything_compact")
@pytest.mark.parametrize("name", list(COMPACT_CASES))
def test_compact_async_with_and_async_for_as_natively(name: str) -> None:
    source = program(textwrap.dedent(COMPACT_CASES[name]).strip("\n"), "asyncio.run(f(0))")
    native = run(source, translated=False)
    assert "!!" not in native
    for lowering in (None, "callback"):
        assert run(source, translated=True, lowering=lowering) == native, lowering


TIGHT_CASES = {
    **COMPACT_CASES,
    # Raised again after `__aexit__`: its context and its traceback's frames as natively.
    "async_with_reraised": """
        import sys, traceback
        async def inner(mode):
            async with CM("t", suppress=mode == "suppress"):
                if mode == "exit":
                    return "returned"
                raise KeyError(mode)
            return "suppressed"
        for mode in ("raise", "suppress", "exit"):
            try:
                raise RuntimeError("handled by the caller")
            except RuntimeError:
                try:
                    print(await inner(mode))
                except KeyError as error:
                    print("caught", error, repr(error.__context__), sys.exc_info()[0].__name__)
                    frames = traceback.extract_tb(error.__traceback__)
                    print([f.name for f in frames if not (RUNTIME_FRAMES_SHOW and "desugar" in f.filename)])
        print(log)
    """,
}


def bare_raise_keeps_the_traceback_it_caught() -> bool:
    """Python 3.10's does (the runtime's frame that raises again then shows in tracebacks)."""
    try:
        try:
            raise KeyError("probe")
        except KeyError as error:
            error.__traceback__ = None
            raise
    except KeyError as error:
        return error.__traceback__ is not None


@pytest.mark.usefixtures("everything_tight")
@pytest.mark.parametrize("name", ["async_with", "async_with_jumps", "async_with_reraised"])
def test_async_with_at_the_deepest_block_as_natively(name: str) -> None:
    """The shape of an `async with` whose handler would nest beyond the limit (a `with` instead)."""
    source = program(textwrap.dedent(TIGHT_CASES[name]).strip("\n"), "asyncio.run(f(0))")
    source = f"RUNTIME_FRAMES_SHOW = {bare_raise_keeps_the_traceback_it_caught()}\n" + source
    code = desugar.translate(source, "program.py")
    assert "with _ds_caught" in code and "_ds_rt.reraise(" in code
    native = run(source, translated=False)
    assert "!!" not in native
    for lowering in (None, "callback"):
        assert run(source, translated=True, lowering=lowering) == native, lowering


def test_the_estimate_bounds_the_usual_shapes() -> None:
    """A function the estimate clears compiles in the usual shapes (those of every other function)."""
    import ast

    cleared = 0
    for make in (async_fors, async_withs, mixed, awaits_in_loops):
        for count in range(4, 21):
            body = make(count)
            source = "async def f(p):\n" + textwrap.indent(body, "    ") + "\n"
            if blocks._depth(ast.parse(source).body[0]) > blocks.LIMIT - blocks.SEND_BLOCK:
                break
            code = desugar.translate(program(body), "program.py", format=False)
            assert "for _ds_poll in" in code and compiles(code), (make.__name__, count)
            cleared += 1
    assert cleared >= 25


def compiles_in_a_child(source: str) -> bool:
    """Whether this Python compiles ``source``, asked of a child process (a crash is a no)."""
    done = subprocess.run(
        [sys.executable, "-c", "import sys; compile(sys.stdin.read(), 'program.py', 'exec')"],
        input=source, capture_output=True, text=True, timeout=120,
    )
    return done.returncode == 0


@pytest.mark.parametrize("withs", range(14, 19))
def test_an_await_in_an_async_with_manager_under_many_withs_compiles_where_native_code_does(withs: int) -> None:
    """CPython 3.12 crashes compiling a ``yield from`` nested in 20 blocks: the poll loops stay below."""
    heads = ["with CM2():"] * withs + ["async with CM(await val(p)):"]
    body = nested(heads, "log.append(p)") + "\nreturn p"
    source = program(body).replace("class CM:", "class CM2:\n    def __enter__(self): pass\n    def __exit__(self, *e): pass\n\nclass CM:")
    skip_if_cpython_crashes_compiling(source)
    assert compiles_in_a_child(source)
    for style in ("poll", "hir"):
        code = desugar.translate(source, "program.py", style=style, format=False)
        assert compiles_in_a_child(code), (style, withs)
    assert run(desugar.translate(source, "program.py"), translated=False) == run(source, translated=False)


def test_an_uncompilable_translation_is_reported_alike_with_and_without_formatting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """(The usual shapes forced on a function too deep for them, to get a translation that fails.)"""
    monkeypatch.setattr(blocks, "LIMIT", 10**9)
    source = program(async_fors(11))
    messages = []
    for format in (True, False):
        with pytest.raises(desugar.InternalError) as error:
            desugar.translate(source, "program.py", format=format)
        messages.append(str(error.value))
    assert messages[0] == messages[1]
    assert "too many statically nested blocks, at line " in messages[0]
    line = source.splitlines().index(next(l for l in source.splitlines() if "async for i10 " in l)) + 1
    assert messages[0].startswith(f"program.py:{line}:")


def test_nested_async_withs_are_each_checked_a_bounded_number_of_times(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whether an ``async with`` exits inline is asked once per enclosing one, not once per
    path through them: 19 nested ones took minutes to translate when the questions doubled
    with each level."""
    from desugar.compiler.lowering import async_with

    calls = []
    real = async_with._exits_inline

    def counting(stmt, known=None):
        calls.append(stmt)
        return real(stmt, known)

    source = PROGRAMS["async_with_19"]
    skip_if_cpython_crashes_compiling(source)  # (desugar compiles its input first)
    monkeypatch.setattr(async_with, "_exits_inline", counting)
    monkeypatch.setattr(blocks, "LIMIT", -1)  # every function in the compact shapes
    desugar.translate(source, "program.py")
    assert 19 <= len(calls) <= 19 * 20

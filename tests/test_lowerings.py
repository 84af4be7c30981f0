"""The three lowerings (``--lowering poll|callback|callback-async-stacks``): same results, other stacks.

The frames tests run programs through ``desugar compare``'s worker (a fresh
process each) and check, exactly, the async functions live on the stack when
the failing exception was raised, and the async part that
``callback-async-stacks`` captured: the article's three models. The
corpus runs under each lowering in ``test_corpus.py``.
"""

from __future__ import annotations

import ast
import inspect
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import desugar
from desugar import cache, hook
from desugar.cli import main as cli
from desugar.compare import run_once
from desugar.runtime import _callback

ROOT = Path(__file__).parent.parent
EXAMPLE = ROOT / "examples" / "async_stack_traces.py"
DATA = Path(__file__).parent / "data" / "lowerings"

ARTICLE = {  # (live async frames, youngest first; the captured async part)
    "native": (["blow_up:27", "bar:22", "foo:17"], []),
    "poll": (["blow_up:27", "bar:22", "foo:17"], []),
    "callback": (["blow_up:27"], []),
    "callback-async-stacks": (["blow_up:27"], ["bar:22", "foo:17"]),
}

GATHER = {
    "native": (["fail:8", "branch:12"], []),
    "poll": (["fail:8", "branch:12"], []),
    "callback": (["fail:8"], []),
    "callback-async-stacks": (["fail:8"], ["branch:12"]),
}

SPAWN = {
    "native": (["leaf:8", "worker:13"], []),
    "poll": (["leaf:8", "worker:13"], []),
    "callback": (["leaf:8"], []),
    "callback-async-stacks": (["leaf:8"], ["worker:13"]),
}


@pytest.mark.parametrize("column", list(ARTICLE))
@pytest.mark.parametrize(
    "script, expected, error, output",
    [
        (EXAMPLE, ARTICLE, "RuntimeError: nested async panic!", ""),
        (DATA / "gather_branches.py", GATHER, "ValueError: branch failed", "gather: branch failed\n"),
        (DATA / "spawn_branches.py", SPAWN, "KeyError: 'spawned leaf'", "joined: (2, None)\n"),
    ],
    ids=["article", "gather", "spawn"],
)
def test_frames_at_the_failure(script: Path, expected: dict, error: str, output: str, column: str) -> None:
    seen, stdout = run_once("frames", column, str(script))
    assert seen["error"] == error
    assert (seen["frames"], seen["async"]) == expected[column]
    assert stdout == output


def _load(source: str, lowering: str, name: str = "prog") -> dict:
    """``source`` translated as the import hook compiles it (the original lines), executed."""
    from desugar.compiler import compile_module

    namespace: dict = {"__name__": name}
    exec(compile_module(source, f"{name}.py", mode=desugar.Mode(lowering)), namespace)
    return namespace


DEEP = '''
from desugar.runtime import yield_now

async def down(n):
    if n == 0:
        await yield_now()  # (suspended: resumed from the queue, its awaiters' frames gone)
        raise ValueError("bottom")
    return await down(n - 1)
'''


def test_captured_stack_is_bounded() -> None:
    """30 awaiters deep, the captured stack keeps the 10 youngest (V8's default bound)."""
    from desugar.runtime import block_on

    down = _load(DEEP, "callback-async-stacks")["down"]
    with pytest.raises(ValueError) as caught:
        block_on(down(30))
    stack = caught.value.__desugar_async_stack__
    assert _callback.MAX_DEPTH == 10
    assert len(stack) == 10
    assert [(name, line) for name, _file, line in stack] == [("down", 8)] * 10
    if sys.version_info >= (3, 11):
        assert caught.value.__notes__[0].startswith("async stack (captured at the awaits")
        assert caught.value.__notes__[0].count('line 8, in async down') == 10


def test_callback_captures_nothing() -> None:
    from desugar.runtime import block_on

    down = _load(DEEP, "callback")["down"]
    with pytest.raises(ValueError) as caught:
        block_on(down(5))
    assert "__desugar_async_stack__" not in caught.value.__dict__
    assert not getattr(caught.value, "__notes__", None)


SIGNATURE = '''
async def f(a, /, b, *args, c, d=4, **kw):
    """doc"""
    return (a, b, args, c, d, kw)
'''


@pytest.mark.parametrize("lowering", ["callback", "callback-async-stacks"])
def test_a_callback_coroutine_function_is_a_coroutine_function(lowering: str) -> None:
    import asyncio

    f = _load(SIGNATURE, lowering)["f"]
    assert inspect.iscoroutinefunction(f)
    assert str(inspect.signature(f)) == "(a, /, b, *args, c, d=4, **kw)"
    assert (f.__name__, f.__qualname__, f.__doc__) == ("f", "f", "doc")
    with pytest.raises(TypeError):  # arguments are bound at the call, as natively
        f()
    coro = f(1, 2, 3, c=5, e=6)
    assert inspect.iscoroutine(coro) and coro.__qualname__ == "f"
    assert asyncio.run(coro) == (1, 2, (3,), 5, 4, {"e": 6})
    with pytest.raises(RuntimeError, match="cannot reuse already awaited coroutine"):
        asyncio.run(coro)


CANCEL = '''
import asyncio
log = []
async def inner():
    try:
        await asyncio.sleep(10)
    finally:
        log.append("inner finally")
async def outer():
    try:
        await inner()
    except asyncio.CancelledError:
        log.append("outer cancelled")
        raise
async def main():
    task = asyncio.create_task(outer())
    await asyncio.sleep(0)
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        log.append("main saw it")
    return log
'''


@pytest.mark.parametrize("lowering", ["poll", "callback", "callback-async-stacks"])
def test_cancellation_reaches_the_innermost_await(lowering: str) -> None:
    import asyncio

    native: dict = {}
    exec(CANCEL, native)
    expected = asyncio.run(native["main"]())
    assert expected == ["inner finally", "outer cancelled", "main saw it"]
    assert asyncio.run(_load(CANCEL, lowering)["main"]()) == expected


def test_translate_option() -> None:
    source = "async def f():\n    await g()\n"
    assert "@_ds_rt.callback_fn\n" in desugar.translate(source, lowering="callback")
    assert "@_ds_rt.callback_fn(async_stacks=True)" in desugar.translate(source, lowering="callback-async-stacks")
    assert "_ds_rt.async_fn" in desugar.translate(source, lowering="poll")
    with pytest.raises(ValueError, match="unknown lowering 'js'"):
        desugar.translate(source, lowering="js")
    with pytest.raises(ValueError, match="does not apply to 'callback'"):
        desugar.translate(source, lowering="callback", style="hir")


def test_cli_option(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    path.write_text("async def f():\n    await g()\n")
    runner = CliRunner()
    result = runner.invoke(cli, [str(path), "--lowering", "callback-async-stacks"])
    assert result.exit_code == 0, result.output
    assert "_ds_awaited = _ds_rt.callback_result((yield _ds_rt.callback_await(g())))" in result.output
    result = runner.invoke(cli, [str(path), "--lowering", "callback", "--style", "hir"])
    assert result.exit_code == 2 and "does not apply" in result.output
    result = runner.invoke(cli, [str(path), "--lowering", "nope"])
    assert result.exit_code == 2


def test_hook_option_and_cache(tmp_path: Path) -> None:
    (tmp_path / "cbmod.py").write_text(
        "async def f():\n    return 1\nasync def g():\n    return await f()\n"
    )
    callback = desugar.Mode(lowering="callback")
    assert cache.cache_path(str(tmp_path / "cbmod.py"), callback) != cache.cache_path(str(tmp_path / "cbmod.py"))
    with pytest.raises(ValueError, match="unknown lowering"):
        desugar.install(paths=[tmp_path], lowering="nope")
    sys.path.insert(0, str(tmp_path))
    handle = desugar.install(paths=[tmp_path], lowering="callback")
    try:
        import cbmod  # type: ignore[import-not-found]

        assert cbmod.g.__code__.co_filename == _callback.__file__  # a callback entry
        import asyncio

        assert asyncio.run(cbmod.g()) == 1
    finally:
        handle.uninstall()
        sys.path.remove(str(tmp_path))
        sys.modules.pop("cbmod", None)
    assert cache.cache_key(callback) != cache.cache_key()  # the cache keys on the lowering


def test_run_option() -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, "-m", "desugar", "run", "--lowering", "callback-async-stacks", str(EXAMPLE)],
        env=env, capture_output=True, text=True,
    )
    assert done.returncode == 1
    assert done.stdout == ""
    async_part = done.stderr.split("async stack (captured at the awaits; youngest first):\n", 1)[1]
    assert async_part.splitlines()[:2] == [
        f'  File "{EXAMPLE}", line 22, in async bar',
        f'  File "{EXAMPLE}", line 17, in async foo',
    ]
    done = subprocess.run(
        [sys.executable, "-m", "desugar", "run", "--lowering", "callback", "--style", "hir", str(EXAMPLE)],
        env=env, capture_output=True, text=True,
    )
    assert done.returncode == 2 and "does not apply" in done.stderr


# --------------------------------------------------------------------------
# The callback lowerings run as JavaScript runs (end to end, through `desugar run`)


def desugar_run(lowering: str, script: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "desugar", "run", "--lowering", lowering, str(script)],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=120,
    )


def traceback_frames(stderr: str, script: Path) -> list[tuple[str, int]]:
    """The script's frames in Python's traceback of ``stderr``; every other one is the runtime's."""
    lines = stderr[stderr.index("Traceback (most recent call last):\n"):].splitlines()[1:]
    block = "\n".join(lines[: next(i for i, line in enumerate(lines) if not line.startswith(" "))])
    frames = []
    for filename, line, name in re.findall(r'^  File "(.*)", line (\d+), in (.*)$', block, re.M):
        if filename == str(script):
            frames.append((name, int(line)))
        else:
            assert filename.startswith(str(ROOT / "desugar" / "runtime")), filename
    return frames


def backtrace_rows(stderr: str) -> list[str]:
    """The async backtrace's frame rows (numbers as N; the task lines left out)."""
    block = stderr[stderr.index("stack backtrace:\n") + len("stack backtrace:\n"):]
    rows = []
    for line in block.splitlines():
        if not line.startswith(" "):
            break
        if not line.startswith("      in task"):
            rows.append(re.sub(r"^ +\d+: ", "N: ", line))
    return rows


@pytest.mark.parametrize("lowering", ["callback", "callback-async-stacks"])
def test_the_uncaught_errors_traceback_is_the_lonely_frame(tmp_path: Path, lowering: str) -> None:
    # blow_up raises in a job resumed from the queue: foo and bar are suspended,
    # nowhere on the stack, and rethrowing the error into them adds no frames.
    script = Path(shutil.copy(EXAMPLE, tmp_path / EXAMPLE.name))
    result = desugar_run(lowering, script, tmp_path)
    assert result.returncode == 1
    assert traceback_frames(result.stderr, script) == [("<module>", 39), ("main", 32), ("blow_up", 27)]
    captured = [
        "      async async_stack_traces::bar",
        "             at async_stack_traces.py:22",
        "      async async_stack_traces::foo",
        "             at async_stack_traces.py:17",
    ]
    assert backtrace_rows(result.stderr) == [
        "N: async_stack_traces::blow_up",
        "             at async_stack_traces.py:27",
        *(captured if lowering == "callback-async-stacks" else []),
        "N: async_stack_traces::main",
        "             at async_stack_traces.py:32",
    ]
    tail = result.stderr[result.stderr.index("RuntimeError: nested async panic!\n"):]
    if lowering == "callback":
        assert tail == "RuntimeError: nested async panic!\n"
    else:  # the captured stack, as Firefox prints it: the async frames marked
        assert tail == (
            "RuntimeError: nested async panic!\n"
            "async stack (captured at the awaits; youngest first):\n"
            f'  File "{script}", line 22, in async bar\n'
            f'  File "{script}", line 17, in async foo\n'
        )


CAUGHT = """\
import traceback
from desugar.runtime import block_on, sleep

async def foo():
    try:
        await bar()
    except RuntimeError as error:
        names = [f.name for f in traceback.extract_tb(error.__traceback__)]
        print("caught", error, names)

async def bar():
    await sleep(0.01)
    await blow_up()

async def blow_up():
    await sleep(0.01)
    raise RuntimeError("nested")

block_on(foo())
"""


@pytest.mark.parametrize(
    ("lowering", "frames"),
    [
        ("native", ["foo", "bar", "blow_up"]),
        ("poll", ["foo", "bar", "blow_up"]),
        ("callback", ["foo", "blow_up"]),
        ("callback-async-stacks", ["foo", "blow_up"]),
    ],
)
def test_except_in_an_awaiter_catches_the_error_with_the_stack_it_was_raised_with(
    tmp_path: Path, lowering: str, frames: list[str]
) -> None:
    (tmp_path / "caught.py").write_text(CAUGHT, encoding="utf-8")
    result = desugar_run(lowering, tmp_path / "caught.py", tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("caught nested [")
    names = ast.literal_eval(result.stdout.split(" ", 2)[2])
    assert [name for name in names if name in ("foo", "bar", "blow_up")] == frames
    if lowering.startswith("callback"):  # the awaiter that caught it, and where it was raised
        if sys.version_info < (3, 11) and _callback._FRAMELESS is None:
            # (3.10's pure runtime: its callback_result frame shows, docs/lowerings.md)
            frames = [frames[0], "callback_result", *frames[1:]]
        assert names == frames


STARTS = """\
import inspect
from desugar.runtime import block_on, sleep

def stack():
    return [f.function for f in inspect.stack()[1:] if f.filename == __file__]

async def foo():
    print("foo starts", stack())
    await bar()
    print("foo resumed", stack())

async def bar():
    print("bar starts", stack())
    await sleep(0.01)
    print("bar resumed", stack())

block_on(foo())
"""


@pytest.mark.parametrize("lowering", ["native", "poll", "callback", "callback-async-stacks"])
def test_an_awaited_function_runs_on_its_awaiters_stack_until_it_first_suspends(
    tmp_path: Path, lowering: str
) -> None:
    # As a JavaScript async function called from another: bar starts on top of
    # foo; after its first suspension a job resumes it with nothing below.
    (tmp_path / "starts.py").write_text(STARTS, encoding="utf-8")
    result = desugar_run(lowering, tmp_path / "starts.py", tmp_path)
    assert result.returncode == 0, result.stderr
    callback = lowering.startswith("callback")
    assert result.stdout == (
        "foo starts ['foo', '<module>']\n"
        "bar starts ['bar', 'foo', '<module>']\n"
        + ("bar resumed ['bar', '<module>']\n" if callback else "bar resumed ['bar', 'foo', '<module>']\n")
        + ("foo resumed ['foo', '<module>']\n")
    )


AT_ONCE = """\
from desugar.runtime import block_on

async def foo():
    await bar()

async def bar():
    await blow_up()

async def blow_up():
    raise RuntimeError("at once")

block_on(foo())
"""


@pytest.mark.parametrize("lowering", ["callback", "callback-async-stacks"])
def test_an_error_before_the_first_suspension_has_its_callers_on_the_stack(
    tmp_path: Path, lowering: str
) -> None:
    # Nothing suspended: foo, bar and blow_up ran as one synchronous call, as
    # in JavaScript, so all three are on the stack and nothing was captured.
    script = tmp_path / "at_once.py"
    script.write_text(AT_ONCE, encoding="utf-8")
    result = desugar_run(lowering, script, tmp_path)
    assert result.returncode == 1
    assert traceback_frames(result.stderr, script) == [
        ("<module>", 12), ("foo", 4), ("bar", 7), ("blow_up", 10)
    ]
    assert "\nRuntimeError: at once\n" in result.stderr
    assert "async stack" not in result.stderr

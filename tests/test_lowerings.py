"""The three lowerings (``--lowering poll|callback|callback-async-stacks``): same results, other stacks.

The frames tests run programs through ``desugar compare``'s worker (a fresh
process each) and check, exactly, the async functions live on the stack when
the failing exception was raised, and the async part that
``callback-async-stacks`` captured: the seed article's three models. The
corpus runs under each lowering in ``test_corpus.py``.
"""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import desugar
from desugar import hook
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
    exec(compile_module(source, f"{name}.py", hook.strategy(lowering, None)), namespace)
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
    assert "_ds_awaited = yield _ds_rt.callback_await(g())" in result.output
    result = runner.invoke(cli, [str(path), "--lowering", "callback", "--style", "hir"])
    assert result.exit_code == 2 and "does not apply" in result.output
    result = runner.invoke(cli, [str(path), "--lowering", "nope"])
    assert result.exit_code == 2


def test_hook_option_and_cache(tmp_path: Path) -> None:
    (tmp_path / "cbmod.py").write_text(
        "async def f():\n    return 1\nasync def g():\n    return await f()\n"
    )
    assert hook.cache_path(str(tmp_path / "cbmod.py"), "callback") != hook.cache_path(str(tmp_path / "cbmod.py"))
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
    assert hook._settings("callback") != hook._settings(None)  # the cache keys on the lowering


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

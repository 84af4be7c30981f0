"""A sample of the standard library's async files through bench/codebases.py's checks.

`bench/codebases.py` (run in CI) translates every file with ``async`` in the
standard library and in the third-party sources; this runs its checking
function on a few of the running interpreter's own files, with black and
without, so that every Python version the suite runs on checks them: each
output compiles, translates again unchanged and holds no async construct but
those kept on purpose.
"""

from __future__ import annotations

import sys
import sysconfig
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import codebases  # noqa: E402

STDLIB = Path(sysconfig.get_paths()["stdlib"])

SAMPLE = [
    "asyncio/tasks.py",
    "asyncio/streams.py",
    "asyncio/taskgroups.py" if sys.version_info >= (3, 11) else "asyncio/locks.py",
    "contextlib.py",
    "test/test_coroutines.py",
    "test/test_asyncgen.py",
]


@pytest.mark.parametrize("mode", codebases.MODES)
@pytest.mark.parametrize("name", SAMPLE)
def test_stdlib_file_translates_to_code_that_compiles_and_is_a_fixed_point(name: str, mode: str) -> None:
    path = STDLIB / name
    if not path.exists():  # some distributions leave Lib/test out
        pytest.skip(f"{path} is not installed with this Python")
    (result,) = codebases.check_file(path, [mode])
    assert (result.kind, result.message) == (
        "translated",
        "",
    ), f"{codebases._where(result)}: {result.message}"


def test_check_source_reports_each_kind_of_outcome() -> None:
    """The checks can fail: invalid input, a rejection, no async, a translation."""
    check = codebases.check_source
    assert check("x = 1\n", "a.py", "no-black").kind == "unchanged"
    assert check("import asyncio\n", "a.py", "no-black").kind == "unchanged"
    invalid = check("async def f(:\n", "a.py", "black")
    assert invalid.kind == "not valid Python here" and invalid.line == 1
    rejected = check("async def f():\n    _ds_x = 1\n", "a.py", "no-black")
    assert rejected.kind == "rejected" and rejected.line == 2 and "_ds_" in rejected.message
    ok = check("async def f():\n    return await g()\n", "a.py", "black")
    assert (ok.kind, ok.message) == ("translated", "")


def test_leftover_async_finds_what_a_translation_must_not_keep() -> None:
    import ast

    tree = ast.parse(
        "async def agen():\n"  # an async generator stays native, with its own polls' awaits
        "    await _ds_awaitee\n"
        "    yield 1\n"
        "async def coro():\n"
        "    await x\n"
        "def plain():\n"  # an async generator expression outside a coroutine stays too
        "    return (i async for i in y if await i)\n"
        "@_ds_rt.async_fn\n"
        "def lowered():\n"
        "    return [i async for i in y]\n"
        "    yield\n"
        "@_ds_rt.async_fn\n"  # a sync comprehension of async generators stays sync
        "def kept():\n"
        "    g = ((i async for i in y(j)) for j in z)\n"
        "    h = [(await i for i in j) for j in (await z)]\n"
        "    yield\n"
    )
    assert codebases.leftover_async(tree) == [
        ("AsyncFunctionDef", 4),
        ("Await", 5),
        ("async comprehension", 10),
        ("Await", 15),
    ]

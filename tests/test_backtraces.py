"""`desugar run`'s async backtrace through tasks, task groups and nurseries, and its
faithfulness to ``python``: each program runs under ``python`` itself and under
``desugar run`` (poll-lowered and native), in subprocesses."""

from __future__ import annotations

import asyncio
import builtins
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from desugar.runtime import _awaitee

ROOT = Path(__file__).resolve().parent.parent
LOWERINGS = ["poll", "native"]
#: How Python's traceback names an exception group (3.10: the exceptiongroup backport's).
GROUP = "ExceptionGroup" if hasattr(builtins, "ExceptionGroup") else "exceptiongroup.ExceptionGroup"
NEEDS_TASK_GROUP = pytest.mark.skipif(
    not hasattr(asyncio, "TaskGroup"), reason="asyncio.TaskGroup is new in Python 3.11"
)
#: The entries the awaitee adds to a traceback at each await of the poll lowering: on Python
#: 3.10 the pure runtime's shows between the awaiting frame and the awaited one (3.10's bare
#: `raise` keeps the entry it caught: docs/semantics.md, "Known differences"); the C runtime
#: and 3.11+ add none. The backtrace hides it, as every runtime frame, but numbers the frames
#: as the whole traceback does: there the awaiting frame's number counts it.
AWAITEE_ENTRIES = int(_awaitee.IMPLEMENTATION == "python" and sys.version_info < (3, 11))


def env() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(ROOT))


def python(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=tmp_path, capture_output=True, text=True, env=env(),
        timeout=120,
    )


def desugar_run(tmp_path: Path, *args: str, lowering: str = "poll") -> subprocess.CompletedProcess[str]:
    return python(tmp_path, "-m", "desugar", "run", "--lowering", lowering, *args)


def write(tmp_path: Path, name: str, source: str) -> None:
    (tmp_path / name).write_text(textwrap.dedent(source), encoding="utf-8")


def backtrace_of(result: subprocess.CompletedProcess[str]) -> str:
    """The async backtrace ``desugar run`` printed after Python's traceback."""
    _, found, rest = result.stderr.partition("task panicked at ")
    assert found, result.stderr
    return found + rest


def assert_python_then_backtrace(
    tmp_path: Path, script: str, *args: str
) -> tuple[str, str]:
    """Natively, ``desugar run`` prints exactly what ``python`` prints, then the backtrace;
    the poll lowering prints the same backtrace. Returns it."""
    native = python(tmp_path, script, *args)
    ran = desugar_run(tmp_path, script, *args, lowering="native")
    assert ran.returncode == native.returncode == 1
    assert ran.stdout == native.stdout
    assert ran.stderr.startswith(native.stderr), ran.stderr
    shown = ran.stderr[len(native.stderr):]
    poll = desugar_run(tmp_path, script, *args)
    assert poll.returncode == 1
    return shown, backtrace_of(poll)


# --- item 1: backtraces through tasks ---------------------------------------------

TASK_GROUP = """\
import asyncio


async def parse(text):
    await asyncio.sleep(0.01)
    raise ValueError(f"bad record: {text!r}")


async def load(name):
    await asyncio.sleep(0)
    return await parse(name)


async def main():
    async with asyncio.TaskGroup() as group:
        group.create_task(load("a"), name="loader")
        group.create_task(asyncio.sleep(1))


asyncio.run(main())
"""


@NEEDS_TASK_GROUP
def test_task_group_worker_backtrace_shows_its_chain_its_task_and_the_receiving_task(
    tmp_path: Path,
) -> None:
    write(tmp_path, "tg.py", TASK_GROUP)
    native, poll = assert_python_then_backtrace(tmp_path, "tg.py")
    expected = (
        "task panicked at 'ExceptionGroup: unhandled errors in a TaskGroup (1 sub-exception)', "
        "tg.py:15\n"
        "└─ 1 of 1: ValueError: bad record: 'a', at tg.py:6\n"
        "   stack backtrace:\n"
        "      0: tg::parse\n"
        "                at tg.py:6\n"
        "      1: tg::load\n"
        "                at tg.py:11\n"
        "         in task 'loader' tg::load, spawned at tg.py:16 in tg::main\n"
        "stack backtrace:\n"
        "   1: tg::main\n"
        "             at tg.py:15\n"
        "      in task 'Task-1' tg::main, spawned at tg.py:20 in tg::<module>\n"
    )
    for shown in (native, poll):
        assert shown.startswith(expected), shown
        assert shown.endswith("tg::<module>\n             at tg.py:20\n"), shown
        assert "asyncio" not in shown  # the driver's frames are left out


NURSERIES = """\
import trio


async def parse(text):
    await trio.sleep(0.01 if text == "a" else 0)
    raise ValueError(f"bad record: {text!r}")


async def load(name):
    await trio.sleep(0)
    return await parse(name)


async def inner():
    async with trio.open_nursery() as nursery:
        nursery.start_soon(load, "b")


async def main():
    async with trio.open_nursery() as nursery:
        nursery.start_soon(load, "a")
        nursery.start_soon(inner)


trio.run(main)
"""


def test_nested_trio_nurseries_nest_in_the_backtrace(tmp_path: Path) -> None:
    pytest.importorskip("trio", reason="the trio driver is an optional test dependency")
    write(tmp_path, "nested.py", NURSERIES)
    native, poll = assert_python_then_backtrace(tmp_path, "nested.py")
    for shown, load in ((native, 1), (poll, 1 + AWAITEE_ENTRIES)):
        leaf = (
            "      stack backtrace:\n"
            "         0: nested::parse\n"
            "                   at nested.py:6\n"
            f"         {load}: nested::load\n"
            "                   at nested.py:11\n"
            "            in task nested::load, spawned at nested.py:16 in nested::inner\n"
        )
        lines = shown.splitlines(keepends=True)
        assert lines[0] == (
            f"task panicked at '{GROUP}: Exceptions from Trio nursery (1 sub-exception)', "
            "nested.py:20\n"
        ), shown
        assert lines[1] == (
            f"└─ 1 of 1: {GROUP}: Exceptions from Trio nursery (1 sub-exception), "
            "at nested.py:15\n"
        )
        assert lines[2] == "   └─ 1 of 1: ValueError: bad record: 'b', at nested.py:6\n"
        assert "".join(lines[3:9]) == leaf, shown
        assert lines[9] == "   stack backtrace:\n"
        assert lines[10].endswith(": nested::inner\n") and lines[11] == "                at nested.py:15\n"
        assert lines[12] == "         in task nested::inner, spawned at nested.py:22 in nested::main\n"
        assert lines[13] == "stack backtrace:\n"
        assert lines[14].endswith(": nested::main\n") and lines[15] == "             at nested.py:20\n"
        assert lines[16] == "      in task nested::main, spawned at nested.py:25 in nested::<module>\n"
        assert "trio" not in "".join(lines[3:]).replace("Trio nursery", "")


NAMED_TRIO = """\
import trio


async def parse(n):
    await trio.sleep(0.01 * n)
    if n == 2:
        raise ValueError(f"bad item {n}")


async def main():
    async with trio.open_nursery() as nursery:
        for n in range(3):
            nursery.start_soon(parse, n, name=f"worker-{n}")


trio.run(main)
"""


def test_a_trio_task_named_by_the_program_is_shown_by_that_name(tmp_path: Path) -> None:
    """As asyncio's are: ``'worker-2' named::parse``; a task trio names after its
    function is shown by the function alone (the test above)."""
    pytest.importorskip("trio", reason="the trio driver is an optional test dependency")
    write(tmp_path, "named.py", NAMED_TRIO)
    native, poll = assert_python_then_backtrace(tmp_path, "named.py")
    for shown in (native, poll):
        assert "in task 'worker-2' named::parse, spawned at named.py:13 in named::main\n" in shown, shown
        assert "in task named::main, spawned at named.py:16 in named::<module>\n" in shown, shown


ANYIO = """\
import sys

import anyio


async def parse(text):
    await anyio.sleep(0.01)
    raise ValueError(text)


async def load(name):
    return await parse(name)


async def main():
    async with anyio.create_task_group() as group:
        group.start_soon(load, "a")


anyio.run(main, backend=sys.argv[1])
"""


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_anyio_task_group_backtrace_names_the_failing_task(tmp_path: Path, backend: str) -> None:
    pytest.importorskip("anyio", reason="anyio is an optional test dependency")
    pytest.importorskip(backend, reason=f"the {backend} driver is an optional test dependency")
    if backend == "asyncio" and not hasattr(asyncio, "TaskGroup"):
        pytest.skip("anyio raises an exception group natively on 3.11+ only (3.10: the backport)")
    write(tmp_path, "tasks.py", ANYIO)
    native, poll = assert_python_then_backtrace(tmp_path, "tasks.py", backend)
    for shown, load in ((native, 1), (poll, 1 + AWAITEE_ENTRIES)):
        lines = shown.splitlines()
        assert lines[1] == "└─ 1 of 1: ValueError: a, at tasks.py:8", shown
        assert lines[3:7] == [
            "      0: tasks::parse",
            "                at tasks.py:8",
            f"      {load}: tasks::load",
            "                at tasks.py:12",
        ], shown
        assert lines[7] == "         in task '__main__.load', spawned at tasks.py:17 in tasks::main"
        assert lines[8] == "stack backtrace:"
        assert lines[10] == "             at tasks.py:16"


GATHER = """\
import asyncio


async def parse(key):
    await asyncio.sleep(0)
    raise KeyError(key)


async def load(name):
    return await parse(name)


async def main():
    await asyncio.gather(load("missing-key"), asyncio.sleep(0.1))


asyncio.run(main())
"""


def test_gather_failure_names_the_failing_task_and_its_chain(tmp_path: Path) -> None:
    write(tmp_path, "gathered.py", GATHER)
    native, poll = assert_python_then_backtrace(tmp_path, "gathered.py")
    for shown, load in ((native, 1), (poll, 1 + AWAITEE_ENTRIES)):
        lines = shown.splitlines()
        assert lines[:6] == [
            "task panicked at \"KeyError: 'missing-key'\", gathered.py:6",  # quoted as repr would
            "stack backtrace:",
            "   0: gathered::parse",
            "             at gathered.py:6",
            f"   {load}: gathered::load",
            "             at gathered.py:10",
        ], shown
        assert lines[6] == (
            "      in task 'Task-2' gathered::load, spawned at gathered.py:14 in gathered::main"
        )
        assert lines[7].endswith(": gathered::main") and lines[8] == "             at gathered.py:14"
        assert lines[9] == (
            "      in task 'Task-1' gathered::main, spawned at gathered.py:17 in gathered::<module>"
        )


JOIN_HANDLE = """\
from desugar.runtime import block_on, sleep, spawn


async def parse(text):
    await sleep(0.01)
    raise KeyError(text)


async def load(name):
    return await parse(name)


async def main():
    handle = spawn(load("a"))
    await handle


block_on(main())
"""


def test_join_handle_failure_names_the_spawned_task_and_its_chain(tmp_path: Path) -> None:
    write(tmp_path, "joined.py", JOIN_HANDLE)
    native, poll = assert_python_then_backtrace(tmp_path, "joined.py")
    for shown, load in ((native, 1), (poll, 1 + AWAITEE_ENTRIES)):
        lines = shown.splitlines()
        assert lines[0] == "task panicked at \"KeyError: 'a'\", joined.py:6"
        assert [line.strip() for line in lines[2:]] == [
            "0: joined::parse", "at joined.py:6",
            f"{load}: joined::load", "at joined.py:10",
            "in task joined::load, spawned at joined.py:14 in joined::main",
            lines[7].strip(), "at joined.py:15",
            "in task joined::main, spawned at joined.py:18 in joined::<module>",
            lines[10].strip(), "at joined.py:18",
        ], shown
        assert lines[7].endswith(": joined::main") and lines[10].endswith(": joined::<module>")


EXCEPT_STAR = """\
import asyncio


async def fail(kind, text):
    await asyncio.sleep(0)
    raise kind(text)


async def main():
    try:
        async with asyncio.TaskGroup() as group:
            group.create_task(fail(ValueError, "kept"), name="value")
            group.create_task(fail(KeyError, "handled"), name="key")
    except* KeyError:
        print("KeyError handled")


asyncio.run(main())
"""


@NEEDS_TASK_GROUP
def test_what_except_star_reraises_keeps_its_tasks(tmp_path: Path) -> None:
    write(tmp_path, "star.py", EXCEPT_STAR)
    native, poll = assert_python_then_backtrace(tmp_path, "star.py")
    for shown in (native, poll):
        lines = shown.splitlines()
        assert lines[0].startswith(
            "task panicked at 'ExceptionGroup: unhandled errors in a TaskGroup (1 sub-exception)'"
        ), shown
        assert lines[1] == "└─ 1 of 1: ValueError: kept, at star.py:6"
        assert lines[3:6] == ["      0: star::fail", "                at star.py:6",
                              "         in task 'value' star::fail, spawned at star.py:12 in star::main"]
        assert "in task 'Task-1' star::main, spawned at star.py:18 in star::<module>" in shown


# --- item 2: desugar run prints what python prints ---------------------------------

SAME_AS_PYTHON = {
    "syntax_error": ({"main.py": "x = 1\ndef (\n"}, 1),
    "syntax_error_in_import": (
        {"main.py": "import broken\n", "broken.py": "async def f():\n    pass\ndef (\n"}, 1
    ),
    "import_error": ({"main.py": "import no_such_module_here\n"}, 1),
    "error_at_import": (
        {"main.py": "import raising\n", "raising.py": "async def f(): pass\nraise ValueError('x')\n"},
        1,
    ),
    "module_level_json_error": ({"main.py": "import json\njson.loads('{')\n"}, 1),
    "key_error_quoting": ({"main.py": "d = {}\nd['missing-key']\n"}, 1),
    "sys_exit_status": ({"main.py": "import sys\nprint('out')\nsys.exit(3)\n"}, 3),
    "sys_exit_message": ({"main.py": "import sys\nsys.exit('bye')\n"}, 1),
    "error_in_async_code_outside_a_task": (
        {"main.py": "async def f():\n    raise KeyError('k')\nf().send(None)\n"}, 1
    ),
    "keyboard_interrupt_raised": ({"main.py": "raise KeyboardInterrupt\n"}, -signal.SIGINT),
    "system_exit_in_a_task": (
        {"main.py": "import asyncio, sys\nasync def m():\n    sys.exit(4)\nasyncio.run(m())\n"}, 4
    ),
}


@pytest.mark.parametrize("lowering", LOWERINGS)
@pytest.mark.parametrize("case", sorted(SAME_AS_PYTHON))
def test_desugar_run_prints_and_exits_as_python_does(tmp_path: Path, case: str, lowering: str) -> None:
    files, status = SAME_AS_PYTHON[case]
    for name, source in files.items():
        write(tmp_path, name, source)
    expected = python(tmp_path, "main.py")
    assert expected.returncode == status, expected.stderr
    result = desugar_run(tmp_path, "main.py", lowering=lowering)
    assert (result.returncode, result.stdout, result.stderr) == (
        expected.returncode, expected.stdout, expected.stderr
    )


def test_the_quick_start_example_prints_its_backtrace_once(tmp_path: Path) -> None:
    result = python(tmp_path, "-m", "desugar", "run", str(ROOT / "examples" / "async_stack_traces.py"))
    assert result.returncode == 1
    assert result.stderr.count("task panicked at ") == 1, result.stderr
    assert result.stderr.rstrip().endswith("RuntimeError: nested async panic!")


SLEEPER = """\
import asyncio
import atexit

atexit.register(lambda: print("atexit ran", flush=True))


async def wait():
    print("ready", flush=True)
    await asyncio.sleep(30)


asyncio.run(wait())
"""


@pytest.mark.skipif(os.name != "posix", reason="SIGINT to a child process is POSIX's")
@pytest.mark.parametrize("lowering", LOWERINGS)
def test_ctrl_c_ends_desugar_run_by_sigint_as_python(tmp_path: Path, lowering: str) -> None:
    write(tmp_path, "sleeper.py", SLEEPER)

    def interrupted(command: list[str]) -> tuple[int, str, str]:
        child = subprocess.Popen(
            command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=env(),
            # (a shell's background job ignores SIGINT, and its children inherit that)
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        assert child.stdout is not None
        assert child.stdout.readline() == "ready\n"
        time.sleep(0.2)
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=60)
        return child.returncode, "ready\n" + out, err

    expected = interrupted([sys.executable, "sleeper.py"])
    assert expected[0] == -signal.SIGINT
    ran = interrupted([sys.executable, "-m", "desugar", "run", "--lowering", lowering, "sleeper.py"])
    assert ran == expected


@NEEDS_TASK_GROUP
def test_under_the_callback_lowering_a_worker_shows_its_lonely_frame_and_its_task(
    tmp_path: Path,
) -> None:
    write(tmp_path, "tg.py", TASK_GROUP)
    result = desugar_run(tmp_path, "tg.py", lowering="callback")
    assert result.returncode == 1
    lines = backtrace_of(result).splitlines()
    assert lines[1:6] == [
        "└─ 1 of 1: ValueError: bad record: 'a', at tg.py:6",
        "   stack backtrace:",
        "      0: tg::parse",  # (JavaScript's model: load and main are suspended, not on the stack)
        "                at tg.py:6",
        "         in task 'loader' load, spawned at tg.py:16 in tg::main",
    ], result.stderr

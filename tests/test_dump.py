"""Task dumps: `desugar.backtrace.dump_tasks`, ``desugar run --dump-on`` and ``--dump-on-hang``.

Most programs here hang for good and are run as a user would, under
``desugar run --dump-on-hang``; each is also run untranslated (the same
handler armed by hand) and the two dumps must be the same, character for
character: a walk of translated chains finds what a walk of native ones does.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
import trio

import desugar.run
from desugar import backtrace, hook
from desugar.runtime import Future, Pending, Ready, block_on, spawn

ROOT = Path(__file__).resolve().parent.parent
HANG = 1.0  # seconds a hung program gets before its dump
SLOW_IMPORT = 3.0  # for programs that import trio (a second, on a busy machine)
# How asyncio.Event.wait is named: 3.10's code objects have no qualified name.
EVENT_WAIT = "asyncio.locks::Event::wait" if sys.version_info >= (3, 11) else "asyncio.locks::wait"

EXECUTOR_HANG = """\
from desugar.runtime import Future, Pending, block_on, join, spawn

class Event(Future):
    # Never set: whoever awaits it waits for good.
    def poll(self, cx):
        return Pending

async def wait_for_event(event):
    await event  # waits here

async def worker(event):
    await wait_for_event(event)

async def main():
    event = Event()
    handle = spawn(worker(event))
    await join(wait_for_event(event), handle)

print("started")
block_on(main())
"""

EXECUTOR_COMBINATORS = """\
from desugar.runtime import Future, Pending, block_on, select, sleep, timeout

class Event(Future):
    def poll(self, cx):
        return Pending

async def wait_for_event(event):
    await event

async def main():
    await select(timeout(wait_for_event(Event()), 3600), sleep(3600))

block_on(main())
"""

ASYNCIO_HANG = """\
import asyncio

async def wait_for_event(event):
    await event.wait()  # waits here

async def main():
    event = asyncio.Event()
    task = asyncio.create_task(wait_for_event(event), name="waiter")
    await asyncio.gather(wait_for_event(event), task)

print("started")
asyncio.run(main())
"""

ASYNCIO_TASK_GROUP = """\
import asyncio

async def wait_for_event(event):
    await event.wait()

async def album(event):
    async with asyncio.TaskGroup() as group:
        group.create_task(wait_for_event(event), name="track 1")
        group.create_task(wait_for_event(event), name="track 2")

async def main():
    await asyncio.create_task(album(asyncio.Event()), name="album")

asyncio.run(main())
"""

ASYNCIO_CYCLE = """\
import asyncio

async def first():
    await tasks["second"]

async def second():
    await tasks["first"]

async def main():
    tasks["first"] = asyncio.create_task(first(), name="first")
    tasks["second"] = asyncio.create_task(second(), name="second")
    await tasks["first"]

tasks = {}
asyncio.run(main())
"""

TRIO_HANG = """\
import trio

async def wait_for_event(event):
    await event.wait()  # waits here

async def main():
    event = trio.Event()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(wait_for_event, event)
        nursery.start_soon(wait_for_event, event, name="second")

trio.run(main)
"""

NATIVE_PART = """\
async def relay(awaitable):
    return await awaitable
"""

MIXED = """\
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "nat"))
import native_part
from desugar.runtime import Future, Pending, block_on, is_translated

class Event(Future):
    def poll(self, cx):
        return Pending

async def wait_for_event(event):
    await event

async def main():
    await native_part.relay(wait_for_event(Event()))

print(is_translated(native_part.relay), is_translated(main), flush=True)
block_on(main())
"""

PROGRAMS = {
    "executor": EXECUTOR_HANG,
    "executor_combinators": EXECUTOR_COMBINATORS,
    "asyncio": ASYNCIO_HANG,
    "asyncio_cycle": ASYNCIO_CYCLE,
    "trio": TRIO_HANG,
    "mixed": MIXED,
}
if sys.version_info >= (3, 11):
    PROGRAMS["asyncio_task_group"] = ASYNCIO_TASK_GROUP

NATIVE_RUNNER = (
    "import runpy, sys; import desugar.run as run; sys.path[0] = '.'; sys.argv = ['prog.py']; "
    "run.dump_on_hang({seconds}); runpy.run_path('prog.py', run_name='__main__')"
)


def env() -> dict[str, str]:
    """The child's environment: this worktree's desugar first."""
    return dict(os.environ, PYTHONPATH=str(ROOT))


def write_program(tmp_path: Path, source: str) -> Path:
    app = tmp_path / "app"
    app.mkdir(exist_ok=True)
    (app / "prog.py").write_text(source)
    if source is MIXED:
        (tmp_path / "nat").mkdir(exist_ok=True)
        (tmp_path / "nat" / "native_part.py").write_text(NATIVE_PART)
    return app


def run_hung(
    tmp_path: Path, source: str, *, native: bool = False, seconds: float = HANG,
    options: tuple[str, ...] = (),
) -> subprocess.CompletedProcess[str]:
    """Run ``source`` as ``app/prog.py`` with a dump after ``seconds``, translated or not."""
    app = write_program(tmp_path, source)
    if "import trio" in source:
        seconds = max(seconds, SLOW_IMPORT)
    if native:
        args = ["-c", NATIVE_RUNNER.format(seconds=seconds)]
    else:
        args = ["-m", "desugar", "run", "--dump-on-hang", f"{seconds:g}", *options, "prog.py"]
    return subprocess.run(
        [sys.executable, *args], cwd=app, env=env(), capture_output=True, text=True, timeout=120
    )


def line_of(source: str, text: str) -> int:
    """The line number of the one line of ``source`` that contains ``text``."""
    (number,) = [i for i, line in enumerate(source.splitlines(), 1) if text in line]
    return number


def headings(dump: str) -> list[str]:
    """The lines of a ``desugar run`` dump that name drivers and tasks (no frames), normalized."""
    return [
        line for line in normalized(dump).splitlines()
        if not line.startswith("desugar run:") and not re.match(r"[\s│]*\d+: ", line)
    ]


def normalized(dump: str) -> str:
    """``dump`` with what depends on the Python version (stdlib paths and lines) replaced."""
    dump = re.sub(r"at /\S*/(asyncio|trio)/(\S+?):\d+", r"at \1/\2:N", dump)
    return re.sub(r"'Task-\d+'", "'Task-N'", dump)


# --- a hung program: its dump, then exit 124 ----------------------------------


def test_executor_program_hung_on_an_event_dumps_the_line_it_waits_on_and_exits_124(
    tmp_path: Path,
) -> None:
    result = run_hung(tmp_path, EXECUTOR_HANG)
    waits = line_of(EXECUTOR_HANG, "# waits here")
    assert result.returncode == desugar.run.EXIT_HUNG == 124, result.stderr
    assert result.stdout == "started\n"  # the program's buffered output is kept
    assert result.stderr == textwrap.dedent(f"""\
        desugar run: still running after 1 s (--dump-on-hang), its tasks:
        desugar executor on thread MainThread: 2 tasks
        task 1 prog::main, awaiting join() of 2 futures
            1: prog::main at prog.py:{line_of(EXECUTOR_HANG, "await join(")}
          ├─ join() future 0, awaiting prog::Event
          │      1: prog::wait_for_event at prog.py:{waits}
          └─ join() future 1, awaiting a JoinHandle
               └─ task 2 prog::worker (awaited through its JoinHandle), awaiting prog::Event
                      1: prog::wait_for_event at prog.py:{waits}
                      2: prog::worker at prog.py:{line_of(EXECUTOR_HANG, "await wait_for_event(")}
        desugar run: exiting with status 124
        """)


def test_asyncio_program_hung_on_an_event_dumps_the_line_it_waits_on_and_exits_124(
    tmp_path: Path,
) -> None:
    result = run_hung(tmp_path, ASYNCIO_HANG)
    waits = line_of(ASYNCIO_HANG, "# waits here")
    assert result.returncode == 124, result.stderr
    assert result.stdout == "started\n"
    assert normalized(result.stderr) == textwrap.dedent(f"""\
        desugar run: still running after 1 s (--dump-on-hang), its tasks:
        asyncio loop on thread MainThread: 3 tasks
        task 1 'Task-N' prog::main, awaiting gather() of 2 tasks
            0: prog::main at prog.py:{line_of(ASYNCIO_HANG, "await asyncio.gather(")}
          ├─ task 2 'Task-N' prog::wait_for_event (awaited through gather()), awaiting an asyncio Future
          │      0: {EVENT_WAIT} at asyncio/locks.py:N
          │      1: prog::wait_for_event at prog.py:{waits}
          └─ task 3 'waiter' prog::wait_for_event (awaited through gather()), awaiting an asyncio Future
                 0: {EVENT_WAIT} at asyncio/locks.py:N
                 1: prog::wait_for_event at prog.py:{waits}
        desugar run: exiting with status 124
        """)


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_dump_of_the_translated_program_is_the_native_programs(tmp_path: Path, name: str) -> None:
    source = PROGRAMS[name]
    ours = run_hung(tmp_path, source)
    native = run_hung(tmp_path, source, native=True)
    assert ours.returncode == native.returncode == 124, ours.stderr + native.stderr
    assert ours.stderr == native.stderr
    assert "prog.py:" in ours.stderr


def test_a_mixed_chain_shows_native_and_translated_frames(tmp_path: Path) -> None:
    result = run_hung(tmp_path, MIXED)
    assert result.stdout == "False True\n"  # relay is native, main translated
    assert result.stderr.splitlines()[2:6] == [
        "task 1 prog::main, awaiting prog::Event",
        f"    1: prog::wait_for_event at prog.py:{line_of(MIXED, '    await event')}",
        f"    2: native_part::relay at {tmp_path / 'app' / '..' / 'nat' / 'native_part.py'}:2",
        f"    3: prog::main at prog.py:{line_of(MIXED, 'await native_part.relay(')}",
    ]


def test_select_and_timeout_show_the_futures_they_poll(tmp_path: Path) -> None:
    result = run_hung(tmp_path, EXECUTOR_COMBINATORS)
    assert result.stderr.splitlines()[1:-1] == [
        "desugar executor on thread MainThread: 1 task",
        "task 1 prog::main, awaiting select() of 2 futures",
        f"    1: prog::main at prog.py:{line_of(EXECUTOR_COMBINATORS, 'await select(')}",
        "  ├─ select() future 0, awaiting timeout(..., 3600)",
        "  │    └─ timeout() future, awaiting prog::Event",
        f"  │           1: prog::wait_for_event at prog.py:{line_of(EXECUTOR_COMBINATORS, '    await event')}",
        "  └─ select() future 1, awaiting sleep(3600)",
    ]


@pytest.mark.skipif(sys.version_info < (3, 11), reason="asyncio.TaskGroup is new in 3.11")
def test_task_group_tasks_are_children_of_the_task_in_its_async_with(tmp_path: Path) -> None:
    result = run_hung(tmp_path, ASYNCIO_TASK_GROUP)
    lines = normalized(result.stderr).splitlines()
    album = line_of(ASYNCIO_TASK_GROUP, "async with asyncio.TaskGroup()")
    assert headings(result.stderr) == [
        "asyncio loop on thread MainThread: 4 tasks",
        "task 1 'Task-N' prog::main, awaiting task 'album'",
        "  └─ task 2 'album' prog::album (awaited), awaiting its TaskGroup's 2 tasks",
        "       ├─ task 3 'track 1' prog::wait_for_event (in its TaskGroup), awaiting an asyncio Future",
        "       └─ task 4 'track 2' prog::wait_for_event (in its TaskGroup), awaiting an asyncio Future",
    ]
    assert f"         1: prog::album at prog.py:{album}" in lines


def test_an_await_cycle_shows_each_task_once(tmp_path: Path) -> None:
    result = run_hung(tmp_path, ASYNCIO_CYCLE)
    assert headings(result.stderr) == [
        "asyncio loop on thread MainThread: 3 tasks",
        "task 1 'Task-N' prog::main, awaiting task 'first'",
        "  └─ task 2 'first' prog::first (awaited), awaiting task 'second'",
        "       └─ task 3 'second' prog::second (awaited), awaiting task 'first'",
        "            └─ task 2 'first' prog::first (awaited), shown above",
    ]


def test_trio_tasks_show_their_chains_under_the_task_of_their_nursery(tmp_path: Path) -> None:
    result = run_hung(tmp_path, TRIO_HANG)
    waits = line_of(TRIO_HANG, "# waits here")
    lines = normalized(result.stderr).splitlines()
    assert result.returncode == 124, result.stderr
    tasks = headings(result.stderr)
    assert tasks == [
        "trio run on thread MainThread: 3 tasks",  # (not trio's own tasks)
        "task 1 '__main__.main', awaiting its nursery's 2 tasks",
        "  ├─ task 2 '__main__.wait_for_event' (in its nursery)",
        "  └─ task 3 'second' (in its nursery)",
    ]
    main = lines.index(tasks[1])
    assert lines[main + 1 :].count(f"         3: prog::wait_for_event at prog.py:{waits}") == 1
    assert f"  │      3: prog::wait_for_event at prog.py:{waits}" in lines
    assert any(
        re.fullmatch(rf"\s+\d+: prog::main at prog.py:{line_of(TRIO_HANG, 'open_nursery')}", line)
        for line in lines
    )
    event_wait = EVENT_WAIT.replace("asyncio.locks", "trio._sync")
    assert f"  │      2: {event_wait} at trio/_sync.py:N" in lines


def test_a_program_that_finishes_in_time_gets_no_dump(tmp_path: Path) -> None:
    result = run_hung(tmp_path, "import sys\nprint('done')\nsys.exit(3)\n", seconds=30)
    assert (result.returncode, result.stdout, result.stderr) == (3, "done\n", "")


def test_a_main_thread_deaf_to_the_alarm_is_dumped_by_faulthandler(tmp_path: Path) -> None:
    source = (
        "import signal, time\n"
        "signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})\n"
        "time.sleep(60)\n"
    )
    result = run_hung(tmp_path, source, seconds=0.2)
    assert result.returncode == 1
    assert result.stderr.startswith("Timeout (0:00:02.200000)!\n"), result.stderr
    assert 'prog.py", line 3 in <module>' in result.stderr


def test_dump_on_hang_refuses_a_time_that_is_not_positive(tmp_path: Path) -> None:
    result = run_hung(tmp_path, "pass\n", options=("--dump-on-hang", "0"))
    assert result.returncode == 2
    assert "Invalid value for '--dump-on-hang'" in result.stderr


# --- --dump-on SIGNAL: a dump, and the program goes on ------------------------

# Each program says "ready" from a thread started where its task waits (once
# that task is suspended: the thread waits for the GIL it holds until then),
# and goes on when a line arrives on stdin.
SIGNALLED = {
    "executor": """\
import sys, threading
from desugar.runtime import Future, Pending, Ready, block_on

def ready_then_read(event):
    print("ready", flush=True)
    sys.stdin.readline()
    event.set()

class Event(Future):
    def __init__(self):
        self.is_set, self.wakers = False, []
    def set(self):
        self.is_set = True
        for waker in self.wakers:
            waker.wake()
    def poll(self, cx):
        if self.is_set:
            return Ready(None)
        self.wakers.append(cx.waker().clone())
        if len(self.wakers) == 1:
            threading.Thread(target=ready_then_read, args=(self,), daemon=True).start()
        return Pending

async def wait_for_event(event):
    await event  # waits here

block_on(wait_for_event(Event()))
print("done")
""",
    "asyncio": """\
import asyncio, sys

def ready_then_read():
    print("ready", flush=True)
    sys.stdin.readline()

async def wait_for_line():
    await asyncio.get_running_loop().run_in_executor(None, ready_then_read)  # waits here

asyncio.run(wait_for_line())
print("done")
""",
    "trio": """\
import sys, trio

def ready_then_read():
    print("ready", flush=True)
    sys.stdin.readline()

async def wait_for_line():
    await trio.to_thread.run_sync(ready_then_read)  # waits here

async def main():
    await wait_for_line()

trio.run(main)
print("done")
""",
}


@pytest.mark.parametrize("driver", sorted(SIGNALLED))
def test_dump_on_sigusr1_prints_the_tasks_and_the_program_goes_on(
    tmp_path: Path, driver: str
) -> None:
    source = SIGNALLED[driver]
    app = write_program(tmp_path, source)
    proc = subprocess.Popen(
        [sys.executable, "-m", "desugar", "run", "--dump-on", "SIGUSR1", "prog.py"],
        cwd=app, env=env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )
    killer = threading.Timer(60, proc.kill)  # (a dump that never comes fails, not hangs)
    killer.start()
    try:
        assert proc.stdout.readline() == "ready\n"
        proc.send_signal(signal.SIGUSR1)
        wanted = re.compile(rf"\s+\d+: prog::wait_for_\w+ at prog.py:{line_of(source, '# waits')}")
        dump = []
        while not dump or not wanted.fullmatch(dump[-1]):
            line = proc.stderr.readline()
            assert line, "".join(dump)
            dump.append(line.rstrip("\n"))
        stdout, stderr = proc.communicate("go\n", timeout=60)
    finally:
        killer.cancel()
        proc.kill()
        proc.wait()
    assert dump[0] == "desugar run: SIGUSR1: the program's tasks:"
    driver_line = {"executor": "desugar executor", "asyncio": "asyncio loop", "trio": "trio run"}
    assert dump[1].startswith(f"{driver_line[driver]} on thread MainThread: ")
    assert (proc.returncode, stdout, stderr) == (0, "done\n", "")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("SIGKILL", "SIGKILL cannot be caught; use SIGUSR1, SIGUSR2 or SIGQUIT"),
        ("stop", "SIGSTOP cannot be caught; use SIGUSR1, SIGUSR2 or SIGQUIT"),
        ("SIGALRM", "SIGALRM is what --dump-on-hang uses; use SIGUSR1, SIGUSR2 or SIGQUIT"),
        ("SIGINT", "SIGINT stops the program (Ctrl-C): taken for dumps, Ctrl-C would no longer "
         "stop it; use SIGUSR1, SIGUSR2 or SIGQUIT"),
        (str(int(signal.SIGTERM)), "SIGTERM stops the program (kill): taken for dumps, kill would "
         "no longer stop it; use SIGUSR1, SIGUSR2 or SIGQUIT"),
        ("SIGSEGV", "SIGSEGV is a fault of the program itself: a dump cannot resume it; use "
         "SIGUSR1, SIGUSR2 or SIGQUIT"),
        ("NOPE", "'NOPE' is not a signal (try SIGUSR1)"),
    ],
)
def test_dump_on_refuses_what_it_cannot_handle(tmp_path: Path, value: str, message: str) -> None:
    result = run_hung(tmp_path, "open('ran', 'w').close()\n", options=("--dump-on", value))
    assert result.returncode == 2
    assert f"Invalid value for '--dump-on': {message}" in " ".join(result.stderr.split())
    assert not list(tmp_path.rglob("ran"))  # refused before the program ran


@pytest.mark.parametrize("value", ["SIGUSR2", "usr2", str(int(signal.SIGUSR2))])
def test_dump_on_takes_a_signal_by_name_or_number(tmp_path: Path, value: str) -> None:
    app = write_program(
        tmp_path, "import os, signal\nos.kill(os.getpid(), signal.SIGUSR2)\nprint('on')\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "desugar", "run", "--dump-on", value, "prog.py"],
        cwd=app, env=env(), capture_output=True, text=True, timeout=120,
    )
    assert (result.returncode, result.stdout) == (0, "on\n")
    assert result.stderr == (
        "desugar run: SIGUSR2: the program's tasks:\n"
        "no desugar executor, asyncio loop or trio run is running on thread MainThread\n"
    )


# --- dump_tasks called by the program itself ----------------------------------


class Event(Future):
    """A leaf future, ready once set (from the executor's thread)."""

    def __init__(self) -> None:
        self.is_set = False
        self.wakers: list = []

    def set(self) -> None:
        self.is_set = True
        for waker in self.wakers:
            waker.wake()

    def poll(self, cx):  # type: ignore[no-untyped-def]
        if self.is_set:
            return Ready(None)
        self.wakers.append(cx.waker().clone())
        return Pending


CALLER = """\
import asyncio
from desugar.backtrace import format_tasks
from desugar.runtime import sleep, spawn, block_on

async def waiter(event):
    await event

async def report(dumps):
    dumps.append(format_tasks())  # dumps here

async def main(event, dumps):
    handle = spawn(waiter(event))
    await sleep(0.01)
    await report(dumps)
    event.set()
    await handle
"""


@pytest.mark.parametrize("translated", [False, True], ids=["native", "translated"])
def test_the_calling_task_is_shown_running_at_the_call(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, translated: bool
) -> None:
    monkeypatch.chdir(tmp_path)  # (paths are shown relative to the current directory)
    path = tmp_path / "caller.py"
    path.write_text(CALLER)
    code = hook.translated_code(CALLER.encode(), str(path)) if translated else None
    namespace = {"__name__": "caller"}
    exec(code or compile(CALLER, str(path), "exec"), namespace)
    dumps: list[str] = []
    block_on(namespace["main"](Event(), dumps))
    (dump,) = dumps
    lines = dump.splitlines()
    assert lines[:2] == [
        "desugar executor on thread MainThread: 2 tasks",
        "task 1 caller::main, running",
    ]
    shown = [re.sub(r"^\s+\d+: ", "", line) for line in lines[2:4]]
    where = "caller.py"
    assert shown == [
        f"caller::report at {where}:{line_of(CALLER, '# dumps here')}",
        f"caller::main at {where}:{line_of(CALLER, 'await report(')}",
    ]
    assert lines[4:] == [
        f"task 2 caller::waiter, awaiting {Event.__module__}::Event",
        f"    1: caller::waiter at {where}:{line_of(CALLER, 'await event')}",
    ]


def test_asyncio_caller_inside_a_task_is_running() -> None:
    async def main() -> str:
        return backtrace.format_tasks()

    dump = asyncio.run(main())
    lines = dump.splitlines()
    assert lines[0] == "asyncio loop on thread MainThread: 1 task"
    assert re.fullmatch(r"task 1 'Task-\d+' test_dump::.*main, running", lines[1]), lines[1]
    line = main.__code__.co_firstlineno + 1
    where = re.escape(backtrace._display_path(__file__))
    assert re.fullmatch(rf"\s+\d+: test_dump::.*main at {where}:{line}", lines[2]), lines[2]


def test_trio_caller_is_running_and_its_children_are_suspended() -> None:
    dumps = []

    async def main() -> None:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(trio.sleep_forever)
            await trio.sleep(0.01)
            dumps.append(backtrace.format_tasks())
            nursery.cancel_scope.cancel()

    trio.run(main)
    lines = dumps[0].splitlines()
    assert lines[0] == "trio run on thread MainThread: 2 tasks"
    assert lines[1].startswith("task 1 '") and lines[1].endswith(".main', running")
    child = next(line for line in lines if line.startswith("  └─ task 2"))
    assert child == "  └─ task 2 'trio.sleep_forever' (in its nursery)"


def test_outside_any_loop_the_dump_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    backtrace.dump_tasks()  # stderr by default
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        "no desugar executor, asyncio loop or trio run is running on thread MainThread\n"
    )


def test_dumping_imports_neither_asyncio_nor_trio() -> None:
    code = (
        "import sys; import desugar.backtrace as b; b.format_tasks()\n"
        "from desugar.runtime import block_on\n"
        "async def main(): return b.format_tasks()\n"
        "print(block_on(main()), 'asyncio' in sys.modules, 'trio' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=env(), capture_output=True, text=True, timeout=60
    )
    assert result.stdout.splitlines()[-1] == " False False", result.stdout + result.stderr


# --- the docs' dump ------------------------------------------------------------


def run_example(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "desugar", "run", "--dump-on-hang", "1", "examples/hung.py", *args],
        cwd=ROOT, env=env(), capture_output=True, text=True, timeout=120,
    )


def test_debugging_page_shows_the_dump_of_the_hung_example_as_it_is_printed() -> None:
    readme = (ROOT / "docs" / "debugging.md").read_text(encoding="utf-8")
    match = re.search(r"<!-- task-dump -->\n```\n\$ (.*?)\n(.*?)```", readme, re.S)
    assert match, "docs/debugging.md shows no dump after <!-- task-dump -->"
    assert match[1] == "desugar run --dump-on-hang 1 examples/hung.py"
    result = run_example()
    assert result.returncode == 124
    assert result.stderr == match[2]


def test_the_hung_example_under_asyncio_has_the_same_tree() -> None:
    result = run_example("asyncio")
    assert result.returncode == 124
    assert headings(result.stderr) == [
        "asyncio loop on thread MainThread: 2 tasks",
        "task 1 'Task-N' hung::main, awaiting select() of 2 futures",
        "  ├─ select() future 0, awaiting join() of 2 futures",
        "  │    ├─ join() future 0, awaiting hung::Event",
        "  │    └─ join() future 1, awaiting task 'Task-N'",
        "  │         └─ task 2 'Task-N' hung::fetch (awaited), awaiting hung::Event",
        "  └─ select() future 1, awaiting sleep(3600)",
    ]
    assert "task 2 'Task-2' hung::fetch (awaited)" in result.stderr  # as docs/debugging.md says


def test_a_task_not_started_yet_is_shown_at_its_first_line() -> None:
    async def later() -> None:
        await asyncio.sleep(1)

    async def main() -> str:
        task = asyncio.create_task(later(), name="later")
        dump = backtrace.format_tasks()
        task.cancel()
        return dump

    lines = asyncio.run(main()).splitlines()
    assert re.fullmatch(r"task 2 'later' test_dump::\S*later, not started", lines[3]), lines
    first = later.__code__.co_firstlineno
    assert re.fullmatch(rf"    0: test_dump::\S*later at \S*test_dump.py:{first}", lines[4]), lines

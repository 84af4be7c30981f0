"""The live console: its server (``desugar run --console``) and its terminal UI (``desugar console``).

The UI is driven headless with Textual's pilot, against a source of snapshots
made here and against real programs; what it shows is read back from its
screenshot (`svg_lines`), as a user would read the screen.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import re
import socket
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from desugar.cli import main as cli
from desugar.console import server as console_server
from desugar.console.client import Connection, ProgramEnded, RefusedRequest, running_programs
from desugar.console.server import ConsoleServer

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("screenshots", ROOT / "docs" / "screenshots.py")
screenshots = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(screenshots)  # type: ignore[union-attr]
svg_lines = screenshots.svg_lines

HAS_TEXTUAL = importlib.util.find_spec("textual") is not None
needs_textual = pytest.mark.skipif(
    not HAS_TEXTUAL, reason="the console's UI needs Textual: pip install 'desugar[console]'"
)
SIZE = (120, 40)


@pytest.fixture(autouse=True)
def console_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test's own socket directory, as $XDG_RUNTIME_DIR/desugar (short: a socket's path is)."""
    runtime = Path(tmp_path_factory.mktemp("rt"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    return runtime / "desugar"


def make_task(task_id: int, **fields: Any) -> dict[str, Any]:
    task = {
        "id": task_id,
        "name": f"worker-{task_id}",
        "state": "idle",
        "polls": task_id * 3,
        "busy": task_id * 1e-4,
        "scheduled": task_id * 2e-5,
        "idle": 1.5,
        "location": f"app.py:{10 + task_id}",
        "chain": [
            {"function": "app::main", "file": "app.py", "line": 30},
            {"function": "app::worker", "file": "app.py", "line": 10 + task_id},
        ],
        "parent": 1 if task_id > 1 else None,
        "awaits": [],
        "woken_by": {"self": 1, "task": 2, "timer": 3, "io": 0, "other": 0},
        "poll_times": [1_000 * (k % 50 + 1) for k in range(200)],
        "scheduled_times": [2_000_000] * 10,
        "spans": [{"name": "request", "fields": {"path": "/index"}}],
        "warnings": [],
    }
    task.update(fields)
    return task


def make_snapshot(tasks: int = 8, time: float = 2.5) -> dict[str, Any]:
    warning = "woke itself for 90% of its wakeups"
    return {
        "time": time,
        "pid": 4242,
        "program": "app.py",
        "driver": "asyncio",
        "tasks": [make_task(1, name="main", state="running", awaits=[2], parent=None)]
        + [make_task(i) for i in range(2, tasks)]
        + [make_task(tasks, warnings=[warning], state="scheduled")],
        "warnings": [{"task": tasks, "lint": "self-wake", "message": warning, "location": f"app.py:{10 + tasks}"}],
    }


class FakeSource:
    """Snapshots in turn (the last one again and again), then, once `end` is called, a program gone."""

    def __init__(self, *snapshots: dict[str, Any]) -> None:
        self.snapshots = list(snapshots)
        self.asked: list[Any] = []
        self.ended = False

    def snapshot(self, full: Any = False) -> dict[str, Any]:
        self.asked.append(full)
        if self.ended:
            raise ProgramEnded("gone")
        return self.snapshots.pop(0) if len(self.snapshots) > 1 else self.snapshots[0]


def screen(app: Any) -> list[str]:
    return svg_lines(app.export_screenshot())


async def until(pilot: Any, condition: Any, timeout: float = 10.0) -> None:
    """Let the app run until ``condition()`` holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the console did not get there in time"
        await pilot.pause(0.05)


def run_app(source: Any, steps: Any, size: tuple[int, int] = SIZE) -> Any:
    """Run the console on ``source`` headless; ``steps(app, pilot)`` drives it."""
    from desugar.console.app import ConsoleApp

    async def go() -> Any:
        app = ConsoleApp(source, refresh=0.2, where="fake")
        async with app.run_test(size=size) as pilot:
            await pilot.pause(0.1)
            # A loaded machine mounts the first screen later.
            await until(pilot, lambda: bool(app.screen_stack))
            return await steps(app, pilot)

    return asyncio.run(go())


# --------------------------------------------------------------------------
# The UI against snapshots made here


@needs_textual
def test_table_shows_a_row_per_task_with_its_numbers_and_the_status_line() -> None:
    async def steps(app: Any, pilot: Any) -> list[str]:
        return screen(app)

    lines = run_app(FakeSource(make_snapshot()), steps)
    assert lines[0].split() == ["⭘", "desugar", "console", "·", "app.py", "(pid", "4242)", "—", "asyncio", "·", "2.5s"]
    assert lines[1] == "8 tasks · 1 running · 1 scheduled · 6 idle · 0 done · 1 warning · sorted by id ▲"
    assert lines[2].split() == ["ID", "Name", "State", "Polls", "Busy", "Sched", "Idle", "Location", "Warn"]
    assert lines[3].split() == ["1", "main", "running", "3", "100µs", "20µs", "1.5s", "app.py:11"]
    assert lines[4].split() == ["2", "worker-2", "idle", "6", "200µs", "40µs", "1.5s", "app.py:12"]
    assert lines[10].split() == ["8", "worker-8", "scheduled", "24", "800µs", "160µs", "1.5s", "app.py:18", "⚠", "1"]
    assert lines[-1].split()[:8] == ["⏎Details", "s", "Sort", "t", "Tree", "w", "Warnings", "q"]


@needs_textual
def test_s_cycles_the_sort_and_the_cursor_stays_on_its_task() -> None:
    async def steps(app: Any, pilot: Any) -> tuple[list[str], list[str], int | None]:
        await pilot.press("down", "down")  # on task 3
        first = screen(app)
        await pilot.press("s")  # busy, descending
        await pilot.pause(0.1)
        return first, screen(app), app.screen.selected_task()

    first, second, selected = run_app(FakeSource(make_snapshot()), steps)
    assert first[1].endswith("sorted by id ▲")
    assert second[1].endswith("sorted by busy ▼")
    assert [line.split()[0] for line in second[3:11]] == ["8", "7", "6", "5", "4", "3", "2", "1"]
    assert selected == 3


@needs_textual
def test_the_table_follows_tasks_that_come_go_and_change() -> None:
    before = make_snapshot(tasks=4)
    after = make_snapshot(tasks=4, time=3.0)
    after["tasks"] = [task for task in after["tasks"] if task["id"] != 2]  # task 2 ended
    after["tasks"][1].update(busy=2.0, polls=99)  # task 3
    after["tasks"].append(make_task(5, name="late", busy=0.5))
    source = FakeSource(before)

    async def steps(app: Any, pilot: Any) -> tuple[list[str], list[str]]:
        await pilot.press("s")  # by busy time
        first = screen(app)
        source.snapshots = [after]
        await until(pilot, lambda: app.snapshot["time"] == 3.0)
        # (the table is drawn after the snapshot arrives: on a loaded machine, later)
        await until(pilot, lambda: any(" late " in line for line in screen(app)))
        await pilot.pause(0.1)
        return first, screen(app)

    first, second = run_app(source, steps)
    assert [line.split()[:2] for line in first[3:7]] == [["4", "worker-4"], ["3", "worker-3"], ["2", "worker-2"], ["1", "main"]]
    assert [line.split()[:5] for line in second[3:8]] == [
        ["3", "worker-3", "idle", "99", "2s"],
        ["5", "late", "idle", "15", "500ms"],
        ["4", "worker-4", "scheduled", "12", "400µs"],
        ["1", "main", "running", "3", "100µs"],
        [],
    ]


@needs_textual
def test_enter_shows_the_task_detail_and_asks_for_its_times() -> None:
    source = FakeSource(make_snapshot())

    async def steps(app: Any, pilot: Any) -> list[str]:
        await pilot.press("down", "enter")
        await until(pilot, lambda: [2] in source.asked)
        return screen(app)

    lines = run_app(source, steps, size=(120, 60))
    text = "\n".join(lines)
    assert lines[1] == "Task #2 worker-2  idle"
    assert lines[2] == "polls 6   busy 200µs   scheduled 40µs   idle 1.5s"
    assert lines[3:7] == ["location app.py:12", "parent #1 main", "awaits -", "awaited by #1 main"]
    chain = lines.index("Await chain")
    assert lines[chain + 1 : chain + 3] == ["  app::main    app.py:30", "  app::worker  app.py:12"]
    polls = lines.index("Poll times")
    assert lines[polls + 1] == "  p50 25µs  p90 45µs  p99 50µs  max 50µs  (last 200)"
    assert lines[polls + 2 : polls + 5] == [
        "    ≤ 1µs    │█ 4",
        "    ≤ 10µs   │███████ 36",
        "    ≤ 100µs  │██████████████████████████████ 160",
    ]
    assert lines[polls + 5].startswith("  recent ")
    scheduled = lines.index("Scheduled times")
    assert lines[scheduled + 1 : scheduled + 3] == [
        "  p50 2ms  p90 2ms  p99 2ms  max 2ms  (last 10)",
        "    ≤ 10ms   │██████████████████████████████ 10",
    ]
    woken = lines.index("Woken by")
    assert lines[woken + 1] == "  self 1 · task 2 · timer 3 · io 0 · other 0  (17% self-wakes of 6)"
    assert "  request  path='/index'" in text
    assert [2] in source.asked  # the detail asks for the task's full record


@needs_textual
def test_escape_goes_back_from_the_detail_to_the_table() -> None:
    async def steps(app: Any, pilot: Any) -> tuple[str, str]:
        await pilot.press("enter")
        await pilot.pause(0.1)
        shown = type(app.screen).__name__
        await pilot.press("escape")
        await pilot.pause(0.1)
        return shown, type(app.screen).__name__

    assert run_app(FakeSource(make_snapshot()), steps) == ("DetailScreen", "MainScreen")


@needs_textual
def test_t_shows_the_task_tree_awaited_tasks_first() -> None:
    async def steps(app: Any, pilot: Any) -> list[str]:
        await pilot.press("t")
        await pilot.pause(0.1)
        return screen(app)

    lines = run_app(FakeSource(make_snapshot(tasks=4)), steps)
    assert lines[1:6] == [
        "Task tree: under each task, the tasks it awaits, then those it spawned",
        "#1 main [running] app.py:11",
        "├─ awaits #2 worker-2 [idle] app.py:12",
        "├─ spawned #3 worker-3 [idle] app.py:13",
        "└─ spawned #4 worker-4 [scheduled] app.py:14",
    ]


@needs_textual
def test_w_lists_the_warnings_and_enter_opens_the_task() -> None:
    async def steps(app: Any, pilot: Any) -> tuple[list[str], list[str]]:
        await pilot.press("w")
        await pilot.pause(0.1)
        warnings = screen(app)
        await pilot.press("enter")
        await pilot.pause(0.1)
        return warnings, screen(app)

    warnings, detail = run_app(FakeSource(make_snapshot()), steps)
    assert warnings[1:4] == [
        "1 warning",
        " Task Lint       Location   Message",
        " 8    self-wake  app.py:18  woke itself for 90% of its wakeups",
    ]
    assert detail[1] == "Task #8 worker-8  scheduled"


@needs_textual
def test_the_last_snapshot_stays_on_screen_when_the_program_ends() -> None:
    source = FakeSource(make_snapshot(time=1.0), make_snapshot(time=3.25))

    async def steps(app: Any, pilot: Any) -> tuple[list[str], int]:
        await until(pilot, lambda: app.snapshot["time"] == 3.25)
        source.ended = True
        await until(pilot, lambda: app.ended)
        asked = len(source.asked)
        await pilot.pause(0.5)
        assert len(source.asked) == asked  # no more asking
        return screen(app), asked

    lines, _ = run_app(source, steps)
    assert lines[1] == "The program ended: this is its last snapshot (taken at 3.25s)."
    assert lines[2].startswith("8 tasks · 1 running")
    assert lines[4].split()[:3] == ["1", "main", "running"]


@needs_textual
def test_a_refused_request_is_shown_and_asking_goes_on() -> None:
    class Refusing:
        refusing = True

        def snapshot(self, full: Any = False) -> dict[str, Any]:
            if self.refusing:
                raise RefusedRequest("no recorder is active in the program")
            return make_snapshot()

    source = Refusing()

    async def steps(app: Any, pilot: Any) -> tuple[list[str], list[str]]:
        refused = "fake: no recorder is active in the program"
        await until(pilot, lambda: app.problem is not None and refused in screen(app))
        first = screen(app)
        source.refusing = False
        await until(pilot, lambda: app.snapshot is not None)
        return first, screen(app)

    first, later = run_app(source, steps)
    assert first[1] == "fake: no recorder is active in the program"
    assert later[1].startswith("8 tasks")


# --------------------------------------------------------------------------
# The server


def fake_source() -> dict[str, Any]:
    return make_snapshot()


def test_socket_is_owner_only_in_an_owner_only_directory(console_dir: Path) -> None:
    server = ConsoleServer(fake_source, program="app.py").start()
    try:
        assert server.path == str(console_dir / f"{os.getpid()}.sock")
        assert stat.S_IMODE(os.stat(console_dir).st_mode) == 0o700
        assert stat.S_ISSOCK(os.stat(server.path).st_mode)
        assert stat.S_IMODE(os.stat(server.path).st_mode) == 0o600
    finally:
        server.close()
    assert not os.path.exists(server.path)


def test_a_directory_others_can_enter_is_refused(console_dir: Path) -> None:
    console_dir.mkdir(mode=0o755)
    os.chmod(console_dir, 0o755)
    with pytest.raises(console_server.ConsoleError) as error:
        console_server.socket_dir()
    assert str(error.value) == (
        f"{console_dir} can be entered by other users (mode 0755); run chmod 700 {console_dir}"
    )


def test_hello_and_snapshot_without_the_heavy_fields_unless_asked() -> None:
    server = ConsoleServer(fake_source, program="app.py").start()
    try:
        with Connection.to(str(os.getpid())) as connection:
            assert connection.hello() == {"ok": True, "protocol": 1, "pid": os.getpid(), "program": "app.py"}
            light = connection.snapshot()
            full = connection.snapshot([3])
            everything = connection.snapshot(True)
    finally:
        server.close()
    assert ["poll_times" in task for task in light["tasks"]] == [False] * 8
    assert ["poll_times" in task for task in full["tasks"]] == [task["id"] == 3 for task in full["tasks"]]
    assert everything == make_snapshot()


def test_tcp_requires_the_token_in_each_request() -> None:
    server = ConsoleServer(fake_source, program="app.py", address=("127.0.0.1", 0)).start()
    try:
        host, port = server.address  # type: ignore[misc]
        with Connection((host, port)) as anonymous, pytest.raises(RefusedRequest) as error:
            anonymous.snapshot()
        assert str(error.value) == "wrong or missing token"
        with Connection((host, port), token="not-" + str(server.token)) as wrong, pytest.raises(RefusedRequest):
            wrong.hello()
        with socket.create_connection((host, port)) as raw:  # a refused client is disconnected
            raw.sendall(b'{"op": "snapshot"}\n{"op": "snapshot"}\n')
            answers = raw.makefile("rb").read()
        assert [json.loads(line) for line in answers.splitlines()] == [
            {"ok": False, "error": "wrong or missing token"}
        ]
        with Connection((host, port), token=server.token) as right:
            assert right.snapshot()["program"] == "app.py"
    finally:
        server.close()


def test_bad_requests_are_answered_with_what_is_wrong() -> None:
    server = ConsoleServer(lambda: None, program="app.py")
    assert server.answer(b"nonsense\n") == ({"ok": False, "error": "a request is one line of JSON"}, False)
    assert server.answer(b'{"op": "kill"}\n') == ({"ok": False, "error": "unknown op 'kill' (hello, snapshot)"}, True)
    assert server.answer(b'{"op": "snapshot"}\n') == (
        {"ok": False, "error": "no recorder is active in the program"},
        True,
    )


def test_a_closed_console_is_a_program_that_ended() -> None:
    server = ConsoleServer(fake_source, program="app.py").start()
    connection = Connection(str(server.path))
    connection.snapshot()
    server.close()
    with pytest.raises(ProgramEnded):
        connection.snapshot()
        connection.snapshot()


BLOCKED = """\
import asyncio, os, sys, time
from desugar.console.server import ConsoleServer

def source():
    return {"time": time.monotonic(), "pid": os.getpid(), "program": "blocked.py",
            "driver": "asyncio", "tasks": [], "warnings": []}

server = ConsoleServer(source, program="blocked.py").start()

async def main():
    print(server.path, flush=True)
    time.sleep(30)  # the loop is blocked

asyncio.run(main())
"""


def test_snapshots_are_answered_while_the_loop_is_blocked(tmp_path: Path) -> None:
    (tmp_path / "blocked.py").write_text(BLOCKED)
    process = subprocess.Popen(
        [sys.executable, "blocked.py"], cwd=tmp_path, stdout=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        path = process.stdout.readline().strip()  # type: ignore[union-attr]
        with Connection(path) as connection:
            started = time.monotonic()
            times = [connection.snapshot()["time"] for _ in range(3)]
            assert time.monotonic() - started < 2.0
        assert times == sorted(times) and len(set(times)) == 3
        assert [program.pid for program in running_programs()] == [process.pid]
        server = ConsoleServer(fake_source, program="app.py --fast").start()
        try:
            result = CliRunner().invoke(cli, ["console"])
        finally:
            server.close()
        pids = sorted([os.getpid(), process.pid])
        programs = {os.getpid(): "app.py --fast", process.pid: "blocked.py"}
        assert (result.exit_code, result.output) == (
            1,
            "desugar console: 2 programs serve a console; name one (desugar console PID):\n"
            + "".join(f"  {pid:>7}  {programs[pid]}\n" for pid in pids),
        )
    finally:
        process.kill()
        process.wait()


# --------------------------------------------------------------------------
# Real programs under desugar run --console


@pytest.fixture(scope="module")
def crawler(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The README's crawler (120 worker tasks) under ``desugar run --console``: (process, socket)."""
    directory = tmp_path_factory.mktemp("crawler")
    runtime = tmp_path_factory.mktemp("rt")
    env = {"XDG_RUNTIME_DIR": str(runtime), "PYTHONPATH": str(ROOT)}
    process, path = screenshots.start_program(directory, env=env)
    yield process, path
    process.kill()
    process.wait()


@needs_textual
def test_the_committed_picture_is_what_the_script_takes(crawler: Any, tmp_path: Path) -> None:
    _process, path = crawler
    lines = asyncio.run(screenshots.take(path, tmp_path / "console.svg", settle=1.0))
    committed = svg_lines(screenshots.PICTURE.read_text())
    assert lines[1].startswith("121 tasks · ")  # the 120 workers and main
    assert screenshots.structure(lines) == screenshots.structure(committed)
    assert screenshots.structure(lines)["rows that read as tasks"] == screenshots.SIZE[1] - 4


@needs_textual
def test_a_live_task_detail_shows_its_chain_and_times_then_the_program_ends(crawler: Any) -> None:
    from desugar.console.app import ConsoleApp

    process, path = crawler

    async def go() -> tuple[list[str], list[str], list[str]]:
        with Connection(path) as connection:
            app = ConsoleApp(connection, refresh=0.5, where=path)
            async with app.run_test(size=(120, 60)) as pilot:
                await until(pilot, lambda: app.snapshot is not None)
                table = screen(app)
                await pilot.press("down", "enter")  # task 2, a worker
                await until(pilot, lambda: "poll_times" in (app.task(2) or {}))
                await pilot.pause(0.1)
                detail = screen(app)
                await pilot.press("escape")
                process.kill()
                process.wait()
                await until(pilot, lambda: app.ended)
                await pilot.pause(0.1)
                return table, detail, screen(app)

    table, detail, ended = asyncio.run(go())
    assert table[2].split() == ["ID", "Name", "State", "Polls", "Busy", "Sched", "Idle", "Location", "Warn"]
    assert [line.split()[0] for line in table[3:8]] == ["1", "2", "3", "4", "5"]
    assert table[3].split()[-1] == "crawler.py:29"  # main, at queue.join()
    assert detail[1].startswith("Task #2 ")
    chain = detail.index("Await chain")
    function, where = detail[chain + 1].split()
    assert function == "crawler::worker" and where in ("crawler.py:13", "crawler.py:14")
    polls = detail.index("Poll times")
    assert detail[polls + 1].startswith("  p50 ") and detail[polls + 1].split()[-2] == "(last"
    assert "timer" in detail[detail.index("Woken by") + 1]
    assert ended[1].startswith("The program ended: this is its last snapshot (taken at ")
    assert ended[2].startswith("121 tasks · ")
    assert len([line for line in ended[4:-1] if line.strip()]) > 20  # the table is still there


BLOCKING = """\
import asyncio
import time


async def sleeper():
    await asyncio.sleep(0)
    time.sleep(30)  # blocks the loop


async def main():
    await asyncio.gather(asyncio.create_task(sleeper()), asyncio.sleep(60))


asyncio.run(main())
"""


def run_console(tmp_path: Path, source: str, *options: str) -> tuple[subprocess.Popen[str], list[str]]:
    """``source`` started under ``desugar run --console OPTIONS``; the process and its first stderr lines."""
    (tmp_path / "app.py").write_text(source)
    process = subprocess.Popen(
        [sys.executable, "-m", "desugar", "run", "--console", *options, "app.py"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    lines = [process.stderr.readline()]  # type: ignore[union-attr]
    if "--console-address" in options:
        lines.append(process.stderr.readline())  # type: ignore[union-attr]
    return process, lines


def test_a_blocked_loop_is_answered_on_tcp_with_the_token_only(tmp_path: Path, console_dir: Path) -> None:
    process, lines = run_console(tmp_path, BLOCKING, "--console-address", "127.0.0.1:0")
    try:
        path = console_dir / f"{process.pid}.sock"
        assert lines[0] == f"desugar run: console on {path} (desugar console {process.pid})\n"
        match = re.fullmatch(
            r"desugar run: console on 127\.0\.0\.1:(\d+), token ([\w-]{32}) "
            r"\(desugar console 127\.0\.0\.1:\1 --token \2\)\n",
            lines[1],
        )
        assert match, lines[1]
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        address = ("127.0.0.1", int(match[1]))
        with Connection(address) as anonymous, pytest.raises(RefusedRequest):
            anonymous.snapshot()
        time.sleep(0.5)  # into the time.sleep
        with Connection(address, token=match[2]) as connection:
            started = time.monotonic()
            first = connection.snapshot()
            time.sleep(0.3)
            second = connection.snapshot()
            assert time.monotonic() - started < 2.0
        # (where it last yielded: the poll that runs now started there)
        sleeper = [task for task in first["tasks"] if task["location"] == "app.py:6"]
        assert [(task["state"], task["polls"]) for task in sleeper] == [("running", 1)]
        again = [task for task in second["tasks"] if task["id"] == sleeper[0]["id"]]
        assert again[0]["busy"] >= sleeper[0]["busy"] + 0.25
        assert again[0]["chain"] == [{"function": "app::sleeper", "file": "app.py", "line": 6}]
    finally:
        process.kill()
        process.wait()


SPINNING = """\
import asyncio


async def spinner():
    for _ in range(100):
        await asyncio.sleep(0)
    await asyncio.sleep(60)


async def main():
    task = asyncio.create_task(spinner(), name="spinner")
    await asyncio.sleep(60)


asyncio.run(main())
"""


@needs_textual
def test_with_lint_the_console_lists_the_warnings_of_a_live_program(tmp_path: Path, console_dir: Path) -> None:
    from desugar.console.app import ConsoleApp

    process, _ = run_console(tmp_path, SPINNING, "--lint")
    path = str(console_dir / f"{process.pid}.sock")

    async def go() -> list[str]:
        with Connection(path) as connection:
            app = ConsoleApp(connection, refresh=0.2, where=path)
            async with app.run_test(size=SIZE) as pilot:
                await until(pilot, lambda: bool(app.snapshot and app.snapshot["warnings"]))
                await pilot.press("w")
                await pilot.pause(0.1)
                return screen(app)

    try:
        lines = asyncio.run(go())
    finally:
        process.kill()
        process.wait()
    assert lines[2].split() == ["Task", "Lint", "Location", "Message"]
    rows = [line.split() for line in lines[3:] if "self-wakes" in line]  # (a slow poll may show too)
    assert [row[:3] for row in rows] == [["2", "self-wakes", "app.py:6"]]
    assert " ".join(rows[0][3:]).startswith("woke itself for ")


def test_the_socket_is_removed_when_the_program_exits(tmp_path: Path, console_dir: Path) -> None:
    process, lines = run_console(tmp_path, "import asyncio\nasyncio.run(asyncio.sleep(0.2))\nprint('done')\n")
    out, _ = process.communicate(timeout=60)
    assert (process.returncode, out) == (0, "done\n")
    assert lines[0].startswith(f"desugar run: console on {console_dir / str(process.pid)}.sock ")
    assert os.listdir(console_dir) == []


# --------------------------------------------------------------------------
# The command


def test_console_without_a_program_says_how_to_start_one() -> None:
    result = CliRunner().invoke(cli, ["console"])
    assert result.exit_code == 1
    assert result.output == (
        "desugar console: no program with a console is running (start one: desugar run --console app.py)\n"
    )


def test_console_without_textual_says_how_to_install_it(tmp_path: Path) -> None:
    (tmp_path / "textual.py").write_text("raise ImportError('no textual here', name='textual')\n")
    result = subprocess.run(
        [sys.executable, "-m", "desugar", "console", "1"],
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])},
        capture_output=True,
        text=True,
    )
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == "desugar console needs Textual: pip install 'desugar[console]' (cannot import textual)\n"


def test_console_to_an_address_without_a_token_says_it_needs_one() -> None:
    result = CliRunner().invoke(cli, ["console", "127.0.0.1:9"], env={"DESUGAR_CONSOLE_TOKEN": None})
    assert result.exit_code == 1
    assert result.output == (
        "desugar console: 127.0.0.1:9 needs the program's token: --token TOKEN (printed when it started)\n"
    )

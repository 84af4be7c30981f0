"""`desugar run --trace FILE` and `--lint` (`desugar.trace`), run as a user runs them: in
subprocesses, translated (poll lowering) and native, under the executor, asyncio and trio.

The records are compared exactly (no timings, but for the slow-poll lint's threshold: a
0.3 s block against the default 100 ms)."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
LOWERINGS = ["poll", "native"]


def run(tmp_path: Path, source: str, *options: str, lowering: str = "poll",
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    (tmp_path / "prog.py").write_text(textwrap.dedent(source), encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "desugar", "run", "--lowering", lowering, *options, "prog.py"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
        env=dict(os.environ, PYTHONPATH=str(ROOT), **(env or {})),
    )


def trace_of(tmp_path: Path) -> list[dict[str, Any]]:
    data = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    events = data["traceEvents"]
    validate(events)
    return events


#: What the trace-event format requires of each phase this writer uses (name: type).
REQUIRED = {
    "M": {"name": str, "pid": int, "tid": int, "args": dict},
    "X": {"name": str, "pid": int, "tid": int, "ts": (int, float), "dur": (int, float)},
    "s": {"name": str, "cat": str, "id": int, "pid": int, "tid": int, "ts": (int, float)},
    "f": {"name": str, "cat": str, "id": int, "pid": int, "tid": int, "ts": (int, float)},
}


def validate(events: list[dict[str, Any]]) -> None:
    """Each event has its phase's required keys with their types; flows pair up; slices on a
    track nest (no two overlap partially)."""
    starts = set()
    for event in events:
        required = REQUIRED[event["ph"]]
        for key, kind in required.items():
            assert isinstance(event[key], kind), (key, event)
        if event["ph"] == "X":
            assert event["dur"] >= 0, event
        if event["ph"] == "M":
            assert event["name"] in ("process_name", "thread_name", "thread_sort_index"), event
        if event["ph"] == "s":
            starts.add(event["id"])
        if event["ph"] == "f":
            assert event["id"] in starts, ("a flow that ends where none starts", event)
            assert event["bp"] == "e"
    tracks: dict[int, list[tuple[float, float]]] = {}
    for event in events:
        if event["ph"] == "X":
            tracks.setdefault(event["tid"], []).append((event["ts"], event["ts"] + event["dur"]))
    for slices in tracks.values():
        stack: list[float] = []
        for start, end in sorted(slices, key=lambda s: (s[0], -s[1])):
            while stack and stack[-1] <= start:
                stack.pop()
            assert not stack or end <= stack[-1] + 1e-3, ("partly overlapping slices", slices)
            stack.append(end)


def names(events: list[dict[str, Any]]) -> dict[int, str]:
    return {e["tid"]: e["args"]["name"] for e in events if e["ph"] == "M" and e["name"] == "thread_name"}


def polls(events: list[dict[str, Any]], tid: int | None = None) -> list[tuple]:
    """Each poll, in time order: (task name, outcome, waits on, [function at file:line])."""
    tracks = names(events)
    slices = sorted(
        (e for e in events if e["ph"] == "X" and e.get("cat") in ("poll", "await")),
        key=lambda e: (e["ts"], e["cat"] != "poll"),
    )
    found: list[tuple] = []
    for event in slices:
        if tid is not None and event["tid"] != tid:
            continue
        if event["cat"] == "poll":
            found.append((tracks[event["tid"]], event["args"]["outcome"],
                          event["args"].get("waits_on", ""), []))
        else:
            found[-1][3].append(f"{event['name']} at {event['args']['location']}")
    return found


def wakes(events: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """Each wake that caused a poll, in time order: (who, the woken task)."""
    tracks = names(events)
    by = {e["id"]: e["args"]["by"] for e in events if e["ph"] == "s"}
    ends = sorted((e for e in events if e["ph"] == "f"), key=lambda e: e["ts"])
    return [(by[e["id"]], tracks[e["tid"]]) for e in ends]


STACK_OVER_TIME = (ROOT / "examples" / "stack_over_time.py").read_text(encoding="utf-8")


@pytest.mark.parametrize("lowering", LOWERINGS)
def test_article_example_records_the_await_chain_of_each_resumption(tmp_path: Path, lowering: str) -> None:
    ran = run(tmp_path, STACK_OVER_TIME, "--trace", "out.json", lowering=lowering)
    assert ran.stdout == "done\n"
    assert ran.stderr == "desugar run: trace written to out.json (8 events)\n"
    events = trace_of(tmp_path)
    assert names(events) == {0: "timers, I/O", 1: "prog::foo (task 1)"}
    assert polls(events) == [
        ("prog::foo (task 1)", "pending", "sleep()", ["prog::foo at prog.py:13"]),
        ("prog::foo (task 1)", "pending", "sleep()",
         ["prog::foo at prog.py:14", "prog::bar at prog.py:18"]),
        ("prog::foo (task 1)", "pending", "sleep()",
         ["prog::foo at prog.py:14", "prog::bar at prog.py:19", "prog::baz at prog.py:23"]),
        ("prog::foo (task 1)", "ready", "",
         ["prog::foo at prog.py:14", "prog::bar at prog.py:19", "prog::baz at prog.py:23"]),
    ]
    assert wakes(events) == [("other", "prog::foo (task 1)")] + [("timer", "prog::foo (task 1)")] * 3


ASYNCIO_TASKS = """\
import asyncio


async def leaf(n, go):
    await go.wait()
    return n


async def worker(n, go):
    return await leaf(n, go)


async def main():
    go = [asyncio.Event(), asyncio.Event()]
    first = asyncio.create_task(worker(1, go[0]), name="first")
    second = asyncio.create_task(worker(2, go[1]), name="second")
    await asyncio.sleep(0.01)
    go[0].set()
    total = await first
    go[1].set()
    print(total + await second)


asyncio.run(main())
"""


@pytest.mark.parametrize("lowering", LOWERINGS)
def test_asyncio_tasks_are_tracks_named_as_asyncio_names_them_polled_in_the_programs_order(
    tmp_path: Path, lowering: str
) -> None:
    ran = run(tmp_path, ASYNCIO_TASKS, "--trace", "out.json", lowering=lowering)
    assert ran.stdout == "3\n", ran.stderr
    events = trace_of(tmp_path)
    chain = ["prog::worker at prog.py:10", "prog::leaf at prog.py:5"]
    assert polls(events)[:8] == [
        ("Task-1 (task 1)", "pending", "an asyncio Future", ["prog::main at prog.py:17"]),
        ("first (task 2)", "pending", "an asyncio Future", chain),
        ("second (task 3)", "pending", "an asyncio Future", chain),
        ("Task-1 (task 1)", "pending", "task 'first'", ["prog::main at prog.py:19"]),
        ("first (task 2)", "ready", "", chain),
        ("Task-1 (task 1)", "pending", "task 'second'", ["prog::main at prog.py:21"]),
        ("second (task 3)", "ready", "", chain),
        ("Task-1 (task 1)", "ready", "", ["prog::main at prog.py:21"]),
    ]
    assert wakes(events)[:8] == [
        ("other", "Task-1 (task 1)"),
        ("task", "first (task 2)"),
        ("task", "second (task 3)"),
        ("timer", "Task-1 (task 1)"),
        ("task", "first (task 2)"),
        ("task", "Task-1 (task 1)"),
        ("task", "second (task 3)"),
        ("task", "Task-1 (task 1)"),
    ]


TRIO_TASKS = """\
import trio


async def child(n):
    await trio.sleep(0.05 * n)


async def main():
    async with trio.open_nursery() as nursery:
        nursery.start_soon(child, 1, name="first")
        nursery.start_soon(child, 2, name="second")
    print("done")


trio.run(main)
"""


@pytest.mark.parametrize("lowering", LOWERINGS)
def test_trio_tasks_are_recorded_by_an_instrument(tmp_path: Path, lowering: str) -> None:
    ran = run(tmp_path, TRIO_TASKS, "--trace", "out.json", lowering=lowering)
    assert ran.stdout == "done\n", ran.stderr
    events = trace_of(tmp_path)
    tracks = sorted(names(events).values())
    assert tracks == ["__main__.main (task 1)", "first (task 2)", "second (task 3)", "timers, I/O"]
    found = polls(events)
    # (the nursery's exit is at its `async with` line; a version may name the block's end)
    nursery_exit = [[f"prog::main at prog.py:{line}"] for line in (9, 11)]
    # (3.10's code objects have no qualified name: the method is named without its class)
    assert found[0][:2] == ("__main__.main (task 1)", "pending")
    assert found[0][2] in ("trio._core._run::NurseryManager::__aexit__", "trio._core._run::__aexit__")
    assert found[0][3] in nursery_exit
    assert [p for p in found if p[0] == "second (task 3)"] == [
        ("second (task 3)", "pending", "trio._timeouts::sleep", ["prog::child at prog.py:5"]),
        ("second (task 3)", "ready", "", ["prog::child at prog.py:5"]),
    ]
    assert found[-1][:3] == ("__main__.main (task 1)", "ready", "")
    assert found[-1][3] in nursery_exit
    # (trio runs a batch of ready tasks in a random order, on purpose: compared as a set)
    assert sorted(w for w in wakes(events) if w[1] != "__main__.main (task 1)") == [
        ("task", "first (task 2)"),
        ("task", "second (task 3)"),
        ("timer", "first (task 2)"),
        ("timer", "second (task 3)"),
    ]
    assert ("task", "__main__.main (task 1)") in wakes(events)


LOST = """\
import asyncio


async def forgotten():
    future = asyncio.get_running_loop().create_future()
    await future


async def main():
    task = asyncio.create_task(forgotten(), name="forgotten")
    await asyncio.wait([task], timeout=0.2)
    print("gave up")


asyncio.run(main())
"""

LOST_LINT = (
    "desugar: lint: task 2 'forgotten': lost-wakeup: is pending on an asyncio Future that "
    "nothing outside its own await chain references: nothing can complete it, it will wait forever\n"
    "    at prog.py:6 in prog::forgotten\n"
)


@pytest.mark.parametrize("lowering", LOWERINGS)
def test_lost_wakeup_on_an_asyncio_future_nobody_keeps(tmp_path: Path, lowering: str) -> None:
    ran = run(tmp_path, LOST, "--lint", lowering=lowering)
    assert ran.stdout == "gave up\n"
    report = LOST_LINT.replace("desugar: lint: ", "  ").replace("\n    at", "\n      at")
    assert ran.stderr == LOST_LINT + "desugar: lint report: 1 warning\n" + report


def test_a_future_someone_keeps_is_not_a_lost_wakeup(tmp_path: Path) -> None:
    kept = LOST.replace("    future = asyncio", "    global future\n    future = asyncio")
    ran = run(tmp_path, kept, "--lint")
    assert ran.stdout == "gave up\n"
    assert ran.stderr == "desugar: lint: no warnings\n"


BUSY = {
    "asyncio": """\
        import asyncio


        async def spin():
            for _ in range(30):
                await asyncio.sleep(0)


        async def main():
            await asyncio.create_task(spin(), name="spin")


        asyncio.run(main())
        """,
    "trio": """\
        import trio


        async def spin():
            for _ in range(30):
                await trio.sleep(0)


        async def main():
            async with trio.open_nursery() as nursery:
                nursery.start_soon(spin, name="spin")


        trio.run(main)
        """,
    "executor": """\
        from desugar.runtime import block_on, spawn, yield_now


        async def spin():
            for _ in range(30):
                await yield_now()


        async def main():
            await spawn(spin())


        block_on(main())
        """,
}


@pytest.mark.parametrize(
    "driver, lowering", [(driver, "poll") for driver in sorted(BUSY)] + [("asyncio", "native")]
)
def test_a_busy_sleep_0_loop_wakes_itself(tmp_path: Path, driver: str, lowering: str) -> None:
    ran = run(tmp_path, BUSY[driver], "--lint", lowering=lowering)
    first = ran.stderr.splitlines()[:2]
    name = "prog::spin" if driver == "executor" else "spin"
    assert first == [
        f"desugar: lint: task 2 '{name}': self-wakes: woke itself for 19 of its 20 wakeups "
        "(a busy loop of sleep(0)?)",
        "    at prog.py:6 in prog::spin",
    ], ran.stderr
    assert "desugar: lint report: 1 warning\n" in ran.stderr


# Under trio every operation ends at a checkpoint that reschedules the task itself; only the
# self-wakes at a checkpoint the program asked for (trio.sleep(0), trio.lowlevel.checkpoint())
# with nothing done since the last one (no other task woken, no operation passed) count.
TRIO_SPIN_UNTIL = """\
    import trio

    flag = False


    async def setter():
        global flag
        await trio.sleep(0.05)
        flag = True


    async def spin():
        while not flag:
            await trio.sleep(0)


    async def main():
        async with trio.open_nursery() as nursery:
            nursery.start_soon(setter, name="setter")
            nursery.start_soon(spin, name="spin")


    trio.run(main)
    """


@pytest.mark.parametrize("lowering", ["poll", "native"])
def test_a_trio_task_spinning_on_a_flag_wakes_itself(tmp_path: Path, lowering: str) -> None:
    ran = run(tmp_path, TRIO_SPIN_UNTIL, "--lint", "--slow-poll", "60000", lowering=lowering)
    assert ran.stderr.splitlines() == [
        "desugar: lint: task 3 'spin': self-wakes: woke itself for 19 of its 20 wakeups "
        "(a busy loop of sleep(0)?)",
        "    at prog.py:14 in prog::spin",
        "desugar: lint report: 1 warning",
        "  task 3 'spin': self-wakes: woke itself for 19 of its 20 wakeups "
        "(a busy loop of sleep(0)?)",
        "      at prog.py:14 in prog::spin",
    ], ran.stderr


TRIO_CHANNEL = """\
    import math

    import trio


    async def produce(send_channel):
        async with send_channel:
            for i in range(300):
                await send_channel.send(i)
                CHECKPOINT


    async def consume(receive_channel, got):
        async with receive_channel:
            async for item in receive_channel:
                got.append(item)


    async def main():
        got = []
        send_channel, receive_channel = trio.open_memory_channel(BUFFER)
        async with trio.open_nursery() as nursery:
            nursery.start_soon(produce, send_channel, name="producer")
            nursery.start_soon(consume, receive_channel, got, name="consumer")
        print(len(got), sum(got))


    trio.run(main)
    """


@pytest.mark.parametrize("lowering", ["poll", "native"])
@pytest.mark.parametrize("buffer", ["0", "math.inf"])
@pytest.mark.parametrize("checkpoint", ["pass", "await trio.lowlevel.checkpoint()"])
def test_trio_sends_taken_by_a_receiver_are_not_self_wakes(
    tmp_path: Path, lowering: str, buffer: str, checkpoint: str
) -> None:
    # (each send reschedules the producer at its own checkpoint, and a checkpoint after a send
    # follows an operation: neither is a busy loop, with a rendezvous or an unbounded buffer)
    source = TRIO_CHANNEL.replace("BUFFER", buffer).replace("CHECKPOINT", checkpoint)
    ran = run(tmp_path, source, "--lint", "--slow-poll", "60000", lowering=lowering)
    assert ran.stdout == "300 44850\n"
    assert ran.stderr == "desugar: lint: no warnings\n"


TRIO_COMPUTE = """\
    import trio


    async def crunch():
        total = 0
        for i in range(30):
            total += sum(range(i * 1000))
            await trio.lowlevel.checkpoint()
        return total


    trio.run(crunch)
    """


def test_a_trio_loop_yielding_between_computations_is_reported_as_asyncio_s(
    tmp_path: Path,
) -> None:
    # (a computation is invisible to the scheduler: yielding after one is yielding with
    # nothing else done, as `await asyncio.sleep(0)` after one is under asyncio)
    ran = run(tmp_path, TRIO_COMPUTE, "--lint", "--slow-poll", "60000")
    assert ran.stderr.splitlines()[:2] == [
        "desugar: lint: task 1 '__main__.crunch': self-wakes: woke itself for 19 of its 20 "
        "wakeups (a busy loop of sleep(0)?)",
        "    at prog.py:8 in prog::crunch",
    ], ran.stderr


# Under asyncio (and the executor) too, a self-wake counts only if the task woke no other task
# since its last one: waking a waiting task then yielding hands it the loop, it is not busy.
ASYNCIO_SPIN_UNTIL = """\
    import asyncio

    flag = False


    async def setter():
        global flag
        await asyncio.sleep(0.05)
        flag = True


    async def spin():
        while not flag:
            await asyncio.sleep(0)


    async def main():
        await asyncio.gather(
            asyncio.create_task(setter(), name="setter"), asyncio.create_task(spin(), name="spin")
        )


    asyncio.run(main())
    """

#: (the C runtime's or the pure-Python runtime's recording: DESUGAR_PURE_PYTHON)
RUNTIMES = {"c": {"DESUGAR_PURE_PYTHON": "0"}, "pure": {"DESUGAR_PURE_PYTHON": "1"}}


@pytest.mark.parametrize("runtime", sorted(RUNTIMES))
@pytest.mark.parametrize("lowering", LOWERINGS)
def test_an_asyncio_task_spinning_on_a_flag_wakes_itself(
    tmp_path: Path, lowering: str, runtime: str
) -> None:
    ran = run(tmp_path, ASYNCIO_SPIN_UNTIL, "--lint", "--slow-poll", "60000", lowering=lowering,
              env=RUNTIMES[runtime])
    assert ran.stderr.splitlines() == [
        "desugar: lint: task 3 'spin': self-wakes: woke itself for 19 of its 20 wakeups "
        "(a busy loop of sleep(0)?)",
        "    at prog.py:14 in prog::spin",
        "desugar: lint report: 1 warning",
        "  task 3 'spin': self-wakes: woke itself for 19 of its 20 wakeups "
        "(a busy loop of sleep(0)?)",
        "      at prog.py:14 in prog::spin",
    ], ran.stderr


ASYNCIO_WAKES_ANOTHER = {
    "queue": """\
        import asyncio


        async def consume(queue, got):
            while (item := await queue.get()) is not None:
                got.append(item)


        async def produce(queue):
            for i in range(300):
                queue.put_nowait(i)
                await asyncio.sleep(0)
            queue.put_nowait(None)


        async def main():
            queue, got = asyncio.Queue(), []
            consumer = asyncio.create_task(consume(queue, got), name="consumer")
            await asyncio.create_task(produce(queue), name="producer")
            await consumer
            print(len(got), sum(got))


        asyncio.run(main())
        """,
    "event": """\
        import asyncio


        async def wait(event, got):
            for i in range(300):
                await event.wait()
                event.clear()
                got.append(i)


        async def set_(event):
            for _ in range(300):
                event.set()
                await asyncio.sleep(0)


        async def main():
            event, got = asyncio.Event(), []
            waiter = asyncio.create_task(wait(event, got), name="waiter")
            await asyncio.create_task(set_(event), name="setter")
            await waiter
            print(len(got), sum(got))


        asyncio.run(main())
        """,
}


@pytest.mark.parametrize("runtime", sorted(RUNTIMES))
@pytest.mark.parametrize("lowering", LOWERINGS)
@pytest.mark.parametrize("how", sorted(ASYNCIO_WAKES_ANOTHER))
def test_asyncio_yields_after_waking_another_task_are_not_self_wakes(
    tmp_path: Path, how: str, lowering: str, runtime: str
) -> None:
    # (put_nowait to a waiting getter, or set() of an Event another task waits on, then
    # sleep(0): each yield follows a wake of the other task, 300 times)
    ran = run(tmp_path, ASYNCIO_WAKES_ANOTHER[how], "--lint", "--slow-poll", "60000",
              lowering=lowering, env=RUNTIMES[runtime])
    assert ran.stdout == "300 44850\n"
    assert ran.stderr == "desugar: lint: no warnings\n"


SLOW = """\
import asyncio
import time


async def blocker():
    await asyncio.sleep(0)
    time.sleep(0.3)


async def main():
    await asyncio.create_task(blocker(), name="blocker")


asyncio.run(main())
"""


def test_a_poll_that_blocks_the_loop_is_reported_with_the_line_that_ran(tmp_path: Path) -> None:
    ran = run(tmp_path, SLOW, "--lint")
    stderr = re.sub(r"for \d+ ms", "for N ms", ran.stderr)
    lint = (
        "task 2 'blocker': slow-poll: a poll blocked the loop for N ms (over 100 ms) at prog.py:7\n"
    )
    assert stderr == (
        "desugar: lint: " + lint + "    at prog.py:7 in prog::blocker\n"
        "desugar: lint report: 1 warning\n"
        "  " + lint + "      at prog.py:7 in prog::blocker\n"
    )
    assert int(re.search(r"for (\d+) ms", ran.stderr)[1]) >= 300


def test_the_slow_poll_threshold_is_settable(tmp_path: Path) -> None:
    ran = run(tmp_path, SLOW, "--lint", "--slow-poll", "1000")
    assert ran.stderr == "desugar: lint: no warnings\n"


NEVER_RETRIEVED = {
    "asyncio": """\
        import asyncio


        async def fail():
            raise ValueError("lost")


        async def main():
            asyncio.create_task(fail(), name="fail")
            await asyncio.sleep(0.01)


        asyncio.run(main())
        """,
    "executor": """\
        from desugar.runtime import block_on, spawn, sleep


        async def fail():
            raise ValueError("lost")


        async def main():
            spawn(fail())
            await sleep(0.01)


        block_on(main())
        """,
}


@pytest.mark.parametrize("driver", sorted(NEVER_RETRIEVED))
def test_an_exception_never_retrieved(tmp_path: Path, driver: str) -> None:
    ran = run(tmp_path, NEVER_RETRIEVED[driver], "--lint")
    name = "fail" if driver == "asyncio" else "prog::fail"
    assert (
        f"desugar: lint: task 2 '{name}': never-retrieved: raised ValueError: lost and nobody "
        "retrieved it\n    at prog.py:5 in prog::fail\n"
    ) in ran.stderr, ran.stderr
    assert "desugar: lint report: 1 warning\n" in ran.stderr


WAKE_AFTER = """\
from desugar.runtime import Future, Ready, block_on, spawn

wakers = []


class Grab(Future):
    def poll(self, cx):
        wakers.append(cx.waker())
        return Ready(None)


async def child():
    await Grab()


async def main():
    await spawn(child())
    wakers[0].wake()


block_on(main())
"""


def test_a_wake_after_completion(tmp_path: Path) -> None:
    ran = run(tmp_path, WAKE_AFTER, "--lint")
    assert ran.stderr.startswith(
        "desugar: lint: task 2 'prog::child': wake-after-completion: was woken after it "
        "completed (by task)\n"
    ), ran.stderr


SPANS = """\
import asyncio, json, threading
from desugar import trace


async def fetch(n):
    await asyncio.sleep(0.01)
    return n


async def main():
    with trace.span("batch", size=2):
        snapshot = trace.current().snapshot()
        value = await trace.instrument(fetch(1), "fetch", n=1)
    print(value)
    json.dumps(snapshot)
    task = snapshot["tasks"][0]
    print(task["name"], task["state"], task["spans"], task["location"])
    print(sorted(snapshot), sorted(task))


asyncio.run(main())
"""


def test_spans_show_in_the_snapshot_and_in_the_trace(tmp_path: Path) -> None:
    ran = run(tmp_path, SPANS, "--trace", "out.json", lowering="native")
    assert ran.stdout.splitlines() == [
        "1",
        "Task-1 running [{'name': 'batch', 'fields': {'size': 2}}] prog.py:10",
        "['driver', 'pid', 'program', 'tasks', 'time', 'warnings'] "
        "['awaits', 'busy', 'chain', 'id', 'idle', 'location', 'name', 'parent', 'poll_times', "
        "'polls', 'scheduled', 'scheduled_times', 'spans', 'state', 'warnings', 'woken_by']",
    ], ran.stderr
    events = trace_of(tmp_path)
    spans = [(e["tid"], e["name"], e["args"]) for e in events if e.get("cat") == "span"]
    assert spans == [
        (1_000_001, "fetch", {"n": 1}),
        (1_000_001, "fetch", {"n": 1}),
        (1_000_001, "batch", {"size": 2}),
    ]
    assert names(events)[1_000_001] == "Task-1 spans (task 1)"


def test_the_event_ring_keeps_the_last_n(tmp_path: Path) -> None:
    ran = run(tmp_path, STACK_OVER_TIME, "--trace", "out.json", "--trace-events", "3")
    assert ran.stderr == "desugar run: trace written to out.json (3 events)\n"
    assert [p[1] for p in polls(trace_of(tmp_path))] == ["pending", "ready"]


def test_without_the_options_nothing_is_recorded(tmp_path: Path) -> None:
    ran = run(tmp_path, "import sys\nprint('desugar.trace' in sys.modules)\n")
    assert (ran.stdout, ran.stderr) == ("False\n", "")


def masked(text: str) -> str:
    """``text`` with the measured times (``for 306 ms``) left out."""
    return re.sub(r"for \d+ ms", "for N ms", text)


@pytest.mark.parametrize("page", ["README.md", "docs/trace.md"])
def test_the_lint_report_shown_is_what_desugar_run_lint_prints(page: str) -> None:
    text = (ROOT / page).read_text(encoding="utf-8")
    shown = re.search(r"desugar run --lint examples/lints.py\n```\n\n```\n(.*?)```", text, re.S)
    assert shown, f"{page} shows no lint report"
    ran = subprocess.run(
        [sys.executable, "-m", "desugar", "run", "--lint", "examples/lints.py"], cwd=ROOT,
        capture_output=True, text=True, timeout=120, env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )
    assert ran.stdout == "done; the waiter still waits: True\n"
    expected = masked(shown[1])
    got = masked(ran.stderr)
    if expected.endswith("...\n"):  # (the page shows the first lines)
        expected = expected[: -len("...\n")]
        got = got[: len(expected)]
    # Which lint fires first depends on the machine's speed (the spinner's twenty
    # wakeups against main's 10 ms sleep): the warnings are compared as a set,
    # each with its lines, in the running log and in the report alike.
    assert lint_blocks(got) == lint_blocks(expected)


def lint_blocks(text: str) -> list[list[str]]:
    """``--lint``'s output as its parts (the running log, then the report), each part's
    warnings (a line and the indented lines under it) in sorted order."""
    parts: list[list[str]] = [[]]
    for line in text.splitlines():
        if line.startswith("desugar: lint report:"):
            parts.append([line])
            parts.append([])
        elif line.startswith(("desugar: lint: ", "  task ")) or not parts[-1]:
            parts[-1].append(line)
        else:
            parts[-1][-1] += "\n" + line
    return [sorted(part) for part in parts]


def svg_rows(svg: str) -> list[str]:
    return re.findall(r'<text x="8" y="\d+">([^<]*\(task \d+\))</text>', svg)


def test_the_timeline_picture_is_drawn_from_a_real_trace(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("timeline", ROOT / "docs" / "timeline.py")
    timeline = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(timeline)  # type: ignore[union-attr]
    drawn = timeline.draw(tmp_path, tmp_path / "timeline.svg")
    rows = svg_rows(drawn)
    assert rows[:3] == ["Task-1 (task 1)", "worker-0 (task 2)", "worker-1 (task 3)"]
    assert [row for row in rows if row.startswith("worker-")] == [
        f"worker-{i} (task {i + 2})" for i in range(16)
    ]
    # (asyncio.run's own closing tasks follow, numbered as the version's asyncio numbers them)
    ours = [row for row in rows if row.startswith(("Task-1 ", "worker-"))]
    committed = svg_rows(timeline.PICTURE.read_text(encoding="utf-8"))
    assert [row for row in committed if row.startswith(("Task-1 ", "worker-"))] == ours
    events = json.loads((tmp_path / "crawler.json").read_text(encoding="utf-8"))["traceEvents"]
    validate(events)
    functions = {e["name"] for e in events if e.get("cat") == "await"}
    assert functions == {"crawler::main", "crawler::worker", "crawler::fetch", "crawler::read_body"}
    assert {e["name"] for e in events if e.get("cat") == "span"} == {"fetch"}


def chromium_missing() -> str | None:
    import shutil

    for program in ("chromium", "chromedriver"):
        if shutil.which(program) is None:
            return f"no {program} on PATH to open the trace in"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "Selenium is not installed to drive Chromium"
    return None


@pytest.mark.skipif(chromium_missing() is not None, reason=str(chromium_missing()))
def test_the_trace_of_a_crawler_opens_in_chromiums_trace_viewer(tmp_path: Path) -> None:
    import struct

    spec = importlib.util.spec_from_file_location("timeline", ROOT / "docs" / "timeline.py")
    timeline = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(timeline)  # type: ignore[union-attr]
    trace_file = timeline.run_traced(tmp_path)
    events = json.loads(trace_file.read_text(encoding="utf-8"))["traceEvents"]
    tracks = [e["args"]["name"] for e in events if e.get("name") == "thread_name"]
    assert [name for name in tracks if re.fullmatch(r"worker-\d+ \(task \d+\)", name)] != []
    assert len([name for name in tracks if name.startswith("worker-") and "spans" not in name]) == 16
    shown = timeline.screenshot(trace_file, tmp_path / "shot.png")
    assert shown["loaded"], "the viewer still shows its landing page: the trace did not load"
    # The viewer's summary of the window it was zoomed to: the drag covers a part of the
    # overview, which spans the whole trace (how many ms a pixel is depends on the run's length).
    shown_range = re.search(r"^Range: (\d+) ms – (\d+) ms$", shown["text"], re.M)
    assert shown_range is not None, shown["text"]
    stamps = [e["ts"] for e in events if "ts" in e] + [e["ts"] + e["dur"] for e in events if "dur" in e]
    whole_ms = (max(stamps) - min(stamps)) / 1000
    start, end = int(shown_range[1]), int(shown_range[2])
    assert 0 <= start < end and end - start < whole_ms / 2, (start, end, whole_ms)
    # The viewer names the tracks it opened as the trace file names the tasks' threads.
    named = {f'{e["args"]["name"]} ({e["tid"]})' for e in events if e.get("name") == "thread_name"}
    assert len(shown["expanded"]) == 4 and set(shown["expanded"]) <= named
    data = (tmp_path / "shot.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == tuple(shown["size"]) and width >= 1200 and height >= 800
    assert len(data) > 50_000  # (a blank page of that size compresses to a few kB)
    committed = timeline.SCREENSHOT.read_bytes()
    assert committed[:8] == data[:8] and struct.unpack(">II", committed[16:24]) == (width, height)


def test_the_articles_figure_drawn_from_the_trace_of_one_task(tmp_path: Path) -> None:
    run(tmp_path, STACK_OVER_TIME, "--trace", "out.json")
    from desugar.trace import diagram

    events = trace_of(tmp_path)
    assert [column.frames for column in diagram.columns(events)] == [
        ("foo", "sleep"), ("foo", "bar", "sleep"), ("foo", "bar", "baz", "sleep"), ("foo", "bar", "baz"),
    ]
    drawn = subprocess.run(
        [sys.executable, "-m", "desugar.trace.diagram", "out.json", "--task", "prog::foo",
         "--width", "200"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )
    assert drawn.stderr == ""
    assert drawn.stdout.count(" sleep ") == 3 and drawn.stdout.count(" baz ") == 2
    assert drawn.stdout.count("prog::foo") == 4


EXECUTOR_LOST = """\
from desugar.runtime import Future, Pending, block_on, select, sleep, spawn

kept = []


class Forgetful(Future):
    def poll(self, cx):
        return Pending  # (keeps no waker: nothing will wake its task)


async def forgotten():
    await Forgetful()


async def main():
    handle = spawn(forgotten())
    await select(handle, sleep(0.2))
    print("gave up")


block_on(main())
"""


@pytest.mark.parametrize("lowering", LOWERINGS)
def test_lost_wakeup_of_an_executor_task_whose_waker_nobody_keeps(tmp_path: Path, lowering: str) -> None:
    ran = run(tmp_path, EXECUTOR_LOST, "--lint", lowering=lowering)
    assert ran.stdout == "gave up\n"
    lint = (
        "task 2 'prog::forgotten': lost-wakeup: is pending and nothing outside its own await "
        "chain holds its waker: nothing can wake it, it will wait forever\n"
    )
    assert ran.stderr == (
        "desugar: lint: " + lint + "    at prog.py:12 in prog::forgotten\n"
        "desugar: lint report: 1 warning\n"
        "  " + lint + "      at prog.py:12 in prog::forgotten\n"
    )


def test_a_waker_someone_keeps_is_not_a_lost_wakeup(tmp_path: Path) -> None:
    keeping = EXECUTOR_LOST.replace(
        "        return Pending  # (keeps no waker: nothing will wake its task)",
        "        kept.append(cx.waker().clone())\n        return Pending",
    )
    ran = run(tmp_path, keeping, "--lint")
    assert (ran.stdout, ran.stderr) == ("gave up\n", "desugar: lint: no warnings\n")


TRIO_LOST = """\
import trio


async def forgotten():
    {setup}
    {wait}


async def main():
    async with trio.open_nursery() as nursery:
        nursery.start_soon(forgotten, name="forgotten")
        await trio.sleep(0.2)
        print("gave up")
        nursery.cancel_scope.cancel()


trio.run(main)
"""

#: A trio task that waits on what nothing else can reach: (its setup, its wait, what the lint says).
TRIO_LOST_WAITS = {
    "event": (
        "event = trio.Event()", "await event.wait()",
        "is pending on a trio.Event that nothing outside its own await chain references: "
        "nothing can wake it, it will wait forever",
    ),
    "channel": (
        "send, receive = trio.open_memory_channel(0)", "await receive.receive()",
        "is pending on a trio.MemoryReceiveChannel that nothing outside its own await chain "
        "references: nothing can wake it, it will wait forever",
    ),
    "rescheduled": (
        "abort = lambda _: trio.lowlevel.Abort.SUCCEEDED",
        "await trio.lowlevel.wait_task_rescheduled(abort)",
        "is pending in trio._core._traps::wait_task_rescheduled and nothing outside its own "
        "await chain holds the task: nothing can reschedule it, it will wait forever",
    ),
}


@pytest.mark.parametrize("lowering", LOWERINGS)
@pytest.mark.parametrize("kind", sorted(TRIO_LOST_WAITS))
def test_lost_wakeup_of_a_trio_task_nothing_can_reschedule(tmp_path: Path, kind: str, lowering: str) -> None:
    setup, wait, message = TRIO_LOST_WAITS[kind]
    # (--slow-poll: a loaded machine's slow poll is not what this test is about)
    ran = run(tmp_path, TRIO_LOST.format(setup=setup, wait=wait), "--lint", "--slow-poll", "10000",
              lowering=lowering)
    assert ran.stdout == "gave up\n"
    lint = f"task 2 'forgotten': lost-wakeup: {message}\n"
    assert ran.stderr == (
        "desugar: lint: " + lint + "    at prog.py:6 in prog::forgotten\n"
        "desugar: lint report: 1 warning\n"
        "  " + lint + "      at prog.py:6 in prog::forgotten\n"
    )
    if kind == "event":  # (docs/trace.md shows this run's lint)
        shown = (ROOT / "docs" / "trace.md").read_text(encoding="utf-8")
        assert "desugar: lint: " + lint + "    at prog.py:6 in prog::forgotten\n" in shown


def test_a_trio_event_a_global_keeps_is_not_a_lost_wakeup(tmp_path: Path) -> None:
    setup, wait, _ = TRIO_LOST_WAITS["event"]
    kept = TRIO_LOST.format(setup="global event\n    " + setup, wait=wait)
    ran = run(tmp_path, kept, "--lint", "--slow-poll", "10000")
    assert (ran.stdout, ran.stderr) == ("gave up\n", "desugar: lint: no warnings\n")


TRIO_WAITS = """\
import trio


async def waiter(event):
    await event.wait()
    print("set")


async def setter(event):
    await trio.sleep(0.1)
    event.set()


async def receiver(channel):
    print(await channel.receive())


async def sender(channel):
    await trio.sleep(0.4)
    await channel.send("sent")


async def parked():
    await trio.sleep_forever()


async def bounded():
    with trio.move_on_after(0.7):
        await trio.Event().wait()
    print("timed out")


async def parent():
    async with trio.open_nursery() as nursery:
        nursery.start_soon(trio.sleep, 0.4)


async def main():
    event = trio.Event()
    send, receive = trio.open_memory_channel(0)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(waiter, event)
        nursery.start_soon(setter, event)
        nursery.start_soon(receiver, receive)
        nursery.start_soon(sender, send)
        del send, receive, event
        nursery.start_soon(parked)
        nursery.start_soon(bounded)
        nursery.start_soon(parent)
        await trio.sleep(1.3)
        nursery.cancel_scope.cancel()
    print("done")


trio.run(main)
"""


@pytest.mark.parametrize("lowering", LOWERINGS)
def test_trio_tasks_that_something_can_wake_are_not_lost_wakeups(tmp_path: Path, lowering: str) -> None:
    # (an Event another task holds, a channel whose sender is alive, sleep_forever (it waits to
    # be cancelled), a wait under a deadline, a parent waiting for its nursery's children; the
    # lint checks them at rest, more than once over the run's 1.3 s)
    ran = run(tmp_path, TRIO_WAITS, "--lint", "--slow-poll", "10000", lowering=lowering)
    assert ran.stdout == "set\nsent\ntimed out\ndone\n"
    assert ran.stderr == "desugar: lint: no warnings\n"


TRIO_CORPUS = sorted(
    path for path in (ROOT / "tests" / "driver_corpus").glob("*.py") if "import trio" in path.read_text()
)
#: What the corpus's programs take from the driver tests' module.
CORPUS_PRELUDE = """\
from traceback import extract_tb as _tb
def frames(error, hide_runtime=False):
    return [f"{f.name}:{f.lineno}" for f in _tb(error.__traceback__)]
def chain(error, frames=frames):
    return (type(error).__name__, error.args, frames(error))
def ends(f):
    return f if len(f) < 2 else [f[0], f[-1]]
"""


@pytest.mark.parametrize("lowering", LOWERINGS)
@pytest.mark.parametrize("path", TRIO_CORPUS, ids=lambda path: path.stem)
def test_the_trio_corpus_has_no_lost_wakeup(tmp_path: Path, path: Path, lowering: str) -> None:
    ran = run(tmp_path, CORPUS_PRELUDE + path.read_text(encoding="utf-8"), "--lint", lowering=lowering)
    assert ran.returncode == 0, ran.stderr
    assert "lost-wakeup" not in ran.stderr
    assert "desugar: lint" in ran.stderr


MANY_TASKS = """\
import asyncio


async def leaf(n):
    await asyncio.sleep(0.01 * (n % 3))


async def worker(n):
    for _ in range(n % 4 + 1):
        await leaf(n)
    await asyncio.sleep(0)


async def main():
    tasks = [asyncio.create_task(worker(n), name=f"worker-{n}") for n in range(30)]
    tasks += [asyncio.create_task(worker(n), name="twin") for n in (1, 2)]
    await asyncio.gather(*tasks)
    print("done")


asyncio.run(main())
"""


def desugar(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "desugar", *args], cwd=tmp_path, capture_output=True, text=True,
        timeout=120, env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )


def svg_figure(path: Path) -> tuple[list[list[str]], list[str]]:
    """The SVG figure's columns (each its boxes, youngest first) and their task labels."""
    import xml.etree.ElementTree as ET

    svg = "{http://www.w3.org/2000/svg}"
    groups = [g for g in ET.parse(path).getroot().iter(f"{svg}g") if g.get("class") == "column"]
    return (
        [[t.text for t in g if t.get("class") == "frame"] for g in groups],
        [t.text for g in groups for t in g if t.get("class") == "task"],
    )


@pytest.mark.parametrize("lowering", LOWERINGS)
def test_desugar_diagram_draws_one_task_of_a_trace_a_column_per_poll(tmp_path: Path, lowering: str) -> None:
    ran = run(tmp_path, MANY_TASKS, "--trace", "out.json", lowering=lowering)
    assert ran.stdout == "done\n", ran.stderr
    events = trace_of(tmp_path)
    tid = next(t for t, name in names(events).items() if name.startswith("worker-7 ("))
    drawn = desugar(tmp_path, "diagram", "--trace", "out.json", "--task", "worker-7",
                    "-o", "fig.txt", "--svg", "fig.svg")
    assert (drawn.returncode, drawn.stdout, drawn.stderr) == (0, "", "")
    stacks, labels = svg_figure(tmp_path / "fig.svg")
    # (worker(7): four sleeps of 10 ms in leaf, a sleep(0), and its end)
    assert stacks == [["an asyncio Future", "leaf", "worker"]] * 4 + [
        ["asyncio.tasks::sleep", "worker"], ["worker"],
    ]
    assert labels == ["worker-7"] * 6
    # The columns are the task's polls as the trace records them, in order.
    recorded = polls(events, tid)
    assert [p[1] for p in recorded] == ["pending"] * 5 + ["ready"]
    assert [[f.split(" at ")[0].split("::")[-1] for f in p[3]] for p in recorded] == [
        list(reversed(stack))[: len(p[3])] for stack, p in zip(stacks, recorded)
    ]
    text = (tmp_path / "fig.txt").read_text(encoding="utf-8")
    assert text.count("worker-7") == 6 and "worker-6" not in text
    # The same task by its track's name and by its id.
    for chosen in (f"worker-7 (task {tid})", str(tid)):
        again = desugar(tmp_path, "diagram", "--trace", "out.json", "--task", chosen)
        assert (again.returncode, again.stdout) == (0, text), again.stderr


def test_desugar_diagram_labels_tasks_that_share_a_name_with_their_ids(tmp_path: Path) -> None:
    run(tmp_path, MANY_TASKS, "--trace", "out.json")
    twins = sorted(t for t, name in names(trace_of(tmp_path)).items() if name.startswith("twin ("))
    drawn = desugar(tmp_path, "diagram", "--trace", "out.json", "--task", "twin", "--svg", "fig.svg")
    assert drawn.returncode == 0, drawn.stderr
    _, labels = svg_figure(tmp_path / "fig.svg")
    # (twin(1): two leaf sleeps, twin(2): three; each a sleep(0) and its end)
    assert sorted(labels) == [f"twin (task {twins[0]})"] * 4 + [f"twin (task {twins[1]})"] * 5


def test_desugar_diagram_of_a_trace_errors(tmp_path: Path) -> None:
    run(tmp_path, MANY_TASKS, "--trace", "out.json")
    tracks = names(trace_of(tmp_path))
    workers = ", ".join(f"worker-{n} (task {n + 2})" for n in range(30))
    rest = "".join(f", {tracks[t]}" for t in sorted(tracks) if t > 33)  # (asyncio.run's own, at its end)
    unknown = desugar(tmp_path, "diagram", "--trace", "out.json", "--task", "wroker-7")
    assert (unknown.returncode, unknown.stdout) == (1, "")
    assert unknown.stderr == (
        "desugar diagram: no task 'wroker-7' in out.json; the tasks are: Task-1 (task 1), "
        f"{workers}, twin (tasks 32-33){rest}\n"
    )
    both = desugar(tmp_path, "diagram", "--trace", "out.json", "prog.py")
    assert both.returncode == 2 and both.stderr.endswith(
        "\nError: --trace draws a run that desugar run --trace recorded and runs no program: "
        "leave out 'prog.py', or leave out --trace to run it.\n"
    )
    neither = desugar(tmp_path, "diagram", "--task", "worker-7")
    assert neither.returncode == 2 and neither.stderr.endswith(
        "\nError: give the program to run (TARGET), or --trace FILE to draw a run desugar run "
        "--trace recorded.\n"
    )
    missing = desugar(tmp_path, "diagram", "--trace", "missing.json")
    assert (missing.returncode, missing.stderr) == (
        1, "desugar diagram: cannot read missing.json: No such file or directory\n"
    )
    (tmp_path / "other.json").write_text('{"name": "not a trace"}', encoding="utf-8")
    other = desugar(tmp_path, "diagram", "--trace", "other.json")
    assert (other.returncode, other.stderr) == (
        1, "desugar diagram: other.json holds no trace events; give the file desugar run --trace wrote\n"
    )
    (tmp_path / "prog.py").write_text("print(", encoding="utf-8")
    broken = desugar(tmp_path, "diagram", "--trace", "prog.py")
    assert broken.returncode == 1 and broken.stderr.startswith(
        "desugar diagram: prog.py is not a trace file (Expecting value: line 1 column 1 (char 0)); "
    )


TWIN_PROGRAM = '''\
import asyncio

async def child(n):
    for _ in range(n):
        await asyncio.sleep(0)
    return n

async def main():
    loop = asyncio.get_running_loop()
    task = asyncio.create_task(child(2), name="child")
    await asyncio.sleep(0)
    total = 0
    for value in (2, 3):  # (the second wait's future is described by its type alone)
        future = loop.create_future()
        loop.call_soon(future.set_result, value)
        total += await future
    return await task + total
'''


@pytest.fixture(params=["python", "c"])
def recorder_twin(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each implementation of the recorder's hot path in turn (`desugar.trace._recorder.speedups`:
    the C runtime's `Walker`, `EventRing`, `StepHook` and `WakeHook`, or their Python twins)."""
    from support import NO_C_TWIN, twins

    from desugar.trace import _recorder

    module = None
    if request.param == "c":
        if twins()[1] is None:
            pytest.skip(NO_C_TWIN)
        from desugar.runtime import _speedups as module
    monkeypatch.setattr(_recorder, "speedups", lambda: module)
    return request.param


def test_the_c_and_the_python_recorder_record_the_same(recorder_twin: str) -> None:
    """A small asyncio program's records, without their times, from either implementation of
    the hot path (a task's polls after its first, and the wakes one task makes of another)."""
    import asyncio

    from desugar import trace
    from desugar.trace import _recorder

    namespace: dict[str, Any] = {}
    exec(compile(TWIN_PROGRAM, "<twin>", "exec"), namespace)
    recorder = trace.start("twin")
    try:
        assert asyncio.run(namespace["main"]()) == 7
    finally:
        recorder.stop()
    implementation = "python" if _recorder.walk is _recorder.py_walk else "c"
    assert implementation == recorder_twin
    assert type(recorder.events).__name__ == {"python": "deque", "c": "EventRing"}[implementation]
    names = {record.id: record.name for record in recorder.tasks.values()}
    names[1] = "main"  # (asyncio numbers its tasks' names across runs; and asyncio.run's own)
    names.update({tid: "asyncio.run's" for tid in names if tid > 2})
    events = []
    for event in recorder.events:
        if event[0] == "P":
            _, tid, start, end, raw, outcome, waits, flow = event
            assert start <= end
            chain = [f"{function}:{line}" for function, _, line in _recorder.visible(raw)]
            events.append(("P", names[tid], chain, outcome, waits, flow != 0))
        else:
            _, tid, at, flow, kind = event
            events.append(("W", names.get(tid, ""), kind))
    assert events == [
        ("W", "", "other"),  # (asyncio.run's call_soon of main's first step)
        ("W", "main", "task"),  # (create_task)
        ("W", "main", "self"),
        ("P", "main", ["<twin>::main:11"], "pending", None, True),
        ("W", "child", "self"),
        ("P", "child", ["<twin>::child:5"], "pending", None, True),
        ("P", "main", ["<twin>::main:16"], "pending", "an asyncio Future", False),
        ("W", "child", "self"),
        ("P", "child", ["<twin>::child:5"], "pending", None, True),
        ("W", "", "other"),  # (the future's result, set by a callback)
        ("P", "child", ["<twin>::child:5"], "ready", "", False),
        ("P", "main", ["<twin>::main:16"], "pending", "an asyncio Future", True),
        ("W", "", "other"),
        ("P", "main", ["<twin>::main:16"], "ready", "", True),
        ("W", "", "other"),
        ("P", "asyncio.run's", [], "ready", "", True),
        ("W", "", "other"),
        ("P", "asyncio.run's", [], "ready", "", True),
    ]
    tasks = {task["id"]: task for task in recorder.snapshot()["tasks"]}
    assert [(names[tid], task["polls"], task["woken_by"], task["state"], task["location"])
            for tid, task in sorted(tasks.items()) if tid <= 2] == [
        ("main", 4, {"self": 1, "task": 0, "timer": 0, "io": 0, "other": 3}, "done", "<twin>:16"),
        ("child", 3, {"self": 2, "task": 1, "timer": 0, "io": 0, "other": 0}, "done", "<twin>:5"),
    ]


    from collections import deque

    child = next(record for record in recorder.tasks.values() if record.name == "child")
    assert {slot: getattr(child, slot) for slot in (
        "driver", "parent", "system", "spins", "progressed", "spans", "warnings", "fired",
        "leaf", "running_at", "obj", "awaits", "running", "waits",
    )} == {
        "driver": "asyncio", "parent": 1, "system": False, "spins": 0, "progressed": False,
        "spans": (), "warnings": (), "fired": (), "leaf": None, "running_at": None,
        "obj": None, "awaits": (), "running": 0, "waits": None,
    }
    assert [(type(times), times.maxlen, len(times)) for times in (
        child.poll_times, child.sched_times)] == [(deque, _recorder.TIMES_KEPT, 3)] * 2
    assert child.end is not None and child.created <= child.end
    assert recorder.ids == 4 and recorder.driver == "asyncio"
    assert child.key not in recorder.by_key and child in recorder.done


TWIN_EXECUTOR = '''
from desugar.runtime import spawn, yield_now


async def child(n):
    for _ in range(n):
        await yield_now()
    return n


async def main():
    handle = spawn(child(2))
    await yield_now()
    return await handle + 1
'''


def test_the_c_and_the_python_recorder_record_the_same_executor_run(recorder_twin: str) -> None:
    """The executor's polls and wakes (its ``_poll`` and ``_schedule`` hooks), without their
    times, from either implementation of the hot path."""
    import desugar.runtime as rt
    from desugar import trace
    from desugar.trace import _recorder

    namespace: dict[str, Any] = {}
    exec(compile(TWIN_EXECUTOR, "<twin>", "exec"), namespace)
    recorder = trace.start("twin")
    try:
        assert rt.block_on(namespace["main"]()) == 3
    finally:
        recorder.stop()
    names = {record.id: record.name for record in recorder.tasks.values()}
    events = []
    for event in recorder.events:
        if event[0] == "P":
            _, tid, start, end, raw, outcome, waits, flow = event
            assert start <= end
            chain = [f"{function}:{line}" for function, _, line in _recorder.visible(raw)]
            events.append(("P", names[tid], chain, outcome, waits, flow != 0))
        else:
            _, tid, at, flow, kind = event
            events.append(("W", names.get(tid, ""), kind))
    assert events == EXPECTED_EXECUTOR_EVENTS
    tasks = recorder.snapshot()["tasks"]
    assert [(task["name"], task["polls"], task["woken_by"], task["state"], task["location"])
            for task in tasks] == EXPECTED_EXECUTOR_TASKS


EXPECTED_EXECUTOR_EVENTS = [
    ("W", "", "other"),  # (block_on's first schedule of main)
    ("W", "<twin>::main", "task"),  # (spawn)
    ("W", "<twin>::main", "self"),
    ("P", "<twin>::main", ["<twin>::main:13"], "pending", "yield_now()", True),
    ("W", "<twin>::child", "self"),
    ("P", "<twin>::child", ["<twin>::child:7"], "pending", "yield_now()", True),
    ("P", "<twin>::main", ["<twin>::main:14"], "pending", "a JoinHandle", False),
    ("W", "<twin>::child", "self"),
    ("P", "<twin>::child", ["<twin>::child:7"], "pending", "yield_now()", True),
    ("W", "<twin>::child", "task"),  # (its end wakes main, waiting on its JoinHandle)
    ("P", "<twin>::child", ["<twin>::child:7"], "ready", "", False),
    ("P", "<twin>::main", ["<twin>::main:14"], "ready", "", True),
]
EXPECTED_EXECUTOR_TASKS = [
    ("<twin>::main", 3, {"self": 1, "task": 1, "timer": 0, "io": 0, "other": 1}, "done",
     "<twin>:14"),
    ("<twin>::child", 3, {"self": 2, "task": 1, "timer": 0, "io": 0, "other": 0}, "done",
     "<twin>:7"),
]


def test_the_c_and_the_python_walk_go_down_the_same_chain(recorder_twin: str) -> None:
    """The await chain of a suspended coroutine, through an awaitee of the runtime and a
    plain ``__await__`` generator, down to what it waits on (the leaf), from either walk;
    ``keep`` collects the same objects, and a chain walked again is the same tuple."""
    import desugar.runtime
    from desugar.trace import _recorder

    _recorder.runtime_loaded(desugar.runtime)
    _recorder.use(_recorder.speedups())

    class Wait:
        def __await__(self):
            yield "waiting"

    wait = Wait()

    async def inner():
        await wait

    async def middle():
        await desugar.runtime.into_future(inner())

    async def outer():
        await middle()

    coro = outer()
    try:
        assert coro.send(None) == "waiting"
        keep: list[Any] = []
        raw, leaf = _recorder.walk(coro, keep)
        assert leaf is wait
        assert [function.rsplit("::", 1)[-1] for function, _, _ in _recorder.visible(raw)] == [
            "outer", "middle", "inner", "__await__"
        ]
        kinds = [type(x).__name__ for x in keep]
        kinds.remove(type(keep[-2]).__name__)  # (the generator's f_locals: a dict, or 3.13's proxy)
        assert kinds == ["coroutine", "frame", "coroutine", "frame", "Awaitee", "coroutine", "frame",
                         "generator", "frame", "Wait"]
        assert _recorder.walk(coro, None, raw)[0] is raw
        assert _recorder.walk(coro)[0] is raw  # (one tuple per distinct chain)
    finally:
        coro.close()
        _recorder.use(None)




HAS_OTEL_SDK = importlib.util.find_spec("opentelemetry") is not None and (
    importlib.util.find_spec("opentelemetry.sdk") is not None
)
needs_otel_sdk = pytest.mark.skipif(
    not HAS_OTEL_SDK, reason="OpenTelemetry's SDK is not installed (pip install 'desugar[otel]')"
)

#: Sets an SDK TracerProvider that keeps the spans in memory; at exit writes them to spans.json.
OTEL_PRELUDE = """\
import atexit
import json

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from desugar.trace import instrument, span

exported = InMemorySpanExporter()
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(exported))
trace.set_tracer_provider(provider)


@atexit.register
def dump():
    spans = exported.get_finished_spans()
    names = {s.context.span_id: s.name for s in spans}
    with open("spans.json", "w") as file:
        json.dump([{
            "name": s.name, "id": s.context.span_id,
            "parent": s.parent.span_id if s.parent else None,
            "parent_name": names.get(s.parent.span_id) if s.parent else None,
            "attributes": dict(s.attributes), "start": s.start_time, "end": s.end_time,
            "status": [s.status.status_code.name, s.status.description],
            "events": [e.name for e in s.events],
        } for s in spans], file)
"""

OTEL_PROGRAMS = {
    "asyncio": """\
import asyncio


async def fetch(n):
    with span("load", n=n):
        await instrument(asyncio.sleep(0.01), "wait", n=n)


async def main():
    await asyncio.gather(*(asyncio.create_task(fetch(n), name=f"fetch-{n}") for n in (1, 2)))
    print("done")


asyncio.run(main())
""",
    "trio": """\
import trio


async def fetch(n):
    with span("load", n=n):
        await instrument(trio.sleep(0.01), "wait", n=n)


async def main():
    async with trio.open_nursery() as nursery:
        for n in (1, 2):
            nursery.start_soon(fetch, n, name=f"fetch-{n}")
    print("done")


trio.run(main)
""",
    "executor": """\
from desugar.runtime import block_on, join, sleep, spawn


async def fetch(n):
    with span("load", n=n):
        await instrument(sleep(0.01), "wait", n=n)


async def main():
    await join(spawn(fetch(1)), spawn(fetch(2)))
    print("done")


block_on(main())
""",
}

#: Each driver's names: (its main task's, its fetch tasks').
OTEL_NAMES = {
    "asyncio": ("Task-1", ["fetch-1", "fetch-2"]),
    "trio": ("__main__.main", ["fetch-1", "fetch-2"]),
    "executor": ("prog::main", ["prog::fetch", "prog::fetch"]),
}


def otel_spans(tmp_path: Path) -> list[dict[str, Any]]:
    return json.loads((tmp_path / "spans.json").read_text(encoding="utf-8"))


@needs_otel_sdk
@pytest.mark.parametrize("lowering", LOWERINGS)
@pytest.mark.parametrize("driver", sorted(OTEL_PROGRAMS))
def test_otel_exports_a_span_per_task_and_per_span(tmp_path: Path, driver: str, lowering: str) -> None:
    ran = run(tmp_path, OTEL_PRELUDE + OTEL_PROGRAMS[driver], "--otel", "--trace", "out.json",
              lowering=lowering)
    assert ran.stdout == "done\n", ran.stderr
    spans = otel_spans(tmp_path)
    # (asyncio.run's own tasks at its end, shutting down async generators and the executor)
    spans = [s for s in spans if s["attributes"].get("desugar.task.id", 0) <= 3]
    main, fetches = OTEL_NAMES[driver]
    tasks = sorted((s for s in spans if "desugar.task.id" in s["attributes"]),
                   key=lambda s: s["attributes"]["desugar.task.id"])
    # (the main task's polls and wakes: 2, or 3 when its children end in two passes of the
    # loop, compared with the trace below; where it ends: its await's line, or its nursery
    # block's end, by version)
    varying = ("desugar.task.polls", "desugar.task.wakes", "desugar.task.location")
    assert all(s["attributes"]["desugar.task.location"].startswith("prog.py:") for s in tasks)
    assert [(s["name"], s["parent_name"], {k: v for k, v in s["attributes"].items() if k not in (
        "desugar.task.busy_ns", "desugar.task.scheduled_ns") and not (s["name"] == main and k in varying)})
            for s in tasks] == [(main, None, {
        "desugar.task.id": 1, "desugar.task.driver": driver,
    })] + [(name, main, {
        "desugar.task.id": n, "desugar.task.driver": driver, "desugar.task.polls": 2,
        "desugar.task.wakes": 2, "desugar.task.location": f"prog.py:{OTEL_PRELUDE.count(chr(10)) + 6}",
    }) for n, name in zip((2, 3), fetches)]
    by_id = {s["id"]: s for s in spans}
    for task in tasks:
        assert isinstance(task["attributes"]["desugar.task.busy_ns"], int)
        assert task["attributes"]["desugar.task.busy_ns"] > 0
        assert task["attributes"]["desugar.task.scheduled_ns"] >= 0
    # A span per `span` and per instrumented future, under its task's span and its own.
    loads = sorted((s for s in spans if s["name"] == "load"), key=lambda s: s["attributes"]["n"])
    waits = sorted((s for s in spans if s["name"] == "wait"), key=lambda s: s["attributes"]["n"])
    assert [(s["attributes"], by_id[s["parent"]]["attributes"]["desugar.task.id"]) for s in loads] == [
        ({"n": 1}, 2), ({"n": 2}, 3)
    ]
    assert [(s["attributes"], s["parent"]) for s in waits] == [
        ({"n": 1}, loads[0]["id"]), ({"n": 2}, loads[1]["id"])
    ]
    for one in spans:  # (each inside its parent, in time)
        parent = by_id.get(one["parent"])
        if parent is not None:
            assert parent["start"] <= one["start"] <= one["end"] <= parent["end"], (one, parent)
        assert one["status"] == ["UNSET", None]
    # The polls counted are the polls the trace records of the same run.
    events = trace_of(tmp_path)
    recorded = {tid: len(polls(events, tid)) for tid in names(events)}
    assert {t["attributes"]["desugar.task.id"]: t["attributes"]["desugar.task.polls"] for t in tasks} == {
        tid: n for tid, n in recorded.items() if tid in (1, 2, 3)
    }


OTEL_ERRORS = """\
from desugar.runtime import block_on, sleep, spawn


async def fails():
    with span("parse", size=3):
        raise ValueError("bad input")


async def forever():
    with span("stuck"):
        await sleep(3600)


async def main():
    spawn(forever())
    try:
        await spawn(fails())
    except ValueError:
        print("caught")


block_on(main())
"""


@needs_otel_sdk
def test_otel_spans_record_errors_drops_and_tasks_still_waiting_at_exit(tmp_path: Path) -> None:
    ran = run(tmp_path, OTEL_PRELUDE + OTEL_ERRORS, "--otel")
    assert (ran.stdout, ran.stderr) == ("caught\n", "")
    spans = {s["name"]: s for s in otel_spans(tmp_path)}
    assert spans["parse"]["status"] == ["ERROR", "ValueError: bad input"]
    assert spans["parse"]["events"] == ["exception"]
    assert spans["parse"]["parent_name"] == "prog::fails"
    # (a task still waiting when the program ends: its span ends then, saying so)
    assert spans["prog::forever"]["attributes"]["desugar.task.state"] == "idle"
    # (its future, dropped by the executor at the end of block_on, leaves the span: not an error)
    assert spans["stuck"]["attributes"] == {"desugar.span.dropped": True}
    assert spans["stuck"]["status"] == ["UNSET", None]
    assert spans["stuck"]["parent_name"] == "prog::forever"


@needs_otel_sdk
def test_otel_without_a_tracer_provider_says_nothing_was_exported(tmp_path: Path) -> None:
    ran = run(tmp_path, OTEL_PROGRAMS["asyncio"].replace("with span", "with trace.span").replace(
        "await instrument(", "await trace.instrument(").replace(
        "import asyncio\n", "import asyncio\n\nfrom desugar import trace\n"), "--otel")
    assert ran.stdout == "done\n"
    assert ran.stderr == (
        "desugar run: --otel: no OpenTelemetry TracerProvider was set (by the program, or by "
        "running it under opentelemetry-instrument): no span was exported\n"
    )


def test_otel_without_opentelemetry_is_a_usage_error(tmp_path: Path) -> None:
    shadow = tmp_path / "shadow" / "opentelemetry"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('not installed')\n", encoding="utf-8")
    (tmp_path / "prog.py").write_text("open('ran', 'w').close()\n", encoding="utf-8")
    ran = subprocess.run(
        [sys.executable, "-m", "desugar", "run", "--otel", "prog.py"], cwd=tmp_path,
        capture_output=True, text=True, timeout=120,
        env=dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path / "shadow"), str(ROOT)])),
    )
    assert ran.returncode == 2
    assert ran.stderr.endswith(
        "\nError: --otel needs OpenTelemetry's API, which is not installed: pip install "
        "'desugar[otel]' (or opentelemetry-api and opentelemetry-sdk)\n"
    )
    assert not (tmp_path / "ran").exists()
@pytest.mark.parametrize("maxlen", [0, 3, 2000])
def test_the_event_ring_reads_as_a_deque_of_its_last_events(maxlen: int) -> None:
    """The C runtime's ``EventRing`` keeps polls and wakes as raw values, and anything else as
    it is; read back, it is the ``deque(maxlen=...)`` it stands for, growing and wrapping."""
    from collections import deque

    from support import NO_C_TWIN, twins

    if twins()[1] is None:
        pytest.skip(NO_C_TWIN)
    from desugar.runtime._speedups import EventRing

    ring, reference = EventRing(maxlen), deque(maxlen=maxlen)
    chain = (((("main", "prog.py", False), 3),))
    fields = {"n": 1}
    for i in range(1500):
        for event in (
            ("P", i, 10 * i, 10 * i + 5, chain, "pending", None if i % 2 else "a Future", i),
            ("W", 0, 10 * i + 7, i + 1, "timer"),
            ("S", 1, i, i + 1, "span", fields),
            ("P", 2**70, 0, 0, chain, "ready", "", 0),  # (an id no C integer holds: kept whole)
        ):
            ring.append(event)
            reference.append(event)
        assert len(ring) == len(reference)
    assert ring.maxlen == maxlen
    assert list(ring) == list(reference)
    ring.clear()
    assert list(ring) == [] and len(ring) == 0

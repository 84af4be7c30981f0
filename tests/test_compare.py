"""`desugar compare` as a measurement: the workers' desugar, alternating runs, spreads,
CPU time, a timeout, program arguments and exit statuses, columns that fit;
each through the command in a subprocess."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from desugar import compare

ROOT = Path(__file__).resolve().parent.parent
COLUMNS = ["native", "poll", "callback", "callback-async-stacks"]

#: The command as an installed console script runs it: this checkout's desugar
#: first on the path, the current directory not on it.
COMMAND = [
    sys.executable, "-c",
    f"import sys; sys.path.insert(0, {str(ROOT)!r}); sys.argv[0] = 'desugar'; "
    "from desugar.cli import main; main()",
]


def desugar_compare(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COMMAND, "compare", *args], cwd=tmp_path, capture_output=True, text=True,
        env=dict(os.environ, **(env or {})), timeout=timeout,
    )


def write(tmp_path: Path, name: str, source: str) -> None:
    (tmp_path / name).write_text(textwrap.dedent(source), encoding="utf-8")


def cost_table(stdout: str) -> list[tuple[str, list[str]]]:
    """The cost table's rows: the label, and the cells (parted by two spaces or more)."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.split() == COLUMNS)
    rows = []
    for line in lines[start + 1:]:
        indent = line[: len(line) - len(line.lstrip())]
        label, *cells = re.split(r"  +", line.strip())
        rows.append((indent + label, cells))
    return rows


def cost_rows(stdout: str) -> dict[str, list[str]]:
    return dict(cost_table(stdout))


def test_workers_import_the_commands_desugar_not_the_current_directorys(tmp_path: Path) -> None:
    (tmp_path / "desugar").mkdir()  # a checkout's package in the current directory
    (tmp_path / "desugar" / "__init__.py").write_text("raise SystemExit('the wrong desugar')\n")
    write(tmp_path, "ok.py", "print('ran')\n")
    result = desugar_compare(tmp_path, "--runs", "1", "ok.py")
    assert result.returncode == 0, result.stderr
    header = result.stdout.splitlines()[0]
    from desugar.runtime import _awaitee

    assert header == (
        f"desugar compare ok.py  (1 run of each column, taking turns; Python "
        f"{sys.version.split()[0]}; workers: desugar from {ROOT / 'desugar'}, "
        f"{_awaitee.IMPLEMENTATION} runtime)"
    )


def test_header_says_the_pure_python_runtime_ran_when_it_did(tmp_path: Path) -> None:
    write(tmp_path, "ok.py", "print('ran')\n")
    result = desugar_compare(tmp_path, "--runs", "1", "ok.py", env={"DESUGAR_PURE_PYTHON": "1"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].endswith(", python runtime)")


def test_each_figure_has_its_median_and_spread_and_cpu_time_beside_wall_time(tmp_path: Path) -> None:
    write(tmp_path, "ok.py", "print(sum(range(10000)))\n")
    result = desugar_compare(tmp_path, "--runs", "3", "ok.py")
    assert result.returncode == 0, result.stderr
    assert [label for label, _ in cost_table(result.stdout)] == [
        "wall time, median (min-max)", "  vs native", "CPU time, median (min-max)", "  vs native",
        "peak memory (tracemalloc)", "  vs native", "captured bytes per await", "exit status",
        "output same as native",
    ]
    rows = cost_rows(result.stdout)
    spread = re.compile(r"(\d+\.\d) ms \((\d+\.\d)-(\d+\.\d)\)")
    for label in ("wall time, median (min-max)", "CPU time, median (min-max)"):
        assert len(rows[label]) == 4, rows[label]
        for cell in rows[label]:
            match = spread.fullmatch(cell)
            assert match, cell
            median, low, high = map(float, match.groups())
            assert low <= median <= high
    assert all(re.fullmatch(r"\d+ KiB \(\d+-\d+\)", cell) for cell in rows["peak memory (tracemalloc)"])
    assert rows["exit status"] == ["0"] * 4
    assert rows["output same as native"] == ["yes"] * 4


def test_runs_of_the_columns_take_turns(monkeypatch: pytest.MonkeyPatch) -> None:
    order = []

    def run_once(mode, lowering, script, args=(), timeout=None):  # type: ignore[no-untyped-def]
        order.append((mode, lowering))
        seen = {"time": 1.0, "cpu": 1.0, "peak": 1, "status": 0, "awaits": 0, "captured": 0,
                "runtime": "c", "desugar": "d"}
        return seen, ""

    monkeypatch.setattr(compare, "run_once", run_once)
    compare.compare("x.py", 2)
    timed = [lowering for mode, lowering in order if mode == "time"]
    assert timed == COLUMNS * 2
    measured = [lowering for mode, lowering in order if mode == "memory"]
    assert measured == COLUMNS * 2


def test_a_hanging_program_is_ended_at_the_timeout_and_compare_says_so(tmp_path: Path) -> None:
    write(tmp_path, "hangs.py", "import time\ntime.sleep(600)\n")
    result = desugar_compare(tmp_path, "--runs", "1", "--timeout", "1", "hangs.py", timeout=60)
    assert result.returncode == 124
    assert result.stderr == (
        "Error: hangs.py was still running under native after 1 s (--timeout): ended it; no figures\n"
    )


def test_timeout_has_a_default() -> None:
    assert compare.DEFAULT_TIMEOUT == 60.0
    option = next(p for p in compare.compare_command.params if p.name == "timeout")
    assert option.default == compare.DEFAULT_TIMEOUT


def test_arguments_after_the_separator_reach_the_program_and_sys_exit_is_its_status(
    tmp_path: Path,
) -> None:
    write(tmp_path, "exits.py", "import sys\nprint(sys.argv[1:])\nsys.exit(int(sys.argv[2]))\n")
    result = desugar_compare(tmp_path, "--runs", "1", "exits.py", "--", "--flag", "3")
    assert result.returncode == 0, result.stderr
    assert "the program does not fail: no frames to compare" in result.stdout
    rows = cost_rows(result.stdout)
    assert rows["exit status"] == ["3"] * 4
    assert rows["output same as native"] == ["yes"] * 4


def test_columns_fit_long_frame_names(tmp_path: Path) -> None:
    write(tmp_path, "long.py", """\
        import asyncio


        async def a_function_name_longer_than_any_column_heading():
            raise ValueError("no")


        async def main():
            await a_function_name_longer_than_any_column_heading()


        asyncio.run(main())
        """)
    result = desugar_compare(tmp_path, "--runs", "1", "long.py")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    heading = lines.index("async frames live when ValueError: no was raised (youngest first):")
    name = "a_function_name_longer_than_any_column_heading:5"
    assert re.split(r"  +", lines[heading + 2]) == [name, name, name, name]
    # It raises before its first suspension: under the callback lowerings too it
    # runs on top of main, as a JavaScript async function does, so main is live.
    assert re.split(r"  +", lines[heading + 3]) == ["main:9"] * 4
    assert lines[heading + 1].index("poll") == len(name) + 2
    assert rows_exit(result.stdout) == ["1 (ValueError)"] * 4


def rows_exit(stdout: str) -> list[str]:
    return cost_rows(stdout)["exit status"]


@pytest.mark.skipif(not hasattr(asyncio, "TaskGroup"), reason="asyncio.TaskGroup is new in 3.11")
def test_a_task_groups_exceptions_are_shown_as_each_was_raised(tmp_path: Path) -> None:
    write(tmp_path, "group.py", """\
        import asyncio


        async def parse(text):
            await asyncio.sleep(0)
            raise ValueError(text)


        async def load(name):
            return await parse(name)


        async def main():
            async with asyncio.TaskGroup() as group:
                group.create_task(load("a"))


        asyncio.run(main())
        """)
    result = desugar_compare(tmp_path, "--runs", "1", "group.py")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    first = lines.index(
        "the program fails with ExceptionGroup: unhandled errors in a TaskGroup "
        "(1 sub-exception); its exceptions:"
    )
    assert lines[first + 1] == ""
    assert lines[first + 2] == "  async frames live when ValueError: a was raised (youngest first):"
    assert [re.split(r"  +", line.strip()) for line in lines[first + 3:first + 6]] == [
        COLUMNS,
        ["parse:6", "parse:6", "parse:6", "parse:6"],
        ["load:10", "load:10", "async load:10"],
    ]
    assert "__aexit__" not in result.stdout

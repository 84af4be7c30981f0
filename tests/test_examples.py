"""The article's example and the README's quick start, run as a user would."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "async_stack_traces.py"


def translate_and_run(tmp_path: Path) -> subprocess.CompletedProcess[str]:
    out = tmp_path / "async_stack_traces.py"
    subprocess.run(
        [sys.executable, "-m", "desugar", str(EXAMPLE), "-o", str(out)],
        check=True, capture_output=True, text=True,
    )
    return subprocess.run(
        [sys.executable, out.name], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )


def test_translated_example_fails_with_foo_bar_blow_up_on_the_stack(tmp_path: Path) -> None:
    result = translate_and_run(tmp_path)
    assert result.returncode == 1
    frames = re.findall(r'File "[^"]*async_stack_traces.py", line \d+, in (\w+)', result.stderr)
    async_frames = [f for f in frames if f in ("foo", "bar", "blow_up")]
    assert async_frames == ["foo", "bar", "blow_up"]  # callers below the callee
    assert result.stderr.rstrip().endswith("RuntimeError: nested async panic!")


def test_translated_example_prints_the_articles_edited_backtrace(tmp_path: Path) -> None:
    result = translate_and_run(tmp_path)
    text = (tmp_path / "async_stack_traces.py").read_text().splitlines()

    def line_of(snippet: str, function: str, nth: int = 1) -> int:
        start = next(i for i, t in enumerate(text) if t.startswith(f"def {function}("))
        hits = [i + 1 for i in range(start, len(text)) if snippet in text[i]]
        return hits[nth - 1]

    raise_line = line_of('raise RuntimeError("nested async panic!")', "blow_up")
    bar_line = line_of("yield from _ds_awaitee", "bar", nth=2)  # polling blow_up()
    foo_line = line_of("yield from _ds_awaitee", "foo", nth=2)  # polling bar()
    main_line = line_of("block_on(foo())", "main")
    # The async callers are adjacent frames, as in a native traceback; the
    # executor's frames below them count (the numbers jump) but are not shown.
    # On 3.10, with the pure-Python runtime, the awaitee's poll is a frame
    # between them (see README).
    from desugar.runtime import _awaitee

    step = 2 if sys.version_info < (3, 11) and _awaitee.IMPLEMENTATION == "python" else 1
    expected = (
        f"task panicked at 'RuntimeError: nested async panic!', async_stack_traces.py:{raise_line}\n"
        "stack backtrace:\n"
        "   0: async_stack_traces::blow_up\n"
        f"             at async_stack_traces.py:{raise_line}\n"
        f"   {step}: async_stack_traces::bar\n"
        f"             at async_stack_traces.py:{bar_line}\n"
        f"   {2 * step}: async_stack_traces::foo\n"
        f"             at async_stack_traces.py:{foo_line}\n"
    )
    assert result.stderr.startswith(expected), result.stderr
    rest = result.stderr[len(expected):].splitlines()
    assert re.fullmatch(r" +([3-9]|\d\d): async_stack_traces::main", rest[0]), result.stderr
    assert rest[1] == f"             at async_stack_traces.py:{main_line}", result.stderr


def readme_command(marker: str, page: str = "README.md") -> str:
    readme = (ROOT / page).read_text(encoding="utf-8")
    match = re.search(rf"<!-- {marker} -->\s*```(?:sh|bash)?\n(.*?)\n```", readme, re.S)
    assert match, f"{page} has no command block marked {marker}"
    return match.group(1).strip()


def test_readme_quick_start_translates_and_runs_the_example(tmp_path: Path) -> None:
    command = readme_command("quick-start")
    steps = [s for s in command.split(" && ") if not s.startswith("pip install")]
    assert steps, command
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    result = subprocess.run(
        " && ".join(steps), shell=True, cwd=ROOT, capture_output=True, text=True, env=env,
        timeout=120,
    )
    assert result.returncode == 1, result.stderr  # the example fails on purpose
    assert "stack backtrace:" in result.stderr
    assert "async_stack_traces::blow_up" in result.stderr
    assert result.stderr.rstrip().endswith("RuntimeError: nested async panic!")
    # The docs' home page shows what it prints (frame numbers aside: the executor's
    # frames between them are counted, and vary with the version and runtime).
    shown = readme_output_after("The example fails on purpose", "docs/index.md")
    printed = result.stderr.splitlines()[: len(shown)]
    assert _unnumbered(printed) == _unnumbered(shown), result.stderr


def readme_output_after(text: str, page: str = "README.md") -> list[str]:
    readme = (ROOT / page).read_text(encoding="utf-8")
    match = re.search(re.escape(text) + r".*?\n```\n(.*?)\n```", readme, re.S)
    assert match, f"{page} shows no output after {text!r}"
    return match.group(1).splitlines()


def _unnumbered(lines: list[str]) -> list[str]:
    return [re.sub(r"^ +\d+: ", "N: ", line) for line in lines]


def test_readme_test_command_is_what_ci_runs() -> None:
    command = readme_command("tests")
    ci = (ROOT / ".ci" / "run").read_text()
    for step in command.split(" && "):
        assert step in ci, f"{step!r} from the README is not in .ci/run"


@pytest.mark.parametrize("section", ["quick-start", "tests"])
def test_readme_commands_install_the_project(section: str) -> None:
    assert readme_command(section).startswith("pip install -e ")


@pytest.mark.skipif(
    not hasattr(asyncio, "TaskGroup"),
    reason="examples/task_group.py uses asyncio.TaskGroup (Python 3.11+)",
)
@pytest.mark.parametrize("page", ["README.md", "docs/debugging.md"])
def test_readme_shows_the_real_backtrace_of_a_failing_task_group_worker(page: str) -> None:
    command = readme_command("task-group", page)
    assert command == "desugar run examples/task_group.py"
    result = subprocess.run(
        [sys.executable, "-m", "desugar", *command.split()[1:]], cwd=ROOT, capture_output=True,
        text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)), timeout=120,
    )
    assert result.returncode == 1
    assert result.stdout == "good: 3\n"
    # Python's traceback, then the backtrace the README shows (frame numbers aside:
    # hidden frames are counted, and their number varies with the version and runtime).
    traceback, found, backtrace = result.stderr.partition("task panicked at ")
    assert traceback.endswith("    | ValueError: not a number: 'x'\n    +------------------------------------\n")
    shown = readme_output_after("the task that received the group.", page)
    assert _unnumbered((found + backtrace).splitlines()) == _unnumbered(shown), result.stderr

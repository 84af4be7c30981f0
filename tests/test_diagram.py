"""``desugar diagram``: the stack at each resumption, drawn as the article draws it."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from desugar import diagram
from desugar.diagram import Column, render_svg, render_text, time_label

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "stack_over_time.py"
SVG = "{http://www.w3.org/2000/svg}"

#: The example's figure, times rounded to 100 ms (its sleeps are 100 ms each).
EXAMPLE_FIGURE = """\
                   ╱╱               ╱╱                ╱╱
  ^                ╲╲               ╲╲     ┌───────┐  ╲╲
  │                ╱╱               ╱╱     │ sleep │  ╱╱
  │                ╲╲    ┌───────┐  ╲╲    ┌┴───────┤  ╲╲    ┌─────┐
  │                ╱╱    │ sleep │  ╱╱    │ baz    │  ╱╱    │ baz │
  │     ┌───────┐  ╲╲   ┌┴───────┤  ╲╲   ┌┴────────┤  ╲╲   ┌┴─────┤
Stack   │ sleep │  ╱╱   │ bar    │  ╱╱   │ bar     │  ╱╱   │ bar  │
  │    ┌┴───────┤  ╲╲  ┌┴────────┤  ╲╲  ┌┴─────────┤  ╲╲  ┌┴──────┤
  │    │ foo    │  ╱╱  │ foo     │  ╱╱  │ foo      │  ╱╱  │ foo   │
  │    └────────┘  ╲╲  └─────────┘  ╲╲  └──────────┘  ╲╲  └───────┘
  │                ╱╱               ╱╱                ╱╱
  │      +0 ms           +100 ms          +200 ms          +300 ms
"""

EXAMPLE_STACKS = [  # youngest first, as the SVG lists them
    ["sleep", "foo"],
    ["sleep", "bar", "foo"],
    ["sleep", "baz", "bar", "foo"],
    ["baz", "bar", "foo"],
]


def desugar_diagram(
    args: list[str], cwd: Path, **env: str
) -> subprocess.CompletedProcess[str]:
    """Run ``desugar diagram ARGS`` in a fresh interpreter."""
    environ = {**os.environ, **env}
    return subprocess.run(
        [sys.executable, "-m", "desugar", "diagram", *args],
        cwd=cwd, env=environ, capture_output=True, text=True, timeout=120,
    )


@pytest.fixture
def example(tmp_path: Path) -> Path:
    """The example, copied where its cache files may go."""
    (tmp_path / "examples").mkdir()
    return Path(shutil.copy(EXAMPLE, tmp_path / "examples" / EXAMPLE.name))


# --------------------------------------------------------------------------
# Drawing (no program runs)


def test_time_label_rounds_to_the_nearest_quantum() -> None:
    assert time_label(0.0) == "+0 ms"
    assert time_label(0.1234) == "+123 ms"
    assert time_label(0.1049, 100) == "+100 ms"
    assert time_label(0.151, 100) == "+200 ms"
    assert time_label(0.3071, 10) == "+310 ms"


def test_render_text_of_no_columns_is_empty() -> None:
    assert render_text([]) == ""


def test_render_text_draws_one_frame_as_one_box() -> None:
    assert render_text([Column(0.0, ("main",))]) == (
        "\n"
        "  ^    ┌──────┐\n"
        "  │    │ main │\n"
        "Stack  └──────┘\n"
        "  │\n"
        "  │     +0 ms\n"
    )


def test_render_text_steps_each_caller_one_column_left_under_a_wider_callee() -> None:
    # The article's Rust figure, its third column: the callee is the widest name.
    text = render_text([Column(0.2, ("foo", "bar", "blow_up", "sleep"))], 100)
    boxes = [line[7:] for line in text.splitlines()[1:-2]]
    assert boxes == [
        "   ┌────────┐",
        "   │ sleep  │",
        "  ┌┴────────┤",
        "  │ blow_up │",
        " ┌┴─────────┤",
        " │ bar      │",
        "┌┴──────────┤",
        "│ foo       │",
        "└───────────┘",
    ]


def test_render_svg_escapes_names_and_is_well_formed() -> None:
    svg = render_svg([Column(0.0, ("main", "<lambda>"))])
    root = ET.fromstring(svg)
    names = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "frame"]
    assert names == ["<lambda>", "main"]


# --------------------------------------------------------------------------
# Recording the example


def test_example_figure_under_the_poll_lowering(example: Path) -> None:
    result = desugar_diagram(["--quantum", "100", str(example)], example.parent)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "done\n" + EXAMPLE_FIGURE
    assert result.stderr == ""


def test_example_figure_natively_is_the_same_whole_chain(example: Path) -> None:
    # A native coroutine resumes the one it awaits through send: the callers
    # are on the stack too, as under the poll lowering.
    result = desugar_diagram(
        ["--lowering", "native", "--quantum", "100", str(example)], example.parent
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "done\n" + EXAMPLE_FIGURE


def test_example_figure_with_the_pure_python_runtime(example: Path) -> None:
    # The pure-Python awaitee's frames lie between the program's: not shown.
    result = desugar_diagram(
        ["--quantum", "100", str(example)], example.parent, DESUGAR_PURE_PYTHON="1"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "done\n" + EXAMPLE_FIGURE


def test_example_svg_has_the_frames_in_column_order(example: Path) -> None:
    svg = example.parent / "stack.svg"
    out = example.parent / "stack.txt"
    result = desugar_diagram(
        ["--quantum", "100", "--svg", str(svg), "-o", str(out), str(example)], example.parent
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "done\n"  # the figure went to -o
    assert out.read_text(encoding="utf-8") == EXAMPLE_FIGURE
    root = ET.parse(svg).getroot()
    assert root.tag == f"{SVG}svg"
    columns = [g for g in root.iter(f"{SVG}g") if g.get("class") == "column"]
    stacks = [[t.text for t in g if t.get("class") == "frame"] for g in columns]
    assert stacks == EXAMPLE_STACKS
    times = [t.text for g in columns for t in g if t.get("class") == "time"]
    assert times == ["+0 ms", "+100 ms", "+200 ms", "+300 ms"]
    assert [len(g.findall(f"{SVG}rect")) for g in columns] == [2, 3, 4, 3]
    # The picture beside the example is this run's.
    committed = (ROOT / "examples" / "stack_over_time.svg").read_text(encoding="utf-8")
    assert svg.read_text(encoding="utf-8") == committed


def test_readme_figure_is_the_examples(example: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"<!-- diagram -->\s*```sh\n(.*?)\n```\s*```\n(.*?)```", readme, re.S)
    assert match, "README.md has no command and figure marked <!-- diagram -->"
    command, figure = match.group(1), match.group(2)
    assert figure == EXAMPLE_FIGURE
    args = shlex.split(command)
    assert args[:2] == ["desugar", "diagram"]
    result = desugar_diagram(args[2:], example.parent.parent)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "done\n" + EXAMPLE_FIGURE


# --------------------------------------------------------------------------
# Other drivers and programs

ASYNCIO_PROGRAM = """\
import asyncio

async def main():
    await outer()

async def outer():
    await asyncio.sleep(0.1)
    await inner()

async def inner():
    await asyncio.sleep(0.1)
    print("inner done")

asyncio.run(main())
"""

TRIO_PROGRAM = ASYNCIO_PROGRAM.replace("asyncio.run(main())", "trio.run(main)").replace(
    "asyncio", "trio"
)


def frames_of(figure: str) -> list[str]:
    return re.findall(r"│ (\w+)", figure)


@pytest.mark.parametrize("lowering", ["poll", "native"])
@pytest.mark.parametrize("program", [ASYNCIO_PROGRAM, TRIO_PROGRAM], ids=["asyncio", "trio"])
def test_foreign_drivers_show_the_whole_chain_with_their_sleep_on_top(
    tmp_path: Path, lowering: str, program: str
) -> None:
    (tmp_path / "prog.py").write_text(program, encoding="utf-8")
    svg = tmp_path / "prog.svg"
    result = desugar_diagram(
        ["--lowering", lowering, "--quantum", "100", "--svg", str(svg), "prog.py"], tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("inner done\n")
    root = ET.parse(svg).getroot()
    columns = [g for g in root.iter(f"{SVG}g") if g.get("class") == "column"]
    stacks = [[t.text for t in g if t.get("class") == "frame"] for g in columns]
    assert stacks == [
        ["sleep", "outer", "main"],
        ["sleep", "inner", "outer", "main"],
        ["inner", "outer", "main"],
    ]
    times = [t.text for g in columns for t in g if t.get("class") == "time"]
    assert times == ["+0 ms", "+100 ms", "+200 ms"]


def test_a_failing_program_is_drawn_and_keeps_its_status(tmp_path: Path) -> None:
    (tmp_path / "fails.py").write_text(
        "from desugar.runtime import block_on, sleep\n"
        "async def work():\n"
        "    await sleep(0.01)\n"
        "    raise ValueError('no')\n"
        "block_on(work())\n",
        encoding="utf-8",
    )
    result = desugar_diagram(["fails.py"], tmp_path)
    assert result.returncode == 1
    assert "ValueError: no\n" in result.stderr  # Python's traceback, then the backtrace
    assert "stack backtrace:\n   0: fails::work\n             at fails.py:4\n" in result.stderr
    assert frames_of(result.stdout) == ["sleep", "work", "work"]


def test_the_programs_exit_status_and_arguments_pass_through(tmp_path: Path) -> None:
    (tmp_path / "exits.py").write_text(
        "import sys\n"
        "from desugar.runtime import block_on, yield_now\n"
        "async def work():\n"
        "    await yield_now()\n"
        "block_on(work())\n"
        "print(sys.argv[1:])\n"
        "sys.exit(3)\n",
        encoding="utf-8",
    )
    result = desugar_diagram(["exits.py", "a", "--svg", "b"], tmp_path)
    assert result.returncode == 3, result.stderr
    assert result.stdout.startswith("['a', '--svg', 'b']\n")
    assert frames_of(result.stdout) == ["yield_now", "work", "work"]
    assert not (tmp_path / "b").exists()


def test_a_program_without_tasks_draws_nothing(tmp_path: Path) -> None:
    (tmp_path / "sync.py").write_text("print('hi')\n", encoding="utf-8")
    result = desugar_diagram(["sync.py"], tmp_path)
    assert result.returncode == 0
    assert result.stdout == "hi\n"
    assert result.stderr == "desugar diagram: no task was resumed; nothing to draw\n"


CALLBACK_FIGURE = """\
                ╱╱           ╱╱           ╱╱
  ^    ┌─────┐  ╲╲  ┌─────┐  ╲╲  ┌─────┐  ╲╲  ┌─────┐
  │    │ foo │  ╱╱  │ foo │  ╱╱  │ bar │  ╱╱  │ baz │
Stack  └─────┘  ╲╲  └─────┘  ╲╲  └─────┘  ╲╲  └─────┘
  │             ╱╱           ╱╱           ╱╱
  │     +0 ms       +100 ms      +200 ms      +300 ms
"""
"""The example under the callback lowering: each resumption runs one frame alone."""


def test_example_figure_under_the_callback_lowering_shows_lonely_frames(example: Path) -> None:
    # A callback resumes the youngest awaiter from the queue's runner: the
    # frames that await it are suspended generators, not on the stack.
    for lowering in ("callback", "callback-async-stacks"):
        result = desugar_diagram(
            ["--lowering", lowering, "--quantum", "100", str(example)], example.parent
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout == "done\n" + CALLBACK_FIGURE


def test_unknown_lowering_is_a_usage_error(tmp_path: Path) -> None:
    result = desugar_diagram(["--lowering", "threads", "x.py"], tmp_path)
    assert result.returncode == 2
    assert "Invalid value for '--lowering': 'threads' is not one of" in result.stderr


def test_recording_stops_with_the_program() -> None:
    from desugar.runtime import block_on, sleep

    async def tick() -> None:
        await sleep(0.001)

    columns, exit_ = diagram.record(lambda: block_on(tick()))
    assert sys.getprofile() is None
    assert exit_ is None
    # Under pytest the test's frames are the program's (not desugar's, not the library's).
    assert [c.frames for c in columns] == [("tick", "sleep"), ("tick",)]
    assert columns[0].time == 0.0 and columns[1].time > 0

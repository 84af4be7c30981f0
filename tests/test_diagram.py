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
  ^                  ╲╲               ╲╲     ┌───────┐  ╲╲
  │                  ╱╱               ╱╱     │ sleep │  ╱╱
  │                  ╲╲    ┌───────┐  ╲╲    ┌┴───────┤  ╲╲    ┌─────┐
  │                  ╱╱    │ sleep │  ╱╱    │ baz    │  ╱╱    │ baz │
  │       ┌───────┐  ╲╲   ┌┴───────┤  ╲╲   ┌┴────────┤  ╲╲   ┌┴─────┤
Stack     │ sleep │  ╱╱   │ bar    │  ╱╱   │ bar     │  ╱╱   │ bar  │
  │      ┌┴───────┤  ╲╲  ┌┴────────┤  ╲╲  ┌┴─────────┤  ╲╲  ┌┴──────┤
  │      │ foo    │  ╱╱  │ foo     │  ╱╱  │ foo      │  ╱╱  │ foo   │
  │      └────────┘  ╲╲  └─────────┘  ╲╲  └──────────┘  ╲╲  └───────┘
  │         foo      ╱╱      foo      ╱╱      foo       ╱╱     foo
  │                +100 ms          +100 ms           +100 ms
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


def test_render_text_draws_one_frame_as_one_box_over_its_task() -> None:
    assert render_text([Column(0.0, ("main",), "main")]) == (
        "\n"
        "  ^      ┌──────┐\n"
        "  │      │ main │\n"
        "Stack    └──────┘\n"
        "  │        main\n"
        "  │\n"
    )


def test_render_text_labels_each_gap_with_the_time_that_passed_as_the_article_does() -> None:
    # The article's JavaScript figure, its names and its gaps (100, 200, 300 ms).
    columns = [
        Column(0.0, ("foo",), "foo"),
        Column(0.1, ("foo", "bar"), "foo"),
        Column(0.3, ("bar", "blowUp"), "foo"),
        Column(0.6, ("blowUp",), "foo"),
    ]
    assert render_text(columns, 100) == (
        "                  ╱╱            ╱╱               ╱╱\n"
        "  ^               ╲╲   ┌─────┐  ╲╲   ┌────────┐  ╲╲\n"
        "  │               ╱╱   │ bar │  ╱╱   │ blowUp │  ╱╱\n"
        "  │      ┌─────┐  ╲╲  ┌┴─────┤  ╲╲  ┌┴────────┤  ╲╲  ┌────────┐\n"
        "Stack    │ foo │  ╱╱  │ foo  │  ╱╱  │ bar     │  ╱╱  │ blowUp │\n"
        "  │      └─────┘  ╲╲  └──────┘  ╲╲  └─────────┘  ╲╲  └────────┘\n"
        "  │        foo    ╱╱    foo     ╱╱      foo      ╱╱     foo\n"
        "  │             +100 ms       +200 ms          +300 ms\n"
    )
    # Apart from the row of task labels, the article's figure line for line.
    article = (ROOT / "tests" / "data" / "article_js_figure.txt").read_text(encoding="utf-8")
    drawn = render_text(columns, 100).splitlines()
    assert drawn[:-2] + drawn[-1:] == article.splitlines()[:-2] + article.splitlines()[-1:]


def test_gap_labels_are_the_times_between_columns() -> None:
    columns = [Column(t, ("f",)) for t in (0.0, 0.1049, 0.3071, 0.3071)]
    assert diagram.gap_labels(columns, 10) == [None, "+100 ms", "+200 ms", "+0 ms"]


def test_render_text_steps_each_caller_one_column_left_under_a_wider_callee() -> None:
    # The article's Rust figure, its third column: the callee is the widest name.
    text = render_text([Column(0.2, ("foo", "bar", "blow_up", "sleep"))], 100)
    boxes = [line[9:] for line in text.splitlines()[1:-2]]
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
    tasks = [t.text for g in columns for t in g if t.get("class") == "task"]
    assert tasks == ["foo"] * 4
    gaps = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "gap"]
    assert gaps == ["+100 ms"] * 3
    assert [len(g.findall(f"{SVG}rect")) for g in columns] == [2, 3, 4, 3]


#: The article's example (examples/async_stack_traces.py) under the poll
#: lowering: the article's Rust figure, with its gaps (100, 200, 300 ms).
ARTICLE_FIGURE = """\
                     ╱╱               ╱╱                 ╱╱
  ^                  ╲╲               ╲╲     ┌────────┐  ╲╲
  │                  ╱╱               ╱╱     │ sleep  │  ╱╱
  │                  ╲╲    ┌───────┐  ╲╲    ┌┴────────┤  ╲╲    ┌─────────┐
  │                  ╱╱    │ sleep │  ╱╱    │ blow_up │  ╱╱    │ blow_up │
  │       ┌───────┐  ╲╲   ┌┴───────┤  ╲╲   ┌┴─────────┤  ╲╲   ┌┴─────────┤
Stack     │ sleep │  ╱╱   │ bar    │  ╱╱   │ bar      │  ╱╱   │ bar      │
  │      ┌┴───────┤  ╲╲  ┌┴────────┤  ╲╲  ┌┴──────────┤  ╲╲  ┌┴──────────┤
  │      │ foo    │  ╱╱  │ foo     │  ╱╱  │ foo       │  ╱╱  │ foo       │
  │      └────────┘  ╲╲  └─────────┘  ╲╲  └───────────┘  ╲╲  └───────────┘
  │         foo      ╱╱      foo      ╱╱       foo       ╱╱       foo
  │                +100 ms          +200 ms            +300 ms
"""


@pytest.fixture
def article(tmp_path: Path) -> Path:
    """The article's example, copied where its cache files may go."""
    source = ROOT / "examples" / "async_stack_traces.py"
    (tmp_path / "examples").mkdir()
    return Path(shutil.copy(source, tmp_path / "examples" / source.name))


def docs_block(marker: str) -> tuple[list[str], str]:
    """The command (as arguments) and the figure after ``<!-- marker -->`` on the debugging page."""
    readme = (ROOT / "docs" / "debugging.md").read_text(encoding="utf-8")
    match = re.search(rf"<!-- {marker} -->\s*```sh\n(.*?)\n```\s*```\n(.*?)```", readme, re.S)
    assert match, f"docs/debugging.md has no command and figure marked <!-- {marker} -->"
    return shlex.split(match.group(1)), match.group(2)


def test_debugging_page_figure_is_the_articles_example(article: Path) -> None:
    args, figure = docs_block("diagram")
    assert figure == ARTICLE_FIGURE
    assert args[:2] == ["desugar", "diagram"]
    result = desugar_diagram(args[2:], article.parent.parent)
    assert result.returncode == 1  # the example fails on purpose, and keeps its status
    assert result.stdout == ARTICLE_FIGURE
    assert "RuntimeError: nested async panic!\n" in result.stderr
    # The picture beside the example is this run's.
    svg = article.parent.parent / args[args.index("--svg") + 1]
    committed = (ROOT / "examples" / "async_stack_traces.svg").read_text(encoding="utf-8")
    assert svg.read_text(encoding="utf-8") == committed


def test_article_figure_natively_is_the_same(article: Path) -> None:
    result = desugar_diagram(
        ["--lowering", "native", "--quantum", "100", str(article)], article.parent
    )
    assert result.returncode == 1
    assert result.stdout == ARTICLE_FIGURE


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
    gaps = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "gap"]
    assert gaps == ["+100 ms", "+100 ms"]
    tasks = [t.text for g in columns for t in g if t.get("class") == "task"]
    assert tasks == ["main"] * 3


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
                  ╱╱            ╱╱                ╱╱
  ^               ╲╲   ┌─────┐  ╲╲   ┌─────────┐  ╲╲
  │               ╱╱   │ bar │  ╱╱   │ blow_up │  ╱╱
  │      ┌─────┐  ╲╲  ┌┴─────┤  ╲╲  ┌┴─────────┤  ╲╲  ┌─────────┐
Stack    │ foo │  ╱╱  │ foo  │  ╱╱  │ bar      │  ╱╱  │ blow_up │
  │      └─────┘  ╲╲  └──────┘  ╲╲  └──────────┘  ╲╲  └─────────┘
  │        foo    ╱╱    foo     ╱╱      foo       ╱╱      foo
  │             +100 ms       +200 ms           +300 ms
"""
"""The article's example under the callback lowering: the article's JavaScript figure."""


@pytest.mark.parametrize("lowering", ["callback", "callback-async-stacks"])
def test_article_figure_under_the_callback_lowering_is_the_articles_javascript_figure(
    article: Path, lowering: str
) -> None:
    # An awaited function starts on top of its awaiter, until it first suspends
    # (bar over foo, blow_up over bar); a job resumed from the queue has nothing
    # of the program's below it (blow_up alone).
    result = desugar_diagram(
        ["--lowering", lowering, "--quantum", "100", str(article)], article.parent
    )
    assert result.returncode == 1
    assert result.stdout == CALLBACK_FIGURE
    # The article's figure, blowUp spelled blow_up, the task row aside.
    js = (ROOT / "tests" / "data" / "article_js_figure.txt").read_text(encoding="utf-8")
    stacks = [["foo"], ["bar", "foo"], ["blowUp", "bar"], ["blowUp"]]
    drawn = render_text(
        [Column(t, tuple(reversed(s))) for t, s in zip((0, 0.1, 0.3, 0.6), stacks)], 100
    ).splitlines()
    assert drawn[:-2] + drawn[-1:] == js.splitlines()[:-2] + js.splitlines()[-1:]
    assert [frames_of(line) for line in result.stdout.splitlines()] == [
        frames_of(line.replace("blowUp", "blow_up")) for line in drawn
    ]


@pytest.mark.parametrize("page", ["docs/debugging.md", "README.md"])
def test_debugging_page_callback_figure_is_this_run(article: Path, page: str) -> None:
    text = (ROOT / page).read_text(encoding="utf-8")
    # the command, then (past a table's opening, in the README) the figure, then the article's
    match = re.search(
        r"```sh\n(desugar diagram --lowering callback [^\n]*)\n```(?:(?!```).)*```\n(.*?)```"
        r"(?:(?!```).)*```\n(.*?)```",
        text, re.S,
    )
    assert match, f"{page} shows no callback figure"
    assert match.group(2) == CALLBACK_FIGURE
    js = (ROOT / "tests" / "data" / "article_js_figure.txt").read_text(encoding="utf-8")
    assert match.group(3) == js, f"{page}: the figure beside desugar's is not the article's"
    result = desugar_diagram(shlex.split(match.group(1))[2:], article.parent.parent)
    assert result.stdout == CALLBACK_FIGURE


def test_example_figure_under_the_callback_lowering(example: Path) -> None:
    result = desugar_diagram(
        ["--lowering", "callback", "--quantum", "100", str(example)], example.parent
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        "done\n"
        "                  ╱╱            ╱╱            ╱╱\n"
        "  ^               ╲╲   ┌─────┐  ╲╲   ┌─────┐  ╲╲\n"
        "  │               ╱╱   │ bar │  ╱╱   │ baz │  ╱╱\n"
        "  │      ┌─────┐  ╲╲  ┌┴─────┤  ╲╲  ┌┴─────┤  ╲╲  ┌─────┐\n"
        "Stack    │ foo │  ╱╱  │ foo  │  ╱╱  │ bar  │  ╱╱  │ baz │\n"
        "  │      └─────┘  ╲╲  └──────┘  ╲╲  └──────┘  ╲╲  └─────┘\n"
        "  │        foo    ╱╱    foo     ╱╱    foo     ╱╱    foo\n"
        "  │             +100 ms       +100 ms       +100 ms\n"
    )


def test_unknown_lowering_is_a_usage_error(tmp_path: Path) -> None:
    result = desugar_diagram(["--lowering", "threads", "x.py"], tmp_path)
    assert result.returncode == 2
    assert (
        "Error: Invalid value for '--lowering': unknown lowering 'threads': "
        "the lowerings are poll, callback, callback-async-stacks, native\n"
    ) in result.stderr


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


# --------------------------------------------------------------------------
# Many tasks: one column per resumption, labelled; --task, --max-columns, rows

TASKS_ASYNCIO = """\
import asyncio

async def worker(n):
    await asyncio.sleep(0.2 * n)

async def main():
    await asyncio.gather(*(worker(n) for n in (1, 2, 3)))
    print("all done")

asyncio.run(main())
"""

TASKS_TRIO = """\
import trio

async def worker(n):
    await trio.sleep(0.2 * n)

async def main():
    async with trio.open_nursery() as nursery:
        for n in (1, 2, 3):
            nursery.start_soon(worker, n)
    print("all done")

trio.run(main)
"""


def svg_columns(svg: Path) -> tuple[list[list[str]], list[str], list[str]]:
    """The SVG's stacks (youngest first), task labels and gap labels, in order."""
    root = ET.parse(svg).getroot()
    columns = [g for g in root.iter(f"{SVG}g") if g.get("class") == "column"]
    stacks = [[t.text for t in g if t.get("class") == "frame"] for g in columns]
    tasks = [t.text for g in columns for t in g if t.get("class") == "task"]
    gaps = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "gap"]
    return stacks, tasks, gaps


def gap_ms(label: str) -> int:
    """A gap's label (``+200 ms``, ``+1.2 s``) in milliseconds."""
    match = re.fullmatch(r"\+([\d.]+) (ms|s)", label)
    assert match, label
    return round(float(match[1]) * (1 if match[2] == "ms" else 1000))


@pytest.mark.parametrize("lowering", ["poll", "native"])
@pytest.mark.parametrize("program", [TASKS_ASYNCIO, TASKS_TRIO], ids=["asyncio", "trio"])
def test_tasks_started_together_are_one_column_each_labelled_with_its_task(
    tmp_path: Path, lowering: str, program: str
) -> None:
    # trio resumes the three workers in one pass of its run loop: still three columns.
    (tmp_path / "prog.py").write_text(program, encoding="utf-8")
    svg = tmp_path / "prog.svg"
    result = desugar_diagram(
        ["--lowering", lowering, "--quantum", "100", "--svg", str(svg), "prog.py"], tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("all done\n")
    stacks, tasks, gaps = svg_columns(svg)
    workers = ["worker#1", "worker#2", "worker#3"]
    assert tasks[0] == "main" and tasks[-1] == "main"
    assert sorted(tasks[1:4]) == workers  # each started, in the driver's order
    assert sorted(tasks[4:7]) == workers  # each woken once, 200 ms apart
    assert len(tasks) == 8, tasks
    assert gaps[:3] == ["+0 ms"] * 3
    # Woken 200 ms apart: each gap a whole quantum, the first and the three together
    # at least what the sleeps take (a loaded machine wakes them later, never sooner).
    woken = [gap_ms(gap) for gap in gaps[3:6]]
    assert all(ms >= 100 and ms % 100 == 0 for ms in woken), gaps
    assert woken[0] >= 200 and sum(woken) >= 600, gaps
    assert stacks[1:4] == [["sleep", "worker"]] * 3
    assert stacks[4:7] == [["worker"]] * 3
    # The text figure labels the same columns.
    text_tasks = re.findall(r"(?<!│ )(main|worker#\d)", result.stdout)
    assert text_tasks == tasks


def test_task_filters_the_columns_and_notes_what_was_left_out(tmp_path: Path) -> None:
    (tmp_path / "prog.py").write_text(TASKS_ASYNCIO, encoding="utf-8")
    result = desugar_diagram(["--task", "worker#2", "--quantum", "100", "prog.py"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        "all done\n"
        "                     ╱╱\n"
        "  ^       ┌───────┐  ╲╲\n"
        "  │       │ sleep │  ╱╱\n"
        "  │      ┌┴───────┤  ╲╲  ┌────────┐\n"
        "Stack    │ worker │  ╱╱  │ worker │\n"
        "  │      └────────┘  ╲╲  └────────┘\n"
        "  │       worker#2   ╱╱   worker#2\n"
        "  │                +400 ms\n"
        "\n"
        "Left out: 6 columns of other tasks (main, worker#1, worker#3).\n"
    )
    # A function's name picks all its tasks.
    result = desugar_diagram(["--task", "worker", "prog.py"], tmp_path)
    assert re.findall(r"worker#\d|main", result.stdout) == (
        ["worker#1", "worker#2", "worker#3"] * 2 + ["main"]
    )
    assert result.stdout.endswith("Left out: 2 columns of other tasks (main).\n")


def test_unknown_task_names_the_tasks_there_are(tmp_path: Path) -> None:
    (tmp_path / "prog.py").write_text(TASKS_ASYNCIO, encoding="utf-8")
    result = desugar_diagram(["--task", "nope", "prog.py"], tmp_path)
    assert result.returncode == 0  # the program's status
    assert result.stdout == "all done\n"
    assert result.stderr == (
        "desugar diagram: no task named 'nope'; the tasks are: main, worker#1, worker#2, worker#3\n"
    )


MANY_COLUMNS = """\
import asyncio

async def client(n):
    for _ in range(10):
        await asyncio.sleep(0)

async def main():
    await asyncio.gather(*(client(n) for n in range(8)))

asyncio.run(main())
"""


def test_max_columns_keeps_the_first_and_notes_the_rest(tmp_path: Path) -> None:
    (tmp_path / "prog.py").write_text(MANY_COLUMNS, encoding="utf-8")
    svg = tmp_path / "few.svg"
    result = desugar_diagram(["--max-columns", "5", "--width", "60", "--svg", str(svg), "prog.py"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert re.findall(r"(?<!│ )(main|client#\d)", result.stdout.split("Left out")[0]) == [
        "main", "client#1", "client#2", "client#3", "client#4"
    ]
    note = " ".join(result.stdout.split("\n\n")[-1].split())
    assert re.fullmatch(
        r"Left out: the 85 columns after the first 5 \(from \+\d+ ms on: "
        r"11 of client#5, 11 of client#6, 11 of client#7, 11 of client#8, 10 of client#1, "
        r"10 of client#2, 10 of client#3, 10 of client#4, 1 of main; --max-columns draws more\)\.",
        note,
    ), note
    assert max(len(line) for line in result.stdout.splitlines()) <= 60  # the note wraps too
    root = ET.parse(svg).getroot()  # and in the picture, within its width
    notes = [e.text for e in root.iter() if e.get("class") == "note"]
    assert len(notes) > 1 and " ".join(notes) == note
    assert float(root.get("width")) <= diagram.SVG_WIDTH


def test_a_long_figure_wraps_into_rows_in_text_and_svg(tmp_path: Path) -> None:
    (tmp_path / "prog.py").write_text(MANY_COLUMNS, encoding="utf-8")
    svg = tmp_path / "many.svg"
    result = desugar_diagram(
        ["--max-columns", "90", "--width", "80", "--svg", str(svg), "prog.py"], tmp_path
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert sum(line.startswith("Stack") for line in lines) > 10  # one axis per row
    assert len(re.findall(r"(?<!│ )(main|client#\d)", result.stdout)) == 90  # each column once
    assert "Left out" not in result.stdout
    root = ET.parse(svg).getroot()
    assert float(root.get("width")) <= diagram.SVG_WIDTH
    stacks, tasks, gaps = svg_columns(svg)
    assert len(tasks) == 90 and len(gaps) == 89
    assert float(root.get("height")) > 5 * 26  # rows below rows, not a strip


@pytest.mark.parametrize(
    ("option", "path", "message"),
    [
        ("-o", "missing/fig.txt", "Invalid value for '-o' / '--output': cannot write "
         "'missing/fig.txt': there is no directory 'missing'. Create it first, or give a "
         "file in an existing directory."),
        ("--svg", "missing/fig.svg", "Invalid value for '--svg': cannot write "
         "'missing/fig.svg': there is no directory 'missing'. Create it first, or give a "
         "file in an existing directory."),
        ("--svg", ".", "Invalid value for '--svg': '.' is a directory; give a file name in it."),
    ],
)
def test_an_output_that_cannot_be_written_fails_before_the_program_runs(
    tmp_path: Path, option: str, path: str, message: str
) -> None:
    (tmp_path / "prog.py").write_text(
        "open('ran', 'w').close()\n" + TASKS_ASYNCIO, encoding="utf-8"
    )
    result = desugar_diagram([option, path, "prog.py"], tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.endswith(f"\nError: {message}\n"), result.stderr
    assert "Try '" in result.stderr  # (the usage's hint)
    assert not (tmp_path / "ran").exists()

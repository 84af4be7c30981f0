"""``desugar diagram``: the stack of polls over time, drawn as the article draws it.

While the program runs, a `Recorder` (``sys.setprofile``, on this thread only,
and only while recording) notes, at each *resumption* of a task by its driver,
the program's own frames on the stack, oldest first, with the leaf future the
youngest one awaits (the runtime's ``sleep``, ``asyncio.sleep``, ...) on top::

    driver (not shown)        Executor._poll, asyncio's Handle._run / Task.__step,
      foo                     trio's run loop
        bar                   the program's frames: shown
          (awaitee glue)      desugar's and the libraries' frames: not shown
            Sleep.poll        the leaf: shown as "sleep"

A column is the deepest stack its resumption reached, a leaf counting only if
it returned `Pending` (the first of equally deep ones): most often where the
task suspended, the waiting leaf on top, or where it finished. `render_text`
draws the columns side by side in box-drawing characters, youngest frame on
top, each with its time offset from the first resumption; `render_svg` draws
the same as an SVG picture. Neither knows how the program was lowered: under
the poll lowering and natively every resumption rebuilds the whole await chain
on the stack; a callback lowering would show lonely frames.

The article: Nick Fitzgerald, "Async Stack Traces in Rust" (2019),
https://fitzgeraldnick.com/2019/08/27/async-stacks-in-rust.html
"""

from __future__ import annotations

import os
import re
import sys
import time
from types import CodeType, FrameType
from typing import Any, Callable, NamedTuple, Sequence

import click

from desugar import run
from desugar.mode import Mode
from desugar.mode import options as mode_options

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))

#: Frames that resume a task: (path suffix, function name, how the task is found); the
#: runtime's executor says itself which of its frames do (`Executor.is_task_poll`).
_DRIVERS = (
    (os.sep + os.path.join("asyncio", "events.py"), "_run", "handle"),  # Handle._run
    (os.sep + os.path.join("asyncio", "tasks.py"), "__step", "self"),  # the pure-Python Task
    (os.sep + os.path.join("asyncio", "tasks.py"), "__step_run_and_handle_result", "self"),
    (os.sep + os.path.join("trio", "_core", "_run.py"), "unrolled_run", "trio"),
)

_COROUTINE_FLAGS = 0x0080 | 0x0100  # CO_COROUTINE | CO_ITERABLE_COROUTINE

_PROGRAM, _DRIVER, _LEAF, _OTHER = range(4)


class Column(NamedTuple):
    """One resumption: its time (seconds after the first), its stack, oldest frame first,
    and the task it resumed (its label, see `Recorder.stop`)."""

    time: float
    frames: tuple[str, ...]
    task: str = ""


def _library_dirs() -> tuple[str, ...]:
    """Directories whose code is not the program's: the standard library and site-packages."""
    import site
    import sysconfig

    dirs = set()
    paths = sysconfig.get_paths()
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        if key in paths:
            dirs.add(paths[key])
    try:
        dirs.update(site.getsitepackages())
        dirs.add(site.getusersitepackages())
    except AttributeError:  # pragma: no cover - a virtualenv's old site module
        pass
    return tuple(os.path.abspath(d) + os.sep for d in dirs)


_DEFAULT_ASYNCIO_NAME = re.compile(r"Task-\d+\Z")


def _task_of(driver: FrameType, how: str) -> Any:
    """The task the driver frame ``driver`` is resuming (None if it cannot be told)."""
    try:
        if how == "executor":
            from desugar.runtime import Executor

            return Executor.polled_task(driver)
        if how == "trio":
            return driver.f_locals.get("task")
        owner = driver.f_locals.get("self")
        if how == "handle":  # a Task's step or wakeup, bound to it
            return getattr(getattr(owner, "_callback", None), "__self__", None)
        return owner
    except Exception:  # (a frame whose locals cannot be read)
        return None


def _given_name(task: Any) -> str | None:
    """The name the program gave ``task`` (asyncio's ``name=``, trio's ``name=``), if any."""
    name = None
    if hasattr(task, "get_name") and hasattr(task, "get_coro"):  # asyncio
        name = task.get_name()
        if _DEFAULT_ASYNCIO_NAME.match(name):
            return None
    elif hasattr(task, "coro") and hasattr(task, "child_nurseries"):  # trio
        name = task.name
        coro = task.coro
        qualname = getattr(coro, "__qualname__", None)
        if qualname and (name == qualname or name.endswith("." + qualname)):
            return None  # trio's default: the function's module and name
    return name if isinstance(name, str) and name else None


class _TaskInfo:
    """What the figure says of one task: its label and the names ``--task`` knows it by."""

    __slots__ = ("task", "base", "names", "label")

    def __init__(self, task: Any, base: str, names: tuple[str, ...]) -> None:
        self.task = task  # (kept alive while recording: its id stays its own)
        self.base = base
        self.names = names
        self.label = base


class Recorder:
    """Records the program's stack at each resumption of a task (see the module docstring).

    ``start()`` installs a profile function on the calling thread; ``stop()``
    removes it and returns the `Column` list. Nothing is paid when no recorder
    is running.
    """

    def __init__(self) -> None:
        self.columns: list[Column] = []
        self.tasks: dict[str, _TaskInfo] = {}  # by label, once stopped
        self._kinds: dict[int, tuple[CodeType, int]] = {}
        self._how: dict[CodeType, str] = {}  # a driver's code -> how its task is found
        self._library = _library_dirs()
        self._first: float | None = None
        self._driver: FrameType | None = None  # the frame resuming the open resumption
        self._root: FrameType | None = None  # (trio) the frame the driver resumed
        self._task: Any = None  # the task it resumes
        self._started = 0.0
        self._best: tuple[CodeType, ...] = ()  # its deepest stack so far, youngest first,
        self._best_leaf: FrameType | None = None  # the leaf on top of it, while it waits,
        self._best_label: str | None = None  # and the leaf's name
        self._best_score = -1
        self._pending: Any = None
        self._infos: dict[object, _TaskInfo] = {}  # id(task) (unknown: its frame) -> its info
        self._task_ids: list[object] = []  # each column's id(task)

    def start(self) -> None:
        """Record from now on (this thread)."""
        from desugar.runtime import Pending

        self._pending = Pending
        sys.setprofile(self._profile)

    def stop(self) -> list[Column]:
        """Stop recording; the columns recorded, each with its task's label.

        A task is labelled with the name the program gave it, else with its
        outermost frame's name; tasks that would share a label are told apart
        by ``#1``, ``#2``, ... in the order they were first resumed.
        """
        sys.setprofile(None)
        self._close()
        infos = list(self._infos.values())  # (in order of first resumption)
        by_base: dict[str, list[_TaskInfo]] = {}
        for info in infos:
            by_base.setdefault(info.base, []).append(info)
        for same in by_base.values():
            if len(same) > 1:
                for k, info in enumerate(same, 1):
                    info.label = f"{info.base}#{k}"
        self.tasks = {info.label: info for info in infos}
        self.columns = [
            column._replace(task=self._infos[key].label) if key in self._infos else column
            for column, key in zip(self.columns, self._task_ids)
        ]
        return self.columns

    # -- classifying frames (cached per code object)

    def _kind(self, code: CodeType) -> int:
        # Keyed by id (a code object's own hash is not cached); the entry keeps
        # the code alive, so the id cannot be reused while it is cached.
        entry = self._kinds.get(id(code))
        if entry is None or entry[0] is not code:
            entry = self._kinds[id(code)] = (code, self._classify(code))
        return entry[1]

    def _classify(self, code: CodeType) -> int:
        filename = code.co_filename
        if filename.startswith("<"):
            return _OTHER
        path = os.path.abspath(filename)
        runtime = sys.modules["desugar.runtime"]
        if runtime.Executor.is_task_poll(code):
            self._how[code] = "executor"
            return _DRIVER
        for suffix, name, how in _DRIVERS:
            if code.co_name == name and path.endswith(suffix):
                self._how[code] = how
                return _DRIVER
        if runtime.is_leaf_poll(code):
            return _LEAF
        if path.startswith(_PACKAGE_DIR + os.sep):
            return _OTHER
        if path.startswith(self._library):
            return _LEAF if code.co_flags & _COROUTINE_FLAGS else _OTHER
        return _PROGRAM

    # -- the profile function

    def _profile(self, frame: FrameType, event: str, arg: Any) -> None:
        if event == "call":
            self._called(frame)
        elif event == "return":
            if frame is self._best_leaf and self._leaf_finished(frame, arg):
                # A leaf that was ready: the stack as it was without it.
                self._best_leaf = None
                self._best_label = None
                self._best_score -= 1
            elif frame is self._driver:
                self._close()

    def _called(self, frame: FrameType) -> None:
        kind = self._kind
        leaf = None
        f: FrameType | None = frame
        while f is not None:  # above the youngest program frame: is a leaf being polled?
            k = kind(f.f_code)
            if k == _PROGRAM:
                break
            if k == _LEAF:
                leaf = f  # the oldest one: what the program awaits
            f = f.f_back
        chain: list[CodeType] = []
        root = None
        while f is not None:  # the program's frames, down to the driver
            k = kind(f.f_code)
            if k == _DRIVER:
                break
            if k == _PROGRAM:
                chain.append(f.f_code)
            root = f
            f = f.f_back
        if f is None or not chain:  # not inside a resumption of a task
            return
        if f is not self._driver:
            self._open(f, root)
        elif root is not self._root and self._how[f.f_code] == "trio":
            # trio's run loop resumes a batch of tasks in one frame: a new one.
            self._open(f, root)
        score = len(chain) + (leaf is not None)
        if score > self._best_score:
            self._best_score = score
            self._best_leaf = leaf
            self._best = tuple(chain)
            self._best_label = _leaf_name(leaf) if leaf is not None else None

    def _open(self, driver: FrameType, root: FrameType | None) -> None:
        """A new resumption, by ``driver``, of the task whose frame ``root`` it resumed."""
        self._close()
        self._driver = driver
        self._root = root
        self._task = _task_of(driver, self._how[driver.f_code])
        self._started = time.perf_counter()

    def _leaf_finished(self, frame: FrameType, arg: Any) -> bool:
        """Did the leaf ``frame`` complete (rather than wait) in the return just seen?"""
        if frame.f_code.co_flags & _COROUTINE_FLAGS:  # a coroutine: returned, or yielded?
            op = frame.f_code.co_code[frame.f_lasti] if frame.f_lasti >= 0 else 0
            return _opname(op).startswith("RETURN")
        return arg is not self._pending

    def _close(self) -> None:
        """End the open resumption: its stack becomes a column."""
        if self._driver is not None and self._best:
            if self._first is None:
                self._first = self._started
            names = [_frame_name(code) for code in reversed(self._best)]
            if self._best_label is not None:
                names.append(self._best_label)
            task = self._task
            key = id(task) if task is not None else names[0]
            if key not in self._infos:
                given = _given_name(task) if task is not None else None
                base = given or names[0]
                aliases = {base, names[0]}
                if task is not None and hasattr(task, "get_name"):
                    aliases.add(task.get_name())
                elif task is not None and isinstance(getattr(task, "name", None), str):
                    aliases.add(task.name)
                self._infos[key] = _TaskInfo(task, base, tuple(sorted(aliases)))
            self._task_ids.append(key)
            self.columns.append(Column(self._started - self._first, tuple(names)))
        self._driver = None
        self._root = None
        self._task = None
        self._best = ()
        self._best_leaf = None
        self._best_label = None
        self._best_score = -1


def _opname(op: int) -> str:
    import dis

    return dis.opname[op]


def _frame_name(code: CodeType) -> str:
    """A program frame's name: ``Class.method`` or ``function`` (no enclosing function)."""
    name = getattr(code, "co_qualname", code.co_name)  # 3.10: no co_qualname
    return name.rpartition("<locals>.")[2]


def _leaf_name(frame: FrameType) -> str:
    """What a leaf is called: the runtime's function for its futures, else the coroutine's name."""
    future = sys.modules["desugar.runtime"].polled_future(frame)
    if future is not None:
        return future.describe().name
    return frame.f_code.co_name


# --------------------------------------------------------------------------
# Drawing


def time_label(seconds: float, quantum_ms: int = 1) -> str:
    """``+200 ms``: ``seconds`` in milliseconds, rounded to the nearest ``quantum_ms``."""
    steps = int(seconds * 1000 / quantum_ms + 0.5)
    return f"+{steps * quantum_ms} ms"


def gap_labels(columns: Sequence[Column], quantum_ms: int = 1) -> list[str | None]:
    """What each column's gap says, as in the article: the time since the column before it.

    The first column has no gap (None).
    """
    labels: list[str | None] = [None]
    for before, after in zip(columns, columns[1:]):
        labels.append(time_label(after.time - before.time, quantum_ms))
    return labels[: len(columns)]


#: The longest task label drawn (longer ones are cut, ending in "…").
LABEL_WIDTH = 24


def _task_label(column: Column) -> str:
    label = column.task
    return label if len(label) <= LABEL_WIDTH else label[: LABEL_WIDTH - 1] + "…"


def _stairs(frames: Sequence[str]) -> tuple[list[str], int]:
    """The names youngest first, and the inner width of the top box.

    Each box below is one wider than the one above it; the top one is as
    narrow as lets every name fit (with a space either side).
    """
    top_first = list(reversed(frames))
    return top_first, max(len(name) + 2 - i for i, name in enumerate(top_first))


def _box_lines(frames: Sequence[str]) -> list[str]:
    """One column's boxes, youngest on top, as equally wide lines.

    Each box reaches one character further left than the one above it, their
    right edges aligned, as in the article::

           ┌───────┐
           │ sleep │
          ┌┴───────┤
          │ bar    │
         ┌┴────────┤
         │ foo     │
         └─────────┘
    """
    top_first, inner0 = _stairs(frames)
    n = len(top_first)
    width = inner0 + n + 1  # the bottom box, borders included
    lines = []
    for i, name in enumerate(top_first):
        inner = inner0 + i
        if i == 0:
            border = "┌" + "─" * inner + "┐"
        else:
            border = "┌┴" + "─" * (inner - 1) + "┤"
        lines.append(border.rjust(width))
        lines.append(("│ " + name.ljust(inner - 1) + "│").rjust(width))
    lines.append(("└" + "─" * (inner0 + n - 1) + "┘").rjust(width))
    return lines


_AXIS = 7  # "  │    ": the axis, before the first column
_LEAD = 2  # the first row's first column starts two further in, as in the article
_SEP = 6  # "  ╱╱  ": a gap between two columns


def _label_start(sep: int, label: str) -> int:
    """Where a gap's label starts: centred under the ``╱╱`` of the gap at ``sep``, as in the article."""
    return sep + 3 - len(label) // 2


class _Cell(NamedTuple):
    boxes: list[str]
    task: str
    gap: str | None  # the label of the gap before it (None: the figure's first column)
    width: int


def _cells(columns: Sequence[Column], quantum_ms: int) -> list[_Cell]:
    cells = []
    gaps = gap_labels(columns, quantum_ms)
    for k, column in enumerate(columns):
        boxes = _box_lines(column.frames)
        task = _task_label(column)
        width = max(len(boxes[0]), len(task))
        after = gaps[k + 1] if k + 1 < len(columns) else None
        if gaps[k] is not None and after is not None:  # the two gap labels must not touch
            width = max(width, (len(gaps[k]) + 1) // 2 + len(after) // 2 + 1 - _SEP + 1)
        cells.append(_Cell(boxes, task, gaps[k], width))
    return cells


def _rows(sizes: Sequence[int], width: int, first: int, later: int, sep: int) -> list[range]:
    """Split items of ``sizes`` into rows of at most ``width`` (at least one item a row).

    A row starts after ``first`` (the figure's first row) or ``later``
    (a row that goes on from the one above); items are ``sep`` apart.
    """
    rows = []
    start = 0
    used = first
    for k, size in enumerate(sizes):
        if k > start and used + sep + size > width:
            rows.append(range(start, k))
            start = k
            used = later + size
        else:
            used += (sep if k > start else 0) + size
    if start < len(sizes):
        rows.append(range(start, len(sizes)))
    return rows


def render_text(
    columns: Sequence[Column], quantum_ms: int = 1, width: int = 100, note: str | None = None
) -> str:
    """The figure in the article's box-drawing text: one column per resumption.

    Columns stand side by side on a common bottom line, each with its task's
    label below it, separated by ``╱╱``/``╲╲`` (time passes there) with the
    time that passed below, as in the article. Columns that would not fit in
    ``width`` characters go on in a row below, which starts with the gap
    before its first column. ``note`` (what was left out) ends the figure.
    """
    if not columns:
        return ""
    cells = _cells(columns, quantum_ms)
    rows = _rows([c.width for c in cells], width, _AXIS + _LEAD, _AXIS + _SEP, _SEP)
    blocks = [_text_row([cells[k] for k in row]) for row in rows]
    text = "\n\n".join("\n".join(block) for block in blocks) + "\n"
    if note:
        import textwrap

        text += "\n" + "\n".join(textwrap.wrap(note, width)) + "\n"
    return text


def _text_row(cells: Sequence[_Cell]) -> list[str]:
    """One row of the figure (see `render_text`) as lines."""
    height = max(len(c.boxes) for c in cells)
    rows = height + 3  # a row above the boxes, the task labels, the gap labels
    axis_row = (height + 1) // 2 + 1
    seps: list[int] = []  # where each gap starts
    lefts: list[int] = []  # where each column starts
    x = _AXIS
    for k, cell in enumerate(cells):
        if cell.gap is not None:
            seps.append(x)
            x += _SEP
        elif k == 0:
            x += _LEAD
        lefts.append(x)
        x += cell.width
    lines = []
    for row in range(rows):
        if row == 0:
            axis = " " * _AXIS
        elif row == 1:
            axis = "  ^    "
        elif row == axis_row:
            axis = "Stack  "
        else:
            axis = "  │    "
        line = list(axis.ljust(x))
        gaps = [c.gap for c in cells if c.gap is not None]
        if row == rows - 1:
            for sep, label in zip(seps, gaps):
                start = _label_start(sep, label)
                line[start : start + len(label)] = label
        else:
            mark = "╱╱" if row % 2 == 0 else "╲╲"
            for sep in seps:
                line[sep + 2 : sep + 4] = mark
            for left, cell in zip(lefts, cells):
                if row == rows - 2:
                    text = cell.task.center(cell.width).rstrip()
                else:
                    index = row - (height - len(cell.boxes)) - 1
                    if not 0 <= index < len(cell.boxes):
                        continue
                    text = " " * ((cell.width - len(cell.boxes[0])) // 2) + cell.boxes[index]
                line[left : left + len(text)] = text
        lines.append("".join(line).rstrip())
    return lines


#: SVG geometry: a character's width and a box's height, in pixels.
_CHAR = 8
_ROW = 26
_GAP = 48
_MARGIN = 16
_AXIS_PX = _MARGIN + 4 * _CHAR  # the first column's left edge

#: The widest an SVG figure grows before its columns go on in a row below.
SVG_WIDTH = 1200


def render_svg(
    columns: Sequence[Column], quantum_ms: int = 1, width: int = SVG_WIDTH, note: str | None = None
) -> str:
    """The figure as an SVG picture: the same boxes, labels and rows as `render_text`.

    Each column is a ``<g class="column">`` holding its boxes (``<rect>`` and
    ``<text class="frame">``, youngest first) and its ``<text class="task">``;
    each gap a zigzag with its ``<text class="gap">``. Columns that would make
    the picture wider than ``width`` pixels go on in a row below.
    """
    from xml.sax.saxutils import escape

    sizes = []
    for column in columns:
        top_first, inner0 = _stairs(column.frames)
        chars = inner0 + len(top_first) + 1  # the bottom box's width in characters
        sizes.append(max(chars, len(_task_label(column)), 9) * _CHAR)
    gaps = gap_labels(columns, quantum_ms)
    rows = _rows(sizes, width - _MARGIN, _AXIS_PX, _AXIS_PX + _GAP, _GAP) if columns else []
    body: list[str] = []
    y = float(_MARGIN)
    right = _AXIS_PX + _MARGIN
    for row in rows:
        tallest = max(len(columns[k].frames) for k in row)
        base = y + tallest * _ROW + _ROW // 2  # the bottom of every column of the row
        mid = (y + base + _ROW) / 2
        body.append(
            f'<path class="arrow" d="M{_MARGIN + 14} {base + _ROW:g} V{y:g} m-4 8 l4 -8 l4 8"/>'
            f'<text class="axis" x="{_MARGIN + 8}" y="{mid:g}" '
            f'transform="rotate(-90 {_MARGIN + 8} {mid:g})">Stack</text>'
        )
        x = float(_AXIS_PX)
        for k in row:
            column = columns[k]
            if gaps[k] is not None:
                x += _GAP
                bx = x - _GAP / 2
                points = []
                step = 0
                yy = y
                while yy < base + _ROW / 2:
                    points.append(f"{bx + (4 if step % 2 else -4):g},{yy:g}")
                    yy += 8
                    step += 1
                body.append(
                    f'<polyline class="break" points="{" ".join(points)}"/>'
                    f'<text x="{bx:g}" y="{base + 2.5 * _ROW:g}" class="gap">'
                    f"{escape(gaps[k] or '')}</text>"
                )
            top_first, inner0 = _stairs(column.frames)
            n = len(top_first)
            chars = inner0 + n + 1
            left = x + (sizes[k] - chars * _CHAR) / 2
            body.append('<g class="column">')
            for i, name in enumerate(top_first):
                bx = left + (n - 1 - i) * _CHAR
                by = base - (n - i) * _ROW
                bw = (chars - (n - 1 - i)) * _CHAR
                body.append(
                    f'<rect x="{bx:g}" y="{by:g}" width="{bw:g}" height="{_ROW}" class="box"/>'
                    f'<text x="{bx + 1.5 * _CHAR:g}" y="{by + _ROW * 0.65:g}" class="frame">'
                    f"{escape(name)}</text>"
                )
            body.append(
                f'<text x="{x + sizes[k] / 2:g}" y="{base + 1.3 * _ROW:g}" class="task">'
                f"{escape(_task_label(column))}</text></g>"
            )
            x += sizes[k]
            right = max(right, x + _MARGIN)
        y = base + 3 * _ROW
    if note:  # wrapped as the text figure wraps it, within the picture's width
        import textwrap

        for line in textwrap.wrap(note, max(20, int((width - 2 * _MARGIN) // _CHAR))):
            body.append(f'<text x="{_MARGIN}" y="{y + _ROW / 2:g}" class="note">{escape(line)}</text>')
            right = max(right, _MARGIN * 2 + len(line) * _CHAR)
            y += _ROW
    total_width = right
    total_height = y + _MARGIN if rows else 2 * _MARGIN
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total_width:g}" '
        f'height="{total_height:g}" viewBox="0 0 {total_width:g} {total_height:g}">',
        "<title>The stack over time: one column per resumption, youngest frame on top</title>",
        "<style>"
        ".box{fill:#fff;stroke:#222;stroke-width:1.5}"
        ".frame,.time,.gap,.task,.axis,.note{font-family:monospace;font-size:13px;fill:#222}"
        ".gap,.task,.axis{text-anchor:middle}"
        ".task{fill:#666}"
        ".break,.arrow{fill:none;stroke:#888;stroke-width:1.5}"
        "</style>",
        '<rect width="100%" height="100%" fill="#fff"/>',
        *body,
        "</svg>",
    ]
    return "\n".join(parts) + "\n"


# --------------------------------------------------------------------------
# The command


def record(
    run_program: Callable[[], object], recorder: Recorder | None = None
) -> tuple[list[Column], SystemExit | None]:
    """Call ``run_program()`` while recording; the columns, and the SystemExit it raised if any."""
    recorder = recorder if recorder is not None else Recorder()
    exit_: SystemExit | None = None
    recorder.start()
    try:
        run_program()
    except SystemExit as raised:
        exit_ = raised
    finally:
        columns = recorder.stop()
    return columns, exit_


def select(
    columns: Sequence[Column], tasks: dict[str, _TaskInfo], wanted: Sequence[str], limit: int
) -> tuple[list[Column], str | None]:
    """The columns to draw, and a note of what was left out (None: nothing was).

    ``wanted`` names tasks (a label as drawn, the name the program gave a task
    or its outermost function: all its tasks); none, every task. At most
    ``limit`` columns are kept, the first ones.
    """
    kept = list(columns)
    notes = []
    if wanted:
        labels = {label for label, info in tasks.items() if set(wanted) & set(info.names + (label,))}
        kept = [c for c in columns if c.task in labels]
        others = sorted({c.task for c in columns} - labels)
        if others:
            notes.append(f"{_columns(len(columns) - len(kept))} of other tasks ({', '.join(others)})")
    if len(kept) > limit:
        rest = kept[limit:]
        counts: dict[str, int] = {}
        for column in rest:
            counts[column.task] = counts.get(column.task, 0) + 1
        of = ", ".join(f"{n} of {task}" for task, n in counts.items())
        notes.append(
            f"the {_columns(len(rest))} after the first {limit} "
            f"(from {time_label(rest[0].time)} on: {of}; --max-columns draws more)"
        )
        kept = kept[:limit]
    if not notes:
        return kept, None
    return kept, "Left out: " + "; ".join(notes) + "."


def _columns(n: int) -> str:
    return f"{n} column" if n == 1 else f"{n} columns"


def _writable(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Check before the program runs that the figure can be written to ``value``."""
    if value is None or value == "-":
        return value
    path = os.path.abspath(value)
    directory = os.path.dirname(path)
    if os.path.isdir(path):
        raise click.BadParameter(f"{value!r} is a directory; give a file name in it.")
    if not os.path.isdir(directory):
        shown = os.path.dirname(value) or directory
        raise click.BadParameter(
            f"cannot write {value!r}: there is no directory {shown!r}. "
            "Create it first, or give a file in an existing directory."
        )
    exists = os.path.exists(path)
    if not os.access(path if exists else directory, os.W_OK):
        where = "the file" if exists else f"the directory {os.path.dirname(value) or '.'!r}"
        raise click.BadParameter(
            f"cannot write {value!r}: {where} is not writable. Give another path."
        )
    return value


def _write(path: str, text: str) -> bool:
    """Write ``text`` to ``path``; on failure say so (the figure is then printed instead)."""
    try:
        with open(path, "w", encoding="utf-8") as file:
            file.write(text)
    except OSError as error:
        click.echo(f"desugar diagram: cannot write {path}: {error.strerror or error}", err=True)
        return False
    return True


@click.command("diagram", context_settings=run.PROGRAM_COMMAND)
@run.program_options
@mode_options(native=True)
@click.option(
    "-o",
    "--output",
    callback=_writable,
    metavar="FILE",
    help="Write the text figure to FILE instead of stdout (checked before the program runs).",
)
@click.option(
    "--svg",
    callback=_writable,
    metavar="FILE",
    help="Also draw the figure as an SVG picture in FILE (checked before the program runs).",
)
@click.option(
    "--quantum",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    metavar="MS",
    help="Round the times between columns to the nearest MS milliseconds.",
)
@click.option(
    "--trace",
    "trace_file",
    metavar="FILE",
    help="Draw from the trace file desugar run --trace wrote instead of running a program "
    "(give no TARGET): a column per poll of the tasks --task names.",
)
@click.option(
    "--task",
    "tasks",
    multiple=True,
    metavar="NAME",
    help="Draw only the resumptions of task NAME: its label in the figure, the name the "
    "program gave it, or its outermost function; with --trace, its track's name, its name "
    "or its id (repeatable).",
)
@click.option(
    "--max-columns",
    type=click.IntRange(min=1),
    default=60,
    show_default=True,
    metavar="N",
    help="Draw at most the first N columns; the figure notes what was left out.",
)
@click.option(
    "--width",
    type=click.IntRange(min=40),
    default=100,
    show_default=True,
    metavar="CHARS",
    help="Wrap the text figure into rows at most CHARS wide (the SVG wraps at "
    f"{SVG_WIDTH} pixels).",
)
@click.argument("target", required=False)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def diagram_command(
    as_module: bool,
    include: tuple[str, ...],
    mode: Mode | None,
    output: str | None,
    svg: str | None,
    trace_file: str | None,
    quantum: int,
    tasks: tuple[str, ...],
    max_columns: int,
    width: int,
    target: str | None,
    args: tuple[str, ...],
) -> None:
    """Run TARGET as `desugar run` does and draw its stack over time.

    At each resumption of a task (by block_on, asyncio or trio) the program's
    frames on the stack are recorded; the figure has one column per
    resumption, youngest frame on top, the awaited leaf (sleep) above them and
    the task below, and under each gap the time that passed. Options go
    before TARGET; ARGS go to the program. The exit status is the program's.

    With --trace FILE (and no TARGET) the figure is drawn from a trace file of
    a run of any size, for the task --task chooses.
    """
    if trace_file is not None:
        if target is not None or as_module:
            what = "-m" if as_module and target is None else repr(target)
            raise click.UsageError(
                f"--trace draws a run that desugar run --trace recorded and runs no program: "
                f"leave out {what}, or leave out --trace to run it."
            )
        _diagram_of_trace(trace_file, output, svg, quantum, tasks, max_columns, width)
        return
    if target is None:
        raise click.UsageError(
            "give the program to run (TARGET), or --trace FILE to draw a run desugar run "
            "--trace recorded."
        )
    run.check_target(target)
    status = 0

    def run_program() -> None:
        nonlocal status
        if as_module:
            status = run.run_module(target, args, include, mode=mode)
        else:
            status = run.run_script(target, args, include, mode=mode)

    recorder = Recorder()
    columns, exit_ = record(run_program, recorder)
    if sys.stdout is not None:
        sys.stdout.flush()
    drawn, note = select(columns, recorder.tasks, tasks, max_columns)
    if not columns:
        click.echo("desugar diagram: no task was resumed; nothing to draw", err=True)
    elif not drawn:
        known = ", ".join(recorder.tasks)
        click.echo(
            f"desugar diagram: no task named {', '.join(map(repr, tasks))}; the tasks are: {known}",
            err=True,
        )
    else:
        text = render_text(drawn, quantum, width, note)
        if output is None or not _write(output, text):
            click.echo(text, nl=False)
        if svg is not None:
            _write(svg, render_svg(drawn, quantum, note=note))
    if exit_ is not None:
        raise exit_
    sys.exit(status)


def _diagram_of_trace(path: str, output: str | None, svg: str | None, quantum: int,
                      tasks: tuple[str, ...], max_columns: int, width: int) -> None:
    from desugar.trace.diagram import TraceError, draw

    try:
        text, picture = draw(path, tasks, quantum, width, max_columns)
    except TraceError as error:
        click.echo(f"desugar diagram: {error}", err=True)
        sys.exit(1)
    if output is None or not _write(output, text):
        click.echo(text, nl=False)
    if svg is not None and not _write(svg, picture):
        sys.exit(1)

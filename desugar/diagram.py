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
"""

from __future__ import annotations

import os
import sys
import time
from types import CodeType, FrameType
from typing import Any, Callable, NamedTuple, Sequence

import click

from desugar import run

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
_RUNTIME_DIR = os.path.join(_PACKAGE_DIR, "runtime")

#: Runtime modules whose frames pass a poll on (never a leaf).
_GLUE = frozenset(
    {"_awaitee.py", "_future.py", "_bridge.py", "_stream.py", "_waker.py", "_poll.py"}
)

#: Frames that resume a task: (path suffix, function name).
_DRIVERS = (
    (os.path.join(_RUNTIME_DIR, "_executor.py"), "_poll"),  # Executor._poll
    (os.sep + os.path.join("asyncio", "events.py"), "_run"),  # Handle._run
    (os.sep + os.path.join("asyncio", "tasks.py"), "__step"),  # the pure-Python Task
    (os.sep + os.path.join("asyncio", "tasks.py"), "__step_run_and_handle_result"),
    (os.sep + os.path.join("trio", "_core", "_run.py"), "unrolled_run"),
)

#: What a runtime leaf future is called in the figure (the function that makes it).
_LEAF_NAMES = {
    "Sleep": "sleep",
    "_YieldNow": "yield_now",
    "_Join": "join",
    "_Select": "select",
    "_Timeout": "timeout",
}

_COROUTINE_FLAGS = 0x0080 | 0x0100  # CO_COROUTINE | CO_ITERABLE_COROUTINE

_PROGRAM, _DRIVER, _LEAF, _OTHER = range(4)


class Column(NamedTuple):
    """One resumption: its time (seconds after the first) and its stack, oldest frame first."""

    time: float
    frames: tuple[str, ...]


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


class Recorder:
    """Records the program's stack at each resumption of a task (see the module docstring).

    ``start()`` installs a profile function on the calling thread; ``stop()``
    removes it and returns the `Column` list. Nothing is paid when no recorder
    is running.
    """

    def __init__(self) -> None:
        self.columns: list[Column] = []
        self._kinds: dict[int, tuple[CodeType, int]] = {}
        self._library = _library_dirs()
        self._first: float | None = None
        self._driver: FrameType | None = None  # the frame resuming the open resumption
        self._started = 0.0
        self._best: tuple[CodeType, ...] = ()  # its deepest stack so far, youngest first,
        self._best_leaf: FrameType | None = None  # the leaf on top of it, while it waits,
        self._best_label: str | None = None  # and the leaf's name
        self._best_score = -1
        self._pending: Any = None

    def start(self) -> None:
        """Record from now on (this thread)."""
        from desugar.runtime._poll import Pending

        self._pending = Pending
        sys.setprofile(self._profile)

    def stop(self) -> list[Column]:
        """Stop recording; the columns recorded."""
        sys.setprofile(None)
        self._close()
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
        for suffix, name in _DRIVERS:
            if code.co_name == name and path.endswith(suffix):
                return _DRIVER
        if path.startswith(_PACKAGE_DIR + os.sep):
            if (
                path.startswith(_RUNTIME_DIR + os.sep)
                and code.co_name == "poll"
                and os.path.basename(path) not in _GLUE
            ):
                return _LEAF
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
        while f is not None:  # the program's frames, down to the driver
            k = kind(f.f_code)
            if k == _DRIVER:
                break
            if k == _PROGRAM:
                chain.append(f.f_code)
            f = f.f_back
        if f is None or not chain:  # not inside a resumption of a task
            return
        if f is not self._driver:
            self._close()
            self._driver = f
            self._started = time.perf_counter()
        score = len(chain) + (leaf is not None)
        if score > self._best_score:
            self._best_score = score
            self._best_leaf = leaf
            self._best = tuple(chain)
            self._best_label = _leaf_name(leaf) if leaf is not None else None

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
            self.columns.append(Column(self._started - self._first, tuple(names)))
        self._driver = None
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
    if frame.f_code.co_name == "poll":
        owner = frame.f_locals.get("self")
        if owner is not None:
            cls = type(owner).__name__
            return _LEAF_NAMES.get(cls, cls)
    return frame.f_code.co_name


# --------------------------------------------------------------------------
# Drawing


def time_label(seconds: float, quantum_ms: int = 1) -> str:
    """``+200 ms``: ``seconds`` in milliseconds, rounded to the nearest ``quantum_ms``."""
    steps = int(seconds * 1000 / quantum_ms + 0.5)
    return f"+{steps * quantum_ms} ms"


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


def render_text(columns: Sequence[Column], quantum_ms: int = 1) -> str:
    """The figure in the article's box-drawing text: one column per resumption.

    Columns stand side by side on a common bottom line, separated by ``╱╱``/``╲╲``
    (time passes there), each labelled with its time offset.
    """
    if not columns:
        return ""
    cells = [_box_lines(c.frames) for c in columns]
    labels = [time_label(c.time, quantum_ms) for c in columns]
    widths = [max(len(cell[0]), len(label)) for cell, label in zip(cells, labels)]
    height = max(len(cell) for cell in cells) + 2  # a row above and below the boxes
    rows = height + 1  # and the labels
    axis_row = (height - 1) // 2 + 1
    lines = []
    for row in range(rows):
        if row == 0:
            axis = " " * 7
        elif row == 1:
            axis = "  ^    "
        elif row == axis_row:
            axis = "Stack  "
        else:
            axis = "  │    "
        parts = []
        for k, (cell, width) in enumerate(zip(cells, widths)):
            if row == rows - 1:
                parts.append(labels[k].center(width))
            else:
                index = row - (height - 1 - len(cell))
                box = cell[index] if 0 <= index < len(cell) else ""
                left = (width - len(cell[0])) // 2  # the boxes centred as a block
                parts.append((" " * left + box).ljust(width))
            if k < len(cells) - 1:
                parts.append(_separator(row, rows))
        lines.append((axis + "".join(parts)).rstrip())
    return "\n".join(lines) + "\n"


def _separator(row: int, rows: int) -> str:
    """Between two columns: a break in time, ``╱╱`` and ``╲╲`` by turns (blank by the labels)."""
    if row == rows - 1:
        return " " * 6
    return "  ╱╱  " if row % 2 == 0 else "  ╲╲  "


#: SVG geometry: a character's width and a box's height, in pixels.
_CHAR = 8
_ROW = 26
_GAP = 40
_MARGIN = 16


def render_svg(columns: Sequence[Column], quantum_ms: int = 1) -> str:
    """The figure as an SVG picture: the same boxes, columns and labels as `render_text`.

    Each column is a ``<g class="column">`` holding its boxes (``<rect>`` and
    ``<text class="frame">``, youngest first) and its ``<text class="time">``.
    """
    from xml.sax.saxutils import escape
    tallest = max((len(c.frames) for c in columns), default=0)
    base = _MARGIN + tallest * _ROW + _ROW // 2  # the bottom of every column
    x = _MARGIN + 4 * _CHAR  # after the axis
    body: list[str] = []
    breaks: list[float] = []
    for column in columns:
        top_first, inner0 = _stairs(column.frames)
        n = len(top_first)
        chars = inner0 + n + 1  # the bottom box's width in characters
        label = time_label(column.time, quantum_ms)
        width = max(chars, len(label)) * _CHAR
        left = x + (width - chars * _CHAR) / 2
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
            f'<text x="{x + width / 2:g}" y="{base + 1.5 * _ROW:g}" class="time">'
            f"{escape(label)}</text></g>"
        )
        x += width + _GAP
        breaks.append(x - _GAP / 2)
    total_width = x - _GAP + _MARGIN if columns else 2 * _MARGIN + 4 * _CHAR
    total_height = base + 2 * _ROW
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total_width:g}" '
        f'height="{total_height:g}" viewBox="0 0 {total_width:g} {total_height:g}">',
        "<title>The stack over time: one column per resumption, youngest frame on top</title>",
        "<style>"
        ".box{fill:#fff;stroke:#222;stroke-width:1.5}"
        ".frame,.time,.axis{font-family:monospace;font-size:13px;fill:#222}"
        ".time,.axis{text-anchor:middle}"
        ".break,.arrow{fill:none;stroke:#888;stroke-width:1.5}"
        "</style>",
        '<rect width="100%" height="100%" fill="#fff"/>',
        f'<path class="arrow" d="M{_MARGIN + 14} {base + _ROW:g} V{_MARGIN} '
        f'm-4 8 l4 -8 l4 8"/>',
        f'<text class="axis" x="{_MARGIN + 8}" y="{(base + _ROW + _MARGIN) / 2:g}" '
        f'transform="rotate(-90 {_MARGIN + 8} {(base + _ROW + _MARGIN) / 2:g})">Stack</text>',
    ]
    for bx in breaks[:-1]:
        points = []
        y = float(_MARGIN)
        step = 0
        while y < base + _ROW / 2:
            points.append(f"{bx + (4 if step % 2 else -4):g},{y:g}")
            y += 8
            step += 1
        parts.append(f'<polyline class="break" points="{" ".join(points)}"/>')
    parts.extend(body)
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


# --------------------------------------------------------------------------
# The command


def record(run_program: Callable[[], object]) -> tuple[list[Column], SystemExit | None]:
    """Call ``run_program()`` while recording; the columns, and the SystemExit it raised if any."""
    recorder = Recorder()
    exit_: SystemExit | None = None
    recorder.start()
    try:
        run_program()
    except SystemExit as raised:
        exit_ = raised
    finally:
        columns = recorder.stop()
    return columns, exit_


@click.command("diagram", context_settings=run.PROGRAM_COMMAND)
@run.program_options
@click.option(
    "--lowering",
    type=click.Choice(run.LOWERINGS),
    default="poll",
    show_default=True,
    help="How the async code runs: translated to poll loops, or native (not translated).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    help="Write the text figure to FILE instead of stdout.",
)
@click.option(
    "--svg",
    type=click.Path(dir_okay=False, writable=True),
    metavar="FILE",
    help="Also draw the figure as an SVG picture in FILE.",
)
@click.option(
    "--quantum",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    metavar="MS",
    help="Round the time offsets to the nearest MS milliseconds.",
)
@click.argument("target")
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def diagram_command(
    as_module: bool,
    include: tuple[str, ...],
    lowering: str,
    output: str | None,
    svg: str | None,
    quantum: int,
    target: str,
    args: tuple[str, ...],
) -> None:
    """Run TARGET as `desugar run` does and draw its stack over time.

    At each resumption of a task (by block_on, asyncio or trio) the program's
    frames on the stack are recorded; the figure has one column per
    resumption, youngest frame on top, the awaited leaf (sleep) above them, and
    the time since the first resumption below. Options go before TARGET; ARGS
    go to the program. The exit status is the program's.
    """
    status = 0

    def run_program() -> None:
        nonlocal status
        if as_module:
            status = run.run_module(target, args, include, lowering)
        else:
            status = run.run_script(target, args, include, lowering)

    columns, exit_ = record(run_program)
    if sys.stdout is not None:
        sys.stdout.flush()
    text = render_text(columns, quantum)
    if not columns:
        click.echo("desugar diagram: no task was resumed; nothing to draw", err=True)
    elif output is not None:
        with open(output, "w", encoding="utf-8") as file:
            file.write(text)
    else:
        click.echo(text, nl=False)
    if svg is not None:
        with open(svg, "w", encoding="utf-8") as file:
            file.write(render_svg(columns, quantum))
    if exit_ is not None:
        raise exit_
    sys.exit(status)

"""Async backtraces in the article's edited form: runtime frames hidden, youngest first.

Because a translated future polls the future it awaits, every async caller is
a live frame below its callee, and an exception's traceback already holds the
whole await chain. :func:`format_backtrace` prints it as Rust does with
``RUST_BACKTRACE=1``, minus the runtime's own frames::

    task panicked at 'RuntimeError: nested async panic!', ex.py:27
    stack backtrace:
       4: ex::blow_up
                 at ex.py:27
       ...

An exception group (a ``TaskGroup``, a nursery, ``except*``) shows, for each
of its exceptions, the chain that raised it: the leaf's own traceback, which
under the poll model already holds every caller of its task. Under
``desugar run`` (`track_tasks`), each task's spawn site is recorded as the
task is created, and the backtrace names, after a task's outermost frame,
the task and where it was spawned (``in task 'bad' app::load, spawned at
app.py:31 in app::main``); a ``gather`` or ``JoinHandle`` failure so shows
the failing task's chain below its awaiter's.

A suspended task has no traceback, but its await chain is still there to walk,
as debuggers walk rustc's ``__awaitee`` fields: each suspended coroutine's
``cr_await`` (a generator's ``gi_yieldfrom``) is what it awaits, a translated
one's is its `Awaitee`, whose ``awaited()`` is what that awaits. :func:`dump_tasks`
walks the chain of every task of the executor, asyncio loop or trio run of
this thread when it is called, innermost first, and nests a task under the
task that awaits it (``JoinHandle``, ``gather``, ``TaskGroup``, a nursery)::

    desugar executor on thread MainThread: 2 tasks
    task 1 app::main, awaiting join() of 2 futures
         1: app::main at app.py:18
      ├─ join() future 0, awaiting app::Event
      ...

Nothing is recorded while the program runs: the dump costs nothing until it is
made.

The article: Nick Fitzgerald, "Async Stack Traces in Rust" (2019),
https://fitzgeraldnick.com/2019/08/27/async-stacks-in-rust.html
"""

from __future__ import annotations

import builtins
import gc
import os
import re
import sys
import threading
import traceback
from types import AsyncGeneratorType, CodeType, CoroutineType, FrameType, GeneratorType, TracebackType
from typing import IO, Any, Iterator

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def is_runtime_frame(frame: FrameType) -> bool:
    """True for frames of desugar itself (the executor, `Awaitee.poll`, wrappers)."""
    filename = os.path.abspath(frame.f_code.co_filename)
    return filename.startswith(_PACKAGE_DIR + os.sep)


#: The drivers whose own frames a backtrace leaves out, as it does the runtime's.
_DRIVERS = ("asyncio", "trio", "anyio", "outcome", "exceptiongroup", "sniffio")


def _driver_dirs() -> tuple[str, ...]:
    dirs = []
    for name in _DRIVERS:
        module = sys.modules.get(name)
        file = getattr(module, "__file__", None)
        if file:
            dirs.append(os.path.dirname(os.path.abspath(file)) + os.sep)
    return tuple(dirs)


def _is_hidden(frame: FrameType, drivers: tuple[str, ...]) -> bool:
    """A runtime frame, or one of a driver's (asyncio's, trio's, anyio's)."""
    if is_runtime_frame(frame):
        return True
    return os.path.abspath(frame.f_code.co_filename).startswith(drivers) if drivers else False


def _frames(tb: TracebackType | None) -> Iterator[tuple[FrameType, int]]:
    while tb is not None:
        yield tb.tb_frame, tb.tb_lineno
        tb = tb.tb_next


def _function_name(frame: FrameType) -> str:
    return _code_name(frame.f_code, frame.f_globals.get("__name__", "?"))


def _code_name(code: CodeType, module: str | None) -> str:
    """``module::Class::function`` (a script's module by its file's name)."""
    qualname = getattr(code, "co_qualname", code.co_name)
    if module == "__main__" or module is None:
        module = os.path.splitext(os.path.basename(code.co_filename))[0]
    return "::".join([module, *qualname.replace(".<locals>", "").split(".")])


def _display_path(filename: str) -> str:
    try:
        relative = os.path.relpath(filename)
    except ValueError:
        return filename
    return filename if relative.startswith("..") else relative


def _sub_exceptions(error: BaseException) -> tuple[BaseException, ...] | None:
    """The exceptions of an exception group (the builtin one, or the 3.10 backport's)."""
    kinds = tuple(
        kind
        for kind in (
            getattr(builtins, "BaseExceptionGroup", None),  # (3.11+)
            getattr(sys.modules.get("exceptiongroup"), "BaseExceptionGroup", None),
        )
        if kind is not None
    )
    if kinds and isinstance(error, kinds):
        return tuple(error.exceptions)  # type: ignore[attr-defined]
    return None


def _quoted(message: str) -> str:
    """``message`` between the quotes Python's repr would choose (nothing escaped)."""
    return f'"{message}"' if "'" in message and '"' not in message else f"'{message}'"


def _message(error: BaseException) -> str:
    """``Type: message`` as Python's traceback ends, without notes or a SyntaxError's source."""
    lines = "".join(traceback.format_exception_only(type(error), error)).rstrip("\n").split("\n")
    notes = getattr(error, "__notes__", None)  # (a captured async stack's note: printed apart)
    if isinstance(notes, (list, tuple)) and notes:
        count = sum(len(str(note).splitlines()) for note in notes)
        lines = lines[:-count] or lines
    if isinstance(error, SyntaxError):
        lines = lines[-1:]
    return "\n".join(lines)


def format_backtrace(error: BaseException) -> str:
    """The backtrace of ``error`` in the article's form, youngest frame first.

    Frames are numbered as in the full stack (runtime and driver frames count
    but are not shown, so the numbers have gaps, as in the article). Where
    ``desugar run`` tracked the program's tasks (`track_tasks`), a line after
    a task's outermost frame names the task and where it was spawned. An
    exception group shows, for each of its exceptions (nested groups nested),
    the chain that raised it and its task, then the chain that received the
    group.
    """
    drivers = _driver_dirs()
    lines: list[str] = []
    frames = _chain(error, drivers)
    where = f", {frames[0][1]}" if frames and frames[0][0] is not None else ""
    lines.append(f"task panicked at {_quoted(_message(error))}{where}")
    _sub_lines(error, "", drivers, lines)
    lines.append("stack backtrace:")
    lines.extend(_chain_lines(frames, ""))
    return "\n".join(lines) + "\n"


def _chain(error: BaseException, drivers: tuple[str, ...]) -> list[tuple[int | None, str]]:
    """``error``'s frames youngest first, as (number, text) rows; tasks as (None, text) rows.

    The first row, if numbered, has the youngest shown frame's ``file:line``
    as its text; the others are the lines to print.
    """
    frames = list(_frames(error.__traceback__))[::-1]
    records = sorted(_task_records(error), key=lambda record: record[2])
    rows: list[tuple[int | None, str]] = []
    first = None
    captured = _async_rows(error)  # (after the frames of the job that raised it)
    for index, (frame, lineno) in enumerate(frames):
        hidden = _is_hidden(frame, drivers)
        if captured and hidden and first is not None:
            rows.extend(captured)
            captured = []
        while records and records[0][2] <= index:
            rows.append((None, _task_line(records.pop(0))))
        if hidden:
            continue
        where = f"{_display_path(frame.f_code.co_filename)}:{lineno}"
        if first is None:
            first = where
        rows.append((index, f"{_function_name(frame)}\n             at {where}"))
    rows.extend(captured)
    rows.extend((None, _task_line(record)) for record in records)
    return [(0, first), *rows] if first is not None else [(None, ""), *rows]


_ASYNC = -1
"""The number of a captured async frame's row (printed unnumbered, marked ``async``)."""


def _async_rows(error: BaseException) -> list[tuple[int | None, str]]:
    """The async stack ``callback-async-stacks`` captured for ``error``, youngest first.

    As Firefox prints a stack's async part after the frames of the job that
    raised: ``async bar``, ``async foo``.
    """
    stack = error.__dict__.get("__desugar_async_stack__") if hasattr(error, "__dict__") else None
    rows: list[tuple[int | None, str]] = []
    for qualname, filename, line in stack or ():
        module = os.path.splitext(os.path.basename(filename))[0]
        name = "::".join([module, *qualname.replace(".<locals>", "").split(".")])
        rows.append((_ASYNC, f"async {name}\n             at {_display_path(filename)}:{line}"))
    return rows


def _chain_lines(rows: list[tuple[int | None, str]], prefix: str) -> list[str]:
    lines = []
    for number, text in rows[1:]:
        if number is None:
            lines.append(f"{prefix}      {text}")
        elif number == _ASYNC:
            name, at = text.split("\n")
            lines.append(f"{prefix}      {name}")
            lines.append(f"{prefix}{at}")
        else:
            name, at = text.split("\n")
            lines.append(f"{prefix}{number:>4}: {name}")
            lines.append(f"{prefix}{at}")
    return lines


def _sub_lines(error: BaseException, prefix: str, drivers: tuple[str, ...], lines: list[str]) -> None:
    """Each exception of the group ``error`` with its chain, under ``prefix``."""
    subs = _sub_exceptions(error)
    if not subs:
        return
    for number, sub in enumerate(subs, 1):
        last = number == len(subs)
        head, body = prefix + ("└─ " if last else "├─ "), prefix + ("   " if last else "│  ")
        rows = _chain(sub, drivers)
        where = f", at {rows[0][1]}" if rows[0][0] is not None else ""
        lines.append(f"{head}{number} of {len(subs)}: {_message(sub)}{where}")
        _sub_lines(sub, body, drivers, lines)
        lines.append(f"{body}stack backtrace:")
        lines.extend(_chain_lines(rows, body))


def print_backtrace(error: BaseException, file: IO[str] | None = None) -> None:
    """Print :func:`format_backtrace` of ``error`` (to stderr by default)."""
    print(format_backtrace(error), end="", file=file if file is not None else sys.stderr)
    try:
        error.__dict__[_PRINTED] = True  # (desugar run does not print it again)
    except AttributeError:  # (an exception without a __dict__)
        pass


# --- the tasks an exception failed ---------------------------------------------
#
# While `desugar run` asks (`track_tasks`), each task spawned by an asyncio
# loop, a trio run or the runtime's executor gets a record: its name and where
# it was spawned. When the task fails, the record and the length its
# exception's traceback had then are added to the exception (re-raising it in
# an awaiter only adds frames at the traceback's start, so the task's frames
# are the last that many). Nothing is recorded otherwise.

_TASKS = "__desugar_tasks__"
_PRINTED = "__desugar_backtrace_printed__"
_RECEIVED = "__desugar_received__"
_tracking = False


def _task_records(error: BaseException) -> list[tuple[str, str | None, int]]:
    """The tasks ``error`` failed, innermost first (see `_failed`)."""
    records = list(getattr(error, "__dict__", {}).get(_TASKS) or ())
    key = _innermost(error.__traceback__)
    for sub in _sub_exceptions(error) or ():  # (a group split or derived: its exceptions know)
        for received, record in getattr(sub, "__dict__", {}).get(_RECEIVED) or ():
            if received == key and record not in records:
                records.append(record)
    return records


def _innermost(tb: TracebackType | None) -> int | None:
    """The id of ``tb``'s last entry: it stays while the exception is re-raised or derived."""
    last = None
    for last in _tracebacks(tb):
        pass
    return id(last) if last is not None else None


def _tracebacks(tb: TracebackType | None) -> Iterator[TracebackType]:
    while tb is not None:
        yield tb
        tb = tb.tb_next


def _task_line(record: tuple[str, str | None, int]) -> str:
    title, spawned, _ = record
    return f"in {title}, spawned at {spawned}" if spawned else f"in {title}"


def failed_in_task(error: BaseException) -> bool:
    """Did ``error`` (or, for a group, one of its exceptions) fail a task that was tracked?"""
    if _task_records(error):
        return True
    return any(failed_in_task(sub) for sub in _sub_exceptions(error) or ())


def was_printed(error: BaseException) -> bool:
    """Has `print_backtrace` printed ``error`` already?"""
    return bool(getattr(error, "__dict__", {}).get(_PRINTED))


def _failed(error: BaseException, title: str, spawned: str | None) -> None:
    """Record that ``error`` failed the task ``title`` (spawned at ``spawned``).

    A group that a nursery or ``except*`` splits becomes a new group with the
    same traceback and exceptions, but not the same attributes, so a group's
    record is kept by its exceptions too, under its traceback's last entry.
    """
    record = (title, spawned, sum(1 for _ in _frames(error.__traceback__)))
    try:
        records = error.__dict__.setdefault(_TASKS, [])
    except AttributeError:  # (an exception without a __dict__)
        return
    if any(r[:2] == record[:2] for r in records):
        return
    records.append(record)
    key = _innermost(error.__traceback__)
    for sub in _sub_exceptions(error) or ():
        try:
            sub.__dict__.setdefault(_RECEIVED, []).append((key, record))
        except AttributeError:
            pass


#: Whether a code object is the runtime's or a driver's, as first seen (a spawn
#: walks a few of the same frames each time; this keeps the walk cheap).
_hidden_codes: dict[CodeType, bool] = {}

#: Where a task was spawned and what it runs, as recorded (formatted on failure):
#: (the coroutine's code and module or None, the spawning frame's code, line and module or None).
_Spawn = tuple


def _is_hidden_code(code: CodeType) -> bool:
    hidden = _hidden_codes.get(code)
    if hidden is None:
        filename = os.path.abspath(code.co_filename)
        drivers = _driver_dirs()
        hidden = filename.startswith(_PACKAGE_DIR + os.sep) or bool(drivers) and filename.startswith(drivers)
        _hidden_codes[code] = hidden
    return hidden


def _spawn(coro: Any, frame: FrameType | None) -> _Spawn:
    """What a task spawned now by ``frame``'s code runs, and where (the program's frame)."""
    while frame is not None and _is_hidden_code(frame.f_code):
        frame = frame.f_back
    site = (frame.f_code, frame.f_lineno, frame.f_globals.get("__name__")) if frame else None
    runs: Any = None
    coro_frame = getattr(coro, "cr_frame", None)
    if coro_frame is not None and not _is_hidden_code(coro_frame.f_code):
        runs = (coro_frame.f_code, coro_frame.f_globals.get("__name__"))
    elif coro_frame is not None and coro_frame.f_code.co_filename.startswith(_PACKAGE_DIR + os.sep):
        runs = getattr(coro, "__qualname__", None)  # (a callback-lowered coroutine: the runtime's)
    return runs, site


def _spawned_at(spawn: _Spawn) -> str | None:
    site = spawn[1]
    if site is None:
        return None
    code, line, module = site
    return f"{_display_path(code.co_filename)}:{line} in {_code_name(code, module)}"


def _runs(spawn: _Spawn) -> str | None:
    """The program's function a task runs (None for a driver's wrapper: its name tells)."""
    runs = spawn[0]
    return runs if runs is None or isinstance(runs, str) else _code_name(*runs)


def _patch_asyncio(base_events: Any) -> None:
    loop_class = base_events.BaseEventLoop
    create_task = loop_class.create_task
    if getattr(create_task, "__desugar_tracks__", False):
        return

    def tracked_create_task(self: Any, coro: Any, *args: Any, **kwargs: Any) -> Any:
        task = create_task(self, coro, *args, **kwargs)
        spawn = _spawn(coro, sys._getframe(1))

        def done(task: Any) -> None:
            if not task.cancelled():
                error = getattr(task, "_exception", None)  # (not exception(): that retrieves it)
                if error is not None:  # (the name now: TaskGroup names its tasks after this)
                    name = _runs(spawn)
                    title = f"task {task.get_name()!r}" + (f" {name}" if name else "")
                    _failed(error, title, _spawned_at(spawn))

        task.add_done_callback(done)
        return task

    tracked_create_task.__desugar_tracks__ = True  # type: ignore[attr-defined]
    loop_class.create_task = tracked_create_task


def _patch_trio(run: Any) -> None:
    runner = run.Runner
    spawn_impl, task_exited = runner.spawn_impl, runner.task_exited
    if getattr(spawn_impl, "__desugar_tracks__", False):
        return
    import weakref

    records: Any = weakref.WeakKeyDictionary()

    def tracked_spawn_impl(self: Any, *args: Any, **kwargs: Any) -> Any:
        task = spawn_impl(self, *args, **kwargs)
        if not kwargs.get("system_task", False):
            records[task] = _spawn(task.coro, sys._getframe(1))
        return task

    def tracked_task_exited(self: Any, task: Any, outcome: Any) -> Any:
        spawn = records.pop(task, None)
        error = getattr(outcome, "error", None)
        if spawn is not None and isinstance(error, BaseException):
            runs, name = _runs(spawn), str(task.name)
            if runs is None:
                title = f"task {name!r}"
            elif name.rpartition(".")[2] == runs.rpartition("::")[2]:
                title = f"task {runs}"  # (trio's own name for it: its function's)
            else:
                title = f"task {name!r} {runs}"  # (named by the program, as asyncio's are shown)
            _failed(error, title, _spawned_at(spawn))
        return task_exited(self, task, outcome)

    tracked_spawn_impl.__desugar_tracks__ = True  # type: ignore[attr-defined]
    runner.spawn_impl, runner.task_exited = tracked_spawn_impl, tracked_task_exited


def _patch_executor(runtime: Any) -> None:
    spawn, finish = runtime.Executor.spawn, runtime.Task.finish
    if getattr(spawn, "__desugar_tracks__", False):
        return
    records: dict[int, _Spawn] = {}

    def tracked_spawn(self: Any, future: Any) -> Any:
        task = spawn(self, future)
        records[id(task)] = _spawn(future, sys._getframe(1))
        return task

    def tracked_finish(self: Any, result: Any, error: BaseException | None) -> None:
        record = records.pop(id(self), None)
        if record is not None and error is not None:
            name = _runs(record)
            _failed(error, f"task {name}" if name else "task", _spawned_at(record))
        finish(self, result, error)

    tracked_spawn.__desugar_tracks__ = True  # type: ignore[attr-defined]
    runtime.Executor.spawn, runtime.Task.finish = tracked_spawn, tracked_finish


_PATCHES = {
    "asyncio.base_events": _patch_asyncio,
    "trio._core._run": _patch_trio,
    "desugar.runtime": _patch_executor,
}


def track_tasks() -> None:
    """From now on, record where tasks are spawned and which task each exception failed.

    Covers asyncio loops (``BaseEventLoop.create_task``: tasks, ``gather``,
    ``TaskGroup``, anyio on asyncio), trio runs (nurseries, anyio on trio) and
    the runtime's executor (`spawn`, `block_on`). `format_backtrace` then
    names each task a failure went through and where it was spawned.
    """
    global _tracking
    if _tracking:
        return
    _tracking = True
    for name, patch in _PATCHES.items():
        if name in sys.modules:
            patch(sys.modules[name])
    from desugar._after_import import AfterImport

    sys.meta_path.insert(0, AfterImport(_PATCHES))  # (a driver imported later is patched as it loads)


# --- task dumps --------------------------------------------------------------


def dump_tasks(file: IO[str] | None = None) -> None:
    """Print :func:`format_tasks` (to stderr by default)."""
    print(format_tasks(), end="", file=file if file is not None else sys.stderr)


def format_tasks() -> str:
    """Every task of the executor, asyncio loop and trio run of this thread, as a tree.

    Each task is shown with what it awaits and its await chain, innermost
    frame first (``N: module::function at file:line``, runtime frames hidden
    with their numbers kept); a task that others await through a `JoinHandle`,
    ``gather``, a ``TaskGroup`` or a nursery is nested under its awaiter, and
    the futures that `join`, `select` and `timeout` poll are nested under
    their task. Only what the objects hold now is read: the suspended frames'
    lines, ``cr_await``/``gi_yieldfrom`` links and the awaitees' ``awaited()``.
    The task that calls it is shown "running", with the frames on the stack.
    """
    live = []
    frame: FrameType | None = sys._getframe()
    while frame is not None:
        live.append(frame)
        frame = frame.f_back
    thread = threading.current_thread().name
    lines = []
    for driver, tasks in _sections(live):
        count = sum(1 for node in tasks.values() if not node.hidden)
        lines.append(f"{driver} on thread {thread}: {count} task{'' if count == 1 else 's'}")
        _render_tasks(tasks, lines)
    if not lines:
        lines.append(
            f"no desugar executor, asyncio loop or trio run is running on thread {thread}"
        )
    return "\n".join(lines) + "\n"


class _Node:
    """One task, or one future a combinator of a task polls, as the dump shows it."""

    __slots__ = ("title", "frames", "awaiting", "edges", "state", "task", "hidden", "number")

    def __init__(self, title: str, chain: _Chain, task: bool = True, hidden: bool = False) -> None:
        self.title = title
        self.task = task  # (else a branch)
        self.frames = chain.frames
        self.awaiting = chain.awaiting
        self.edges = chain.edges  # (relation, the task's key or a branch's _Node)
        self.state = chain.state
        self.hidden = hidden  # a driver's own task: its children are shown in its place
        self.number = 0  # the task's number, once printed


class _Chain:
    """An await chain: its frames (outermost first), what it awaits, who it awaits."""

    __slots__ = ("frames", "leaf", "state", "awaiting", "edges")

    def __init__(self) -> None:
        self.frames: list[tuple[FrameType, int]] = []
        self.leaf: Any = None  # what the innermost frame awaits, if it is not a frame
        self.state = ""  # "running" or "not started", or "" (suspended)
        self.awaiting: str | None = None
        self.edges: list[tuple[str, Any]] = []


def _walk(obj: Any, live: list[FrameType]) -> _Chain:
    """Follow the awaitee links from ``obj`` (a coroutine, an awaitee, a future) inwards."""
    chain = _Chain()
    runtime = sys.modules.get("desugar.runtime")
    awaitee = getattr(runtime, "Awaitee", None)
    polled_future = getattr(runtime, "polled_future", None)
    seen = set()
    while obj is not None and id(obj) not in seen:
        seen.add(id(obj))
        kind = type(obj)
        if awaitee is not None and issubclass(kind, awaitee):  # (its __class__ is what it awaits')
            obj = obj.awaited()
            continue
        if kind is CoroutineType:
            frame, inner, running = obj.cr_frame, obj.cr_await, obj.cr_running
        elif kind is GeneratorType:
            frame, inner, running = obj.gi_frame, obj.gi_yieldfrom, obj.gi_running
        elif kind is AsyncGeneratorType:
            frame, inner, running = obj.ag_frame, obj.ag_await, obj.ag_running
        else:
            wrapped = _unwrapped(obj)
            if wrapped is None:
                chain.leaf = obj
                break
            obj = wrapped
            continue
        if frame is None:  # finished
            break
        if running:  # (the caller's own chain) the rest is on the stack
            chain.state = "running"
            start = next((i for i, f in enumerate(live) if f is frame), 0)
            chain.frames.extend((f, f.f_lineno) for f in reversed(live[: start + 1]))
            break
        if not chain.frames and inner is None and not _started(obj, frame):
            chain.state = "not started"
        chain.frames.append((frame, frame.f_lineno))
        leaf = polled_future(frame) if polled_future is not None else None
        if leaf is not None:  # awaiting one of the runtime's Futures
            chain.leaf = leaf
            break
        if inner is None and frame.f_code.co_name == "__await__":
            inner = frame.f_locals.get("self")  # (the pure-Python asyncio Future's)
        obj = inner
    return chain


_SUSPENDED_FLAG = sys.version_info >= (3, 11)


def _started(obj: Any, frame: FrameType) -> bool:
    """Has the coroutine or generator ``obj`` (not running) started?"""
    if _SUSPENDED_FLAG:
        return bool(getattr(obj, "cr_suspended", getattr(obj, "gi_suspended", True)))
    return frame.f_lasti >= 0


def _unwrapped(obj: Any) -> Any:
    """What an awaiting wrapper stands for: an async generator step's generator, a
    ``coro.__await__()`` wrapper's coroutine, an asyncio future iterator's future."""
    name = type(obj).__name__
    if name in ("async_generator_asend", "async_generator_athrow"):
        wanted = AsyncGeneratorType
    elif name == "coroutine_wrapper":
        wanted = CoroutineType
    elif name == "FutureIter" and "asyncio" in sys.modules:
        wanted = sys.modules["asyncio"].Future
    else:
        return None
    for referent in gc.get_referents(obj):
        if isinstance(referent, wanted):
            return referent
    return None


def _sections(live: list[FrameType]) -> list[tuple[str, dict[int, _Node]]]:
    """(driver, its tasks by id) for each driver running on this thread (none imported, none)."""
    sections = []
    runtime = sys.modules.get("desugar.runtime")
    executor = runtime.Executor.current() if hasattr(runtime, "Executor") else None
    if executor is not None:
        sections.append(("desugar executor", _executor_tasks(executor, live)))
    asyncio = sys.modules.get("asyncio")
    loop = asyncio._get_running_loop() if asyncio is not None else None
    if loop is not None:
        sections.append(("asyncio loop", _asyncio_tasks(asyncio, loop, live)))
    trio = sys.modules.get("trio")
    if trio is not None:
        try:
            root = trio.lowlevel.current_root_task()
        except RuntimeError:  # no trio run on this thread
            root = None
        if root is not None:
            sections.append(("trio run", _trio_tasks(root, live)))
    return sections


def _executor_tasks(executor: Any, live: list[FrameType]) -> dict[int, _Node]:
    tasks = {}
    for task in executor.tasks():
        chain = _walk(task.future, live)
        _runtime_leaf(chain, live)
        tasks[id(task)] = _Node(_chain_name(chain, task.future), chain)
    return tasks


def _runtime_leaf(chain: _Chain, live: list[FrameType]) -> None:
    """What a chain that ends in one of the runtime's Futures awaits, and its branches."""
    runtime = sys.modules.get("desugar.runtime")
    leaf = chain.leaf
    if not hasattr(runtime, "Future") or not isinstance(leaf, runtime.Future):
        return  # (not one of the runtime's futures)
    said = leaf.describe()
    if said.task is not None:  # a JoinHandle
        chain.awaiting = "awaiting a JoinHandle"
        chain.edges.append(("awaited through its JoinHandle", id(said.task)))
    elif said.name in ("join", "select"):
        what = f"{said.name}()"
        futures = said.futures
        pending = [(i, f) for i, f in enumerate(futures) if f is not None]
        chain.awaiting = f"awaiting {what} of {len(futures)} futures"
        if len(pending) != len(futures):
            chain.awaiting += f", {len(pending)} pending"
        for i, future in pending:
            chain.edges.append(("", _branch(f"{what} future {i}", future, live)))
    elif said.name == "timeout":
        chain.awaiting = f"awaiting timeout(..., {said.seconds!r})"
        chain.edges.append(("", _branch("timeout() future", said.futures[0], live)))
    else:
        chain.awaiting = f"awaiting {_describe(leaf)}"


def _branch(title: str, future: Any, live: list[FrameType]) -> _Node:
    chain = _walk(future, live)
    _runtime_leaf(chain, live)
    _asyncio_leaf(chain)
    return _Node(title, chain, task=False)


def _asyncio_tasks(asyncio: Any, loop: Any, live: list[FrameType]) -> dict[int, _Node]:
    tasks = {}
    for task in sorted(asyncio.all_tasks(loop), key=_task_order):
        chain = _walk(task.get_coro(), live)
        _runtime_leaf(chain, live)
        _asyncio_leaf(chain)
        title = f"{task.get_name()!r} {_chain_name(chain, task.get_coro())}"
        tasks[id(task)] = _Node(title, chain)
    return tasks


def _task_order(task: Any) -> tuple[int, int, str]:
    """asyncio's default names count up (``Task-7``); others sort after them, by name."""
    name = task.get_name()
    match = re.fullmatch(r"Task-(\d+)", name)
    return (0, int(match[1]), "") if match else (1, 0, name)


def _asyncio_leaf(chain: _Chain) -> None:
    """What an asyncio task awaits: a task, ``gather``'s tasks, its ``TaskGroup``'s tasks."""
    asyncio = sys.modules.get("asyncio")
    if asyncio is None:
        return
    group = _task_group(asyncio, chain)
    leaf = chain.leaf
    if group is not None:
        children = sorted(group._tasks, key=_task_order)
        chain.awaiting = f"awaiting its TaskGroup's {len(children)} tasks"
        chain.edges.extend(("in its TaskGroup", id(t)) for t in children)
    elif isinstance(leaf, asyncio.Task):
        chain.awaiting = f"awaiting task {leaf.get_name()!r}"
        chain.edges.append(("awaited", id(leaf)))
    elif isinstance(leaf, asyncio.Future) and isinstance(getattr(leaf, "_children", None), list):
        children = leaf._children  # gather()'s future
        what = "tasks" if all(isinstance(t, asyncio.Task) for t in children) else "futures"
        chain.awaiting = f"awaiting gather() of {len(children)} {what}"
        chain.edges.extend(
            ("awaited through gather()", id(t)) for t in children if isinstance(t, asyncio.Task)
        )
    elif isinstance(leaf, asyncio.Future):
        chain.awaiting = f"awaiting an asyncio {type(leaf).__name__}"


def _task_group(asyncio: Any, chain: _Chain) -> Any:
    """The ``TaskGroup`` whose ``__aexit__`` (waiting for its tasks) is in ``chain``, if any."""
    task_group = getattr(asyncio, "TaskGroup", None)  # (3.11+)
    if task_group is None:
        return None
    filename = sys.modules["asyncio.taskgroups"].__file__
    for frame, _ in reversed(chain.frames):
        if frame.f_code.co_filename == filename and frame.f_code.co_name in ("__aexit__", "_aexit"):
            group = frame.f_locals.get("self")
            if isinstance(group, task_group):
                return group
    return None


def _trio_tasks(root: Any, live: list[FrameType]) -> dict[int, _Node]:
    """The run's tasks from its root down; the run's own tasks are hidden (their children shown)."""
    trio_dir = os.path.dirname(os.path.abspath(sys.modules["trio"].__file__)) + os.sep
    tasks = {}
    pending = [(root, True)]
    while pending:
        task, system = pending.pop()
        chain = _walk(task.coro, live)
        _runtime_leaf(chain, live)
        children = sorted(
            (child for nursery in task.child_nurseries for child in nursery.child_tasks),
            key=lambda t: getattr(t, "_counter", 0),
        )
        if children and any(
            f.f_code.co_name == "__aexit__" and f.f_code.co_filename.startswith(trio_dir)
            for f, _ in chain.frames
        ):
            chain.awaiting = f"awaiting its nursery's {len(children)} tasks"
        chain.edges.extend(("in its nursery", id(child)) for child in children)
        outermost = chain.frames[0][0].f_code.co_filename if chain.frames else ""
        hidden = system and (
            task is root or outermost.startswith(trio_dir) or outermost.startswith(_PACKAGE_DIR)
        )
        tasks[id(task)] = _Node(repr(task.name), chain, hidden=hidden)
        pending.extend((child, task is root) for child in reversed(children))
    return tasks


def _chain_name(chain: _Chain, obj: Any) -> str:
    """A task's name from its outermost frame (or what it polls, if it has none)."""
    for frame, _ in chain.frames:
        if not is_runtime_frame(frame):
            return _function_name(frame)
    return _describe(obj)


def _describe(obj: Any) -> str:
    """``obj`` by its own repr, else by its type (``module::Type``)."""
    kind = type(obj)
    if kind.__repr__ is not object.__repr__:
        try:
            text = repr(obj)
        except Exception:  # (a broken repr: the type will do)
            text = None
        if text is not None:
            return text if len(text) <= 100 else text[:97] + "..."
    module = kind.__module__
    if module == "__main__":
        main = getattr(sys.modules.get("__main__"), "__file__", None)
        module = os.path.splitext(os.path.basename(main))[0] if main else module
    return "::".join([module, *kind.__qualname__.split(".")])


def _render_tasks(tasks: dict[int, _Node], lines: list[str]) -> None:
    """Each task that no other awaits with its subtree, then any left (an await cycle)."""
    awaited = set()
    pending = [node for node in tasks.values() if not node.hidden]
    while pending:
        for _, target in pending.pop().edges:
            if isinstance(target, _Node):
                pending.append(target)  # a branch: the tasks it awaits are awaited
            else:
                awaited.add(target)
    counter = [0]
    for key, node in tasks.items():
        if key not in awaited and not node.hidden:
            _render(node, "", "", "", tasks, counter, lines)
    for node in tasks.values():
        if not node.number and not node.hidden:
            _render(node, "", "", "", tasks, counter, lines)


def _render(
    node: _Node, relation: str, head: str, body: str,
    tasks: dict[int, _Node], counter: list[int], lines: list[str],
) -> None:
    """``node`` under the prefixes ``head`` (its first line) and ``body`` (the rest)."""
    if node.task and node.number:
        lines.append(f"{head}task {node.number} {node.title} ({relation}), shown above")
        return
    title = node.title
    if node.task:
        counter[0] += 1
        node.number = counter[0]
        title = f"task {node.number} {title}"
    if relation:
        title += f" ({relation})"
    for part in (node.state, node.awaiting):
        if part:
            title += f", {part}"
    lines.append(head + title)
    for index, (frame, lineno) in enumerate(reversed(node.frames)):
        if not is_runtime_frame(frame):
            where = f"{_display_path(frame.f_code.co_filename)}:{lineno}"
            lines.append(f"{body} {index:>4}: {_function_name(frame)} at {where}")
    children = [
        (relation, target if isinstance(target, _Node) else tasks[target])
        for relation, target in node.edges
        if isinstance(target, _Node) or target in tasks
    ]
    for k, (relation, child) in enumerate(children):
        last = k == len(children) - 1
        _render(
            child, relation, body + ("  └─ " if last else "  ├─ "),
            body + ("     " if last else "  │  "), tasks, counter, lines,
        )

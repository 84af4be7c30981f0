"""The `Recorder`: task records, the event ring, lints and snapshots (see `desugar.trace`)."""

from __future__ import annotations

import os
import sys
import threading
import time
from collections import deque
from types import AsyncGeneratorType, CoroutineType, GeneratorType
from typing import IO, Any

from desugar import backtrace
from desugar.trace._chrome import _jsonable

#: The events the ring keeps by default.
DEFAULT_EVENTS = 1_000_000
#: The wakeups a task must have had before ``self-wakes`` judges it.
SELF_WAKE_MIN = 20
#: Poll and scheduled times kept per task (for the console's histograms).
TIMES_KEPT = 1000
#: Seconds between two ``lost-wakeup`` checks.
LOST_CHECK_EVERY = 1.0
#: A ``lost-wakeup`` check that took t seconds is not followed by another before t times this.
LOST_CHECK_SHARE = 20

_now = time.perf_counter_ns
#: The code of the frames that poll a task (the hooks'): a stack sampled in a poll stops there.
BOUNDARIES: set[Any] = set()
_current: Recorder | None = None
WAKERS = ("self", "task", "timer", "io", "other")


def current() -> Recorder | None:
    """The started recorder, or None."""
    return _current


def start(program: str = "", **options: Any) -> Recorder:
    """Start (and return) a `Recorder` for ``program``; ``options`` as `Recorder` takes them."""
    recorder = Recorder(program, **options)
    recorder.start()
    return recorder


# --- await chains -------------------------------------------------------------

#: Per code object: (function, file as shown, hidden: the runtime's or a driver's own).
_code_info: dict[Any, tuple[str, str, bool]] = {}
Frame = tuple  # (function, file, line)
Raw = tuple  # ((function, file, hidden), line) per frame, outermost first


def _info(frame: Any) -> tuple[str, str, bool]:
    code = frame.f_code
    info = _code_info.get(code)
    if info is None:
        module = frame.f_globals.get("__name__")
        info = (
            backtrace._code_name(code, module),
            backtrace._display_path(code.co_filename),
            backtrace._is_hidden_code(code),
        )
        _code_info[code] = info
    return info


_AWAITEES: tuple[type, ...] = ()
#: (the code awaiting a runtime Future, the leaf futures' poll codes, polled_future)
_LEAF: tuple[Any, Any, Any] = (None, frozenset(), None)


def runtime_loaded(runtime: Any) -> None:
    """The runtime is imported: its awaitees and leaf futures are known to `walk` from now."""
    global _AWAITEES, _LEAF
    from desugar.runtime import _awaitee, _future

    _AWAITEES = tuple({runtime.Awaitee, _awaitee.PyAwaitee})
    _LEAF = (_future._POLL_LEAF, _future._LEAF_POLLS, _future.polled_future)
    _pairs.clear()  # (which codes are leaf polls is known from now)
    if walk is not py_walk:
        walk.set_runtime(_AWAITEES, *_LEAF)


def speedups() -> Any:
    """The C runtime's module when the runtime runs in C (None under ``DESUGAR_PURE_PYTHON=1``
    or where it is not built): its `Walker`, ``EventRing``, ``StepHook`` and ``WakeHook``
    record then, else their pure-Python twins (`py_walk`, ``deque``, ``_hooks.py_step_hook``
    and ``_hooks.py_wake_hook``)."""
    try:
        from desugar.runtime import _awaitee
    except ImportError:  # (a broken install: the pure twins record)
        return None
    return _awaitee._speedups


def use(speedups: Any) -> None:
    """Walk with the C runtime's `Walker` (``speedups``: its module) or, None, with `py_walk`."""
    global walk
    if speedups is None:
        walk = py_walk
    else:
        walk = speedups.Walker(_pairs, _chains, _info, backtrace._unwrapped)
        walk.set_runtime(_AWAITEES, *_LEAF)


def py_walk(obj: Any, keep: list | None = None, hint: Raw | None = None) -> tuple[Raw, Any]:
    """The await chain from ``obj`` inwards: (its frames, raw, outermost first; the leaf).

    The leaf is what the innermost frame awaits when it is not a frame (a
    future). ``keep`` collects every object and frame the walk went through.
    ``hint``: the chain walked last time, returned itself if the chain is the same.
    The C runtime's `Walker` is its twin (see `use`).
    """
    raw = []
    leaf = None
    awaitees = _AWAITEES
    leaf_codes = _LEAF
    depth = 0
    pairs_of = _pairs.get
    while obj is not None and depth < 200:
        depth += 1
        if keep is not None:
            keep.append(obj)
        kind = type(obj)
        if kind is CoroutineType:
            frame, inner = obj.cr_frame, obj.cr_await
        elif kind is GeneratorType:
            frame, inner = obj.gi_frame, obj.gi_yieldfrom
        elif kind in awaitees:
            obj = obj.awaited()
            continue
        elif kind is AsyncGeneratorType:
            frame, inner = obj.ag_frame, obj.ag_await
        elif awaitees and isinstance(obj, awaitees):
            obj = obj.awaited()
            continue
        else:
            wrapped = backtrace._unwrapped(obj)
            if wrapped is None:
                leaf = obj
                break
            obj = wrapped
            continue
        if frame is None:
            break
        if keep is not None:
            keep.append(frame)
        code = frame.f_code
        entry = pairs_of(id(code))
        if entry is None or entry[0] is not code:
            is_leaf = code is leaf_codes[0] or code in leaf_codes[1]
            entry = _pairs[id(code)] = (code, is_leaf, {}, {})
        pair = entry[2].get(frame.f_lasti)
        if pair is None:
            line = frame.f_lineno
            pair = entry[3].get(line)
            if pair is None:
                pair = entry[3][line] = (_info(frame), line)
            entry[2][frame.f_lasti] = pair
        raw.append(pair)
        if inner is None:
            if entry[1]:
                found = leaf_codes[2](frame)
                if found is not None:
                    leaf = found
                    break
            if code.co_name == "__await__":
                inner = frame.f_locals.get("self")  # (the pure-Python asyncio Future's)
                if inner is not None and keep is not None:
                    keep.append(frame.f_locals)
        obj = inner
    chain = tuple(raw)
    if chain == hint:  # (compared item by item, each the same tuple of `_pairs`)
        return hint, leaf
    return _chains.setdefault(chain, chain), leaf


walk = py_walk


# (A chain's frames and chains themselves are shared, not made anew per poll: the event ring
# holds no objects of its own for the collector to go through. A frame's pair is found by its
# code's id (a code object's hash goes through its bytecode) and its last instruction.)
_pairs: dict[int, tuple[Any, bool, dict[int, tuple], dict[int, tuple]]] = {}
_chains: dict[tuple, tuple] = {}


def visible(raw: Raw) -> tuple[Frame, ...]:
    """The program's frames of a raw chain: (function, file, line), outermost first."""
    return tuple((info[0], info[1], line) for info, line in raw if not info[2])


def hidden_leaf(raw: Raw) -> str:
    """The driver's or runtime's function a chain ends in, past the program's frames."""
    found = ""
    for info, _ in raw:
        if not info[2]:
            found = ""
        elif not found:
            found = info[0]
    return found if any(not info[2] for info, _ in raw) else ""


_TYPE_ONLY: dict[type, str] = {}


def describe(leaf: Any) -> str:
    """What a pending task waits on (a future), in a few words."""
    kind = type(leaf)
    said = _TYPE_ONLY.get(kind)
    if said is not None:
        return said
    asyncio = sys.modules.get("asyncio")
    if asyncio is not None and isinstance(leaf, asyncio.Future):
        if isinstance(leaf, asyncio.Task):
            return f"task {leaf.get_name()!r}"
        if isinstance(getattr(leaf, "_children", None), list):
            return f"gather() of {len(leaf._children)}"
        said = f"an asyncio {kind.__name__}"
        if kind in (asyncio.Future, getattr(asyncio.futures, "_PyFuture", None)):
            _TYPE_ONLY[kind] = said
        return said
    runtime = sys.modules.get("desugar.runtime")
    if runtime is not None and isinstance(leaf, runtime.Future):
        try:
            description = leaf.describe()
        except Exception:
            description = None
        name = getattr(description, "name", None)
        if getattr(description, "task", None) is not None:
            return "a JoinHandle"
        if name:
            return f"{name}()"
    return backtrace._describe(leaf)


def _where(frame: Frame | None) -> str:
    return f"{frame[1]}:{frame[2]}" if frame else ""


# --- records ------------------------------------------------------------------


class TaskRecord:
    """What the recorder knows of one task (times in ``perf_counter_ns``)."""

    __slots__ = (
        "id", "name", "driver", "parent", "created", "end", "polls", "busy", "sched",
        "running", "woken_at", "raw", "waits", "awaits", "woken", "wakes", "poll_times",
        "sched_times", "spans", "warnings", "flow", "obj", "leaf", "running_at", "fired",
        "system", "key", "spins", "progressed",
    )

    def __init__(self, id: int, name: str, driver: str, parent: int | None, now: int) -> None:
        self.id = id
        self.name = name
        self.driver = driver
        self.parent = parent
        self.created = now
        self.end: int | None = None
        self.polls = 0
        self.busy = self.sched = 0
        self.running = 0  # (the start of the poll running now)
        self.woken_at: int | None = None
        self.raw: Raw = ()
        self.waits: str | None = None  # (None: the hidden leaf of its chain)
        self.awaits: Any = ()
        self.woken = dict.fromkeys(WAKERS, 0)
        self.wakes = 0
        self.poll_times: deque[int] = deque(maxlen=TIMES_KEPT)
        self.sched_times: deque[int] = deque(maxlen=TIMES_KEPT)
        self.spans: Any = ()  # (a list once a span opens: few tasks have any)
        self.warnings: Any = ()  # (a list once a lint fires)
        self.flow = 0
        self.obj: Any = None  # a weak reference to the task, for lost-wakeup checks
        self.leaf: Any = None  # a weak reference to the leaf it waits on (when linting)
        self.running_at: tuple[Frame, ...] | None = None  # sampled by the slow-poll watchdog
        self.fired: Any = ()  # (the lints that fired for it)
        self.system = False
        self.key = 0
        self.spins = 0  # (the self-wakes ``self-wakes`` counts)
        self.progressed = False  # (trio: it did something since its last yield; see `wake`)

    @property
    def chain(self) -> tuple[Frame, ...]:
        """Where it waits (or, done, where it finished): the program's frames, outermost first."""
        return visible(self.raw)

    @property
    def state(self) -> str:
        if self.end is not None:
            return "done"
        if self.running:
            return "running"
        return "scheduled" if self.woken_at is not None else "idle"


class Recorder:
    """Records polls, wakes and spans of the program's tasks while started (see `desugar.trace`).

    ``events``: the size of the event ring; ``lint``: run the lints (printing
    each to ``stream`` when it first fires); ``slow_poll``: the slow-poll
    threshold in seconds.
    """

    def __init__(
        self,
        program: str = "",
        *,
        events: int = DEFAULT_EVENTS,
        lint: bool = False,
        slow_poll: float = 0.1,
        stream: IO[str] | None = None,
    ) -> None:
        self.program = program
        self.lint = lint
        self.slow_poll_ns = int(slow_poll * 1e9)
        self.stream = stream
        fast = speedups()
        self.events: Any = deque(maxlen=events) if fast is None else fast.EventRing(events)
        self.tasks: dict[int, TaskRecord] = {}
        self.by_key: dict[int, TaskRecord] = {}
        self.done: deque[TaskRecord] = deque(maxlen=10000)
        self.warnings: list[dict[str, Any]] = []
        self.driver = "executor"
        self.lock = threading.RLock()
        # (per thread: .task, the record being polled; .kind, who wakes outside any task)
        self.local: Any = threading.local() if fast is None else fast.TaskSlot()
        self.pid = os.getpid()
        self.t0 = _now()
        self.ids = 0
        self.system_ids = 0
        self.flows = 0
        self._unhooks: list[Any] = []
        self._watchdog: threading.Thread | None = None
        self._running: tuple[TaskRecord, int, int] | None = None  # (record, start, thread id)
        self._stopping = threading.Event()
        self._last_lost_check = 0.0
        self._next_lost_check = 0.0
        self._chains: list[tuple[Frame, ...]] = []  # (each warning's chain)
        self.raised: dict[int, TaskRecord] = {}  # asyncio tasks that raised, by id
        self.done_by_task: dict[int, TaskRecord] = {}  # the executor's finished tasks, by id
        self.candidates: dict[int, TaskRecord] = {}  # pending on a plain asyncio future
        self.plain_futures: tuple[type, ...] = ()
        self._checked: set[tuple[int, int]] = set()
        self.otel: Any = None  # (a desugar.trace.otel.Exporter, while one exports)

    # -- life ------------------------------------------------------------------

    def start(self) -> None:
        global _current
        from desugar.trace import _hooks

        _current = self
        self._unhooks = _hooks.install(self)
        if self.lint and self.slow_poll_ns > 0:
            self._watchdog = threading.Thread(
                target=self._watch, name="desugar-trace-watchdog", daemon=True
            )
            self._watchdog.start()

    def stop(self) -> None:
        """Stop recording (the records stay, for `write_trace`, `snapshot` and the report)."""
        global _current
        self._stopping.set()
        for unhook in reversed(self._unhooks):
            unhook()
        self._unhooks = []
        if _current is self:
            _current = None

    # -- what the hooks report -------------------------------------------------

    def task(self, key: Any, name: str, driver: str, obj: Any = None, system: bool = False) -> TaskRecord:
        """The record of the task ``key`` (created, spawned by the task being polled, if new)."""
        record = self.by_key.get(id(key))
        if record is None:
            parent = getattr(self.local, "task", None)
            with self.lock:
                if system:  # (a driver's own task: numbered apart, below zero)
                    self.system_ids -= 1
                    number = self.system_ids
                else:
                    self.ids += 1
                    number = self.ids
                record = TaskRecord(number, name, driver, parent.id if parent else None, _now())
                if self.lint:  # (only the lost-wakeup check needs the task)
                    record.obj = _weak(obj)
                record.system = system
                record.key = id(key)
                self.tasks[record.id] = record
                self.by_key[id(key)] = record
                self.driver = driver
        return record

    def poll_start(self, record: TaskRecord, first: Any = None) -> Any:
        """A poll of ``record`` starts (``first``: what its first poll resumes, to walk).

        Returns what `poll_end` takes back (the record polled around this one)."""
        if not record.polls and first is not None and not record.raw:
            record.raw = walk(first)[0]
        local = self.local
        outer = getattr(local, "task", None)
        local.task = record
        start = record.running = _now()
        woken = record.woken_at
        if woken is not None:
            record.sched += start - woken
            record.sched_times.append(start - woken)
            record.woken_at = None
        if self.lint:
            if self.candidates:
                self.candidates.pop(record.id, None)
            record.running_at = None
            self._running = (record, start, threading.get_ident())
        return outer

    def poll_end(self, record: TaskRecord, outer: Any, outcome: str, chain_of: Any = None) -> None:
        """The poll of ``record`` ended: ``outcome`` is pending, ready or raised; ``chain_of``
        is what to walk for a pending task's chain (its coroutine, its future)."""
        end = _now()
        self.local.task = outer
        start = record.running
        record.running = 0
        spent = end - start
        record.busy += spent
        record.poll_times.append(spent)
        record.polls += 1
        leaf = None
        if outcome == "pending":
            raw, leaf = walk(chain_of, None, record.raw)
            if leaf is not None:
                waits = record.waits = describe(leaf)
                record.awaits = self._awaits(leaf)
            else:
                waits = record.waits = None
                record.awaits = ()
            polled = record.raw = raw
        else:  # (its chain stays the one it resumed: where it finished)
            polled = record.raw
            waits = ""
            record.end = end
            record.awaits = ()
            self.by_key.pop(record.key, None)
            done = self.done
            if len(done) == done.maxlen:
                self.tasks.pop(done[0].id, None)
            done.append(record)
            if record.driver == "executor":
                self.done_by_task[record.key] = record
            if record.spans:
                record.spans = [s for s in record.spans if not s._instrumented]
            record.obj = None
        self.events.append(("P", record.id, start, end, polled, outcome, waits, record.flow))
        record.flow = 0
        if self.lint:
            self._running = None
            record.leaf = _weak(leaf)
            if outcome == "pending" and (
                record.driver != "asyncio" or leaf is not None and type(leaf) in self.plain_futures
            ):
                self.candidates[record.id] = record
            if spent > self.slow_poll_ns:
                self._slow(record, spent, visible(polled))

    def forget(self, key: Any) -> None:
        """The task ``key`` is gone: its id may be reused by another task."""
        self.by_key.pop(id(key), None)

    def wake(self, record: TaskRecord, kind: str | None = None, at_yield: bool | None = None) -> None:
        """``record`` was scheduled; ``kind`` is who woke it when the hook knows (timer, io).

        ``at_yield`` (trio's self-wakes, when linting): whether the task rescheduled itself at
        a checkpoint the program asked for (``trio.sleep(0)``, ``trio.lowlevel.checkpoint()``)
        rather than at one of trio's operations (a send, a receive, a lock taken at once).
        Under every driver a self-wake counts for ``self-wakes`` only if the task woke no
        other task (and, under trio, passed no operation) since its last one: a producer that
        wakes its consumer and then yields is not busy, and a trio task yields at every
        operation. The other drivers' self-wakes are all yields (``asyncio.sleep(0)``,
        ``yield_now()``): ``at_yield`` is None for them."""
        now = _now()
        local = self.local
        waker = getattr(local, "task", None)
        if kind is None:
            if waker is None:
                kind = getattr(local, "kind", None) or "other"
            else:
                kind = "self" if waker is record else "task"
        if self.lint:
            if kind == "self":
                if at_yield is not False and not record.progressed:
                    record.spins += 1
                record.progressed = at_yield is False
            elif waker is not None:
                waker.progressed = True
        if record.end is not None:
            if self.lint:
                self._fire(record, "wake-after-completion",
                           f"was woken after it completed (by {kind})", record.chain)
            return
        record.woken[kind] += 1
        record.wakes += 1
        if record.woken_at is None:
            record.woken_at = now
        self.flows += 1
        record.flow = flow = self.flows
        self.events.append(("W", waker.id if waker is not None else 0, now, flow, kind))
        if (
            self.lint and kind == "self" and record.wakes >= SELF_WAKE_MIN
            and record.spins * 2 > record.wakes and "self-wakes" not in record.fired
        ):
            self._fire(record, "self-wakes",
                       f"woke itself for {record.spins} of its {record.wakes} wakeups "
                       "(a busy loop of sleep(0)?)", record.chain)

    def span_event(self, record: TaskRecord | None, start: int, end: int, name: str,
                   fields: dict[str, Any]) -> None:
        self.events.append(("S", record.id if record else 0, start, end, name, fields))

    def _awaits(self, leaf: Any) -> Any:
        targets: list[Any] = []
        asyncio = sys.modules.get("asyncio")
        if asyncio is not None and isinstance(leaf, asyncio.Future):
            if type(leaf) in self.plain_futures:
                return ()
            children = getattr(leaf, "_children", None)
            targets = list(children) if isinstance(children, list) else [leaf]
        else:
            runtime = sys.modules.get("desugar.runtime")
            if runtime is not None and isinstance(leaf, runtime.Future):
                try:
                    task = leaf.describe().task
                except Exception:
                    task = None
                if task is not None:
                    targets = [task]
        ids = []
        for target in targets:
            found = self.by_key.get(id(target))
            if found is not None:
                ids.append(found.id)
        return ids

    # -- lints -----------------------------------------------------------------

    def _fire(self, record: TaskRecord, lint: str, message: str, chain: tuple[Frame, ...]) -> None:
        if lint in record.fired:
            return
        record.fired = (*record.fired, lint)
        location = _where(chain[-1] if chain else None)
        text = f"{lint}: {message}"
        with self.lock:
            record.warnings = [*record.warnings, text]
            self.warnings.append(
                {"task": record.id, "lint": lint, "message": message, "location": location}
            )
            self._chains.append(chain)
        stream = self.stream if self.stream is not None else sys.stderr
        try:
            print(f"desugar: lint: task {record.id} {record.name!r}: {text}", file=stream)
            for line in _chain_lines(chain):
                print(line, file=stream)
            stream.flush()
        except (OSError, ValueError):
            pass

    def _slow(self, record: TaskRecord, spent: int, polled: tuple[Frame, ...]) -> None:
        running = record.running_at
        chain = running if running else polled
        where = f" at {_where(running[-1])}" if running else ""
        self._fire(
            record, "slow-poll",
            f"a poll blocked the loop for {spent / 1e6:.0f} ms "
            f"(over {self.slow_poll_ns / 1e6:g} ms){where}", chain,
        )

    def _watch(self) -> None:
        """(The watchdog thread) Sample the stack of a poll that runs past the threshold."""
        interval = max(self.slow_poll_ns / 4e9, 0.005)
        while not self._stopping.wait(interval):
            running = self._running
            if running is None:
                continue
            record, started, thread = running
            if _now() - started < self.slow_poll_ns or record.running_at is not None:
                continue
            frame = sys._current_frames().get(thread)
            stack = []
            while frame is not None and frame.f_code not in BOUNDARIES:
                function, file, hidden = _info(frame)
                if not hidden and not file.startswith("<"):
                    stack.append((function, file, frame.f_lineno))
                frame = frame.f_back
            if self._running is running:
                record.running_at = tuple(reversed(stack))

    def check_lost(self, force: bool = False) -> None:
        """Look for tasks pending on an asyncio future nothing else references (at rest).

        ``force``: the loop is about to wait with no timer; the candidates not
        checked yet in their present wait are checked at once. Otherwise all are
        checked, at most once every `LOST_CHECK_EVERY` seconds. A check goes through
        the heap once (``gc.get_referrers`` of all the leaves together), and the next
        waits `LOST_CHECK_SHARE` times as long as it took (unless ``force``).
        """
        if not self.lint or not self.candidates:
            return
        now = time.monotonic()
        if not force and now < self._next_lost_check:
            return
        since = now - self._last_lost_check
        timely = since >= LOST_CHECK_EVERY
        fresh = force or since >= LOST_CHECK_EVERY / 10
        records = [
            r for r in list(self.candidates.values())
            if timely or (fresh and (r.id, r.polls) not in self._checked)
        ]
        if not records:
            return
        import gc

        # (Each asyncio candidate's leaf is looked up among the referrers of all of them at
        # once: gc.get_referrers goes through the whole heap per call, once per check, not
        # once per task.)
        leaves: list[Any] = []
        checked: list[tuple[TaskRecord, set[int]]] = []
        trio_records = []
        for record in records:
            self._checked.add((record.id, record.polls))
            if record.state != "idle" or "lost-wakeup" in record.fired:
                continue
            if record.driver == "trio":
                trio_records.append(record)
                continue
            task = record.obj() if record.obj is not None else None
            if record.driver == "executor":
                if task is not None and self._executor_lost(task):
                    self._fire(
                        record, "lost-wakeup",
                        "is pending and nothing outside its own await chain holds its waker: "
                        "nothing can wake it, it will wait forever", record.chain,
                    )
                continue
            leaf = record.leaf() if record.leaf is not None else None
            if task is None or leaf is None or leaf.done():
                continue
            keep: list[Any] = []
            walk(task.get_coro(), keep)
            allowed = {id(x) for x in keep} | {id(task), id(keep)}
            if sys.version_info < (3, 13):
                allowed.update(id(x.f_locals) for x in keep if hasattr(x, "f_code"))
            leaves.append(leaf)
            checked.append((record, allowed))
            del keep, task
        leaf = None
        if leaves:
            arguments = tuple(leaves)
            index: dict[int, list[int]] = {}
            for i, one in enumerate(leaves):
                index.setdefault(id(one), []).append(i)
            ours = {id(leaves), id(arguments), id(sys._getframe()), id(checked), id(index)}
            held = [False] * len(leaves)
            referrers = gc.get_referrers(*arguments)
            for referrer in referrers:
                if id(referrer) in ours:
                    continue
                for referent in gc.get_referents(referrer):
                    for i in index.get(id(referent), ()):
                        if id(referrer) not in checked[i][1]:
                            held[i] = True
            del referrers
            for (record, _allowed), one, kept in zip(checked, leaves, held):
                if not kept:
                    self._fire(
                        record, "lost-wakeup",
                        f"is pending on {describe(one)} that nothing outside its own await "
                        "chain references: nothing can complete it, it will wait forever",
                        record.chain,
                    )
            del arguments
        leaves.clear()
        if trio_records:
            from desugar.trace import _trio_lost

            for record, message in _trio_lost.check(trio_records, walk):
                self._fire(record, "lost-wakeup", message, record.chain)
        done = time.monotonic()
        self._last_lost_check = done
        # (At most a twentieth of the time goes to these checks, whatever the heap's size.)
        self._next_lost_check = done + (done - now) * LOST_CHECK_SHARE

    @staticmethod
    def _executor_lost(task: Any) -> bool:
        """Does nothing outside the executor task's own chain hold its waker (or its leaf)?"""
        import gc

        if task.done or task.scheduled or task.future is None:
            return False
        waker_type = type(task.cx.waker())
        keep: list[Any] = []
        leaf = walk(task.future, keep)[1]
        allowed = {id(x) for x in keep} | {id(task), id(task.cx), id(keep), id(sys._getframe())}
        if sys.version_info < (3, 13):
            allowed.update(id(x.f_locals) for x in keep if hasattr(x, "f_code"))
        if leaf is not None:
            allowed.add(id(getattr(leaf, "__dict__", None)))
            if any(id(r) not in allowed for r in gc.get_referrers(leaf)):
                return False  # (someone else holds the future it waits on: it may complete it)
        wakers = [w for w in gc.get_referrers(task.cx.waker()._wake) if type(w) is waker_type]
        allowed.add(id(wakers))
        for waker in wakers:
            if any(id(r) not in allowed for r in gc.get_referrers(waker)):
                return False
        return True

    def never_retrieved(self, record: TaskRecord, error: BaseException) -> None:
        """``record``'s task raised ``error`` and nobody retrieved it (shown where it was raised)."""
        if not self.lint:
            return
        raised = []
        tb = error.__traceback__
        while tb is not None:
            function, file, hidden = _info(tb.tb_frame)
            if not hidden:
                raised.append((function, file, tb.tb_lineno))
            tb = tb.tb_next
        self._fire(
            record, "never-retrieved",
            f"raised {type(error).__name__}: {error} and nobody retrieved it",
            tuple(raised) or record.chain,
        )

    def lint_report(self) -> str:
        """The lints that fired, for the report at exit ('' if none)."""
        with self.lock:
            warnings, chains = list(self.warnings), list(self._chains)
        if not warnings:
            return "desugar: lint: no warnings\n"
        lines = [f"desugar: lint report: {len(warnings)} warning{'s' if len(warnings) > 1 else ''}"]
        for warning, chain in zip(warnings, chains):
            record = self.tasks.get(warning["task"])
            name = record.name if record else "?"
            lines.append(f"  task {warning['task']} {name!r}: {warning['lint']}: {warning['message']}")
            lines.extend("  " + line for line in _chain_lines(chain))
        return "\n".join(lines) + "\n"

    # -- what others read --------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """The tasks and warnings now, as `desugar.trace` documents (JSON-able; any thread)."""
        with self.lock:
            now = _now()
            tasks = []
            for record in list(self.tasks.values()):
                if record.system:
                    continue
                busy, sched = record.busy, record.sched
                running, woken, end = record.running, record.woken_at, record.end
                if end is None and running:
                    busy += now - running
                elif end is None and woken is not None:
                    sched += now - woken
                idle = max((end if end is not None else now) - record.created - busy - sched, 0)
                chain = visible(record.raw)
                tasks.append({
                    "id": record.id,
                    "name": record.name,
                    "state": "done" if end is not None else "running" if running else
                             "scheduled" if woken is not None else "idle",
                    "polls": record.polls,
                    "busy": busy / 1e9,
                    "scheduled": sched / 1e9,
                    "idle": idle / 1e9,
                    "location": _where(chain[-1]) if chain else "",
                    "chain": [{"function": f, "file": p, "line": n} for f, p, n in chain],
                    "parent": record.parent,
                    "awaits": list(record.awaits),
                    "woken_by": dict(record.woken),
                    "poll_times": list(record.poll_times),
                    "scheduled_times": list(record.sched_times),
                    "spans": [
                        {"name": s.name, "fields": {k: _jsonable(v) for k, v in s.fields.items()}}
                        for s in list(record.spans)
                    ],
                    "warnings": list(record.warnings),
                })
            return {
                "time": (now - self.t0) / 1e9,
                "pid": self.pid,
                "program": self.program,
                "driver": self.driver,
                "tasks": tasks,
                "warnings": [dict(w) for w in self.warnings],
            }

    def trace_events(self) -> list[dict[str, Any]]:
        """The recorded events in the Chrome trace-event format."""
        from desugar.trace._chrome import events

        with self.lock:
            ring = list(self.events)
            records = list(self.tasks.values())
        return events(self, ring, records)

    def write_trace(self, path: str) -> None:
        """Write `trace_events` to ``path`` as JSON (``{"traceEvents": [...]}``)."""
        import json

        data = {"traceEvents": self.trace_events(), "displayTimeUnit": "ms"}
        with open(path, "w", encoding="utf-8") as file:
            json.dump(data, file, separators=(",", ":"))


def _weak(obj: Any) -> Any:
    if obj is None:
        return None
    import weakref

    try:
        return weakref.ref(obj)
    except TypeError:
        return None


def _chain_lines(chain: tuple[Frame, ...]) -> list[str]:
    """A chain innermost first, as backtraces print it."""
    return [f"    at {file}:{line} in {function}" for function, file, line in reversed(chain)]

"""The drivers' hooks a `Recorder` installs when it starts (and removes when it stops).

- asyncio: ``Handle._run`` (every callback the loop runs: a task's step is a
  callback, whether the task is the C or the pure-Python ``Task``),
  ``BaseEventLoop._call_soon`` (a task's step being scheduled: a wake; both
  ``Task`` classes and both ``Future`` classes schedule through it),
  ``BaseSelectorEventLoop._process_events`` (what I/O made ready),
  ``BaseEventLoop._run_once`` (the loop at rest: lost-wakeup checks) and
  ``call_exception_handler`` (an exception never retrieved);
- trio: a ``trio.abc.Instrument`` added to each run (``setup_runner``);
- the runtime's executor: ``Executor._poll``, ``_schedule``, ``_fire_timers``
  and ``shutdown``.

A driver imported later is hooked as it is imported.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Callable

from desugar.trace import _recorder
from desugar.trace._recorder import (
    BOUNDARIES, Recorder, TaskRecord, _now, describe, hidden_leaf, runtime_loaded, visible,
)

Unhook = Callable[[], None]


def install(recorder: Recorder) -> list[Unhook]:
    unhooks: list[Unhook] = []
    _recorder.use(_recorder.speedups())
    pending = dict(_HOOKS)
    for name in list(pending):
        if name in sys.modules:
            unhooks.append(pending.pop(name)(recorder, sys.modules[name]))

    def hook_when_loaded(name: str) -> Callable[[Any], None]:
        def hook(module: Any) -> None:
            found = pending.pop(name, None)
            if found is not None:
                unhooks.append(found(recorder, module))

        return hook

    from desugar._after_import import AfterImport

    finder = AfterImport({name: hook_when_loaded(name) for name in pending})
    sys.meta_path.insert(0, finder)

    def remove_finder() -> None:
        if finder in sys.meta_path:
            sys.meta_path.remove(finder)

    unhooks.insert(0, remove_finder)
    return unhooks


def _patch(owner: Any, name: str, new: Any, unhooks: list[Unhook]) -> Any:
    old = owner.__dict__[name]
    setattr(owner, name, new)
    unhooks.append(lambda: setattr(owner, name, old))
    return old


def _undo(unhooks: list[Unhook]) -> Unhook:
    def undo() -> None:
        for unhook in reversed(unhooks):
            unhook()

    return undo


# --- asyncio -------------------------------------------------------------------

_STEPS = {"task_wakeup", "__step", "__wakeup", "_Task__step", "_Task__wakeup"}


def _asyncio(recorder: Recorder, asyncio: Any) -> Unhook:
    from asyncio import base_events, events, selector_events, tasks

    task_types = tuple({tasks.Task, getattr(tasks, "_PyTask", tasks.Task), getattr(tasks, "_CTask", tasks.Task)})
    plain_futures = tuple(
        {asyncio.Future, getattr(asyncio.futures, "_PyFuture", asyncio.Future)}
    )
    recorder.plain_futures = plain_futures
    timer_handle = events.TimerHandle
    io: set[int] = set()
    local = recorder.local
    unhooks: list[Unhook] = []

    task_classes = set(task_types)
    step_types: set[type] = set()  # (the C Task's step wrapper, once seen)
    steps = _STEPS
    by_key = recorder.by_key

    def task_of(callback: Any) -> Any:
        """The task whose step ``callback`` is (None for any other callback)."""
        task = getattr(callback, "__self__", None)
        if task is None:
            return None
        kind = type(task)
        if kind not in task_classes:
            if not isinstance(task, task_types):
                return None
            task_classes.add(kind)  # (a subclass of Task)
        kind = type(callback)
        if kind in step_types or getattr(callback, "__name__", None) in steps:
            return task
        if kind.__name__ == "TaskStepMethWrapper":
            step_types.add(kind)
            return task
        return None

    def record_of(task: Any) -> Any:
        return by_key.get(id(task)) or recorder.task(task, task.get_name(), "asyncio", task)

    def other_callback(handle: Any) -> Any:
        """Run a callback that is not a task's step, telling wakes what it is."""
        outer = getattr(local, "kind", None)
        if isinstance(handle, timer_handle):
            local.kind = "timer"
        elif id(handle) in io:
            io.discard(id(handle))
            local.kind = "io"
        else:
            local.kind = "other"
        try:
            return handle_run(handle)
        finally:
            local.kind = outer

    def finished(task: Any, record: Any, outer: Any) -> None:
        if task.cancelled():
            recorder.poll_end(record, outer, "raised")
            return
        error = getattr(task, "_exception", None)
        recorder.poll_end(record, outer, "raised" if error is not None else "ready")
        if error is not None:
            recorder.raised[id(task)] = record

    # (The hot path: the recorder's poll_start, poll_end and wake inlined for a task's step;
    # what is rare goes through the recorder's methods.)
    now = _now
    events_append = recorder.events.append
    get_key = by_key.get

    def slow_run(handle: Any) -> Any:
        callback = handle._callback
        task = getattr(callback, "__self__", None)
        if task is None or type(task) not in task_classes or type(callback) not in step_types:
            if task is None or task_of(callback) is None:  # (it learns new step and Task types)
                return other_callback(handle)
        record = get_key(id(task))
        if record is None:
            record = record_of(task)
        coro = task.get_coro()
        if not record.polls or recorder.lint:
            record.name = task.get_name()  # (set after the task's first scheduling)
            outer = recorder.poll_start(record, coro)
            start = record.running
        else:
            outer = getattr(local, "task", None)
            local.task = record
            start = record.running = now()
            woken = record.woken_at
            if woken is not None:
                record.sched += start - woken
                record.sched_times.append(start - woken)
                record.woken_at = None
        try:
            return handle_run(handle)
        finally:
            if task.done() or recorder.lint:
                if task.done():
                    finished(task, record, outer)
                else:
                    recorder.poll_end(record, outer, "pending", coro)
            else:
                end = now()
                local.task = outer
                record.running = 0
                spent = end - start
                record.busy += spent
                record.poll_times.append(spent)
                record.polls += 1
                raw, leaf = _recorder.walk(coro, None, record.raw)
                if leaf is not None:
                    waits = record.waits = describe(leaf)
                    record.awaits = recorder._awaits(leaf)
                else:
                    waits = record.waits = None
                    if record.awaits:
                        record.awaits = ()
                record.raw = raw
                events_append(("P", record.id, start, end, raw, "pending", waits, record.flow))
                record.flow = 0

    def slow_call_soon(self: Any, callback: Any, args: Any, context: Any) -> Any:
        task = getattr(callback, "__self__", None)
        if task is not None and (
            (type(task) in task_classes and type(callback) in step_types)
            or task_of(callback) is not None
        ):
            record = get_key(id(task)) or record_of(task)
            waker = getattr(local, "task", None)
            if waker is None or record.end is not None or recorder.lint:
                recorder.wake(record)
            else:
                kind = "self" if waker is record else "task"
                record.woken[kind] += 1
                record.wakes += 1
                at = now()
                if record.woken_at is None:
                    record.woken_at = at
                recorder.flows += 1
                record.flow = flow = recorder.flows
                events_append(("W", waker.id, at, flow, kind))
        return loop_call_soon(self, callback, args, context)

    def waits_of(record: Any, leaf: Any) -> str:
        record.awaits = recorder._awaits(leaf)
        return describe(leaf)

    handle_run = events.Handle.__dict__["_run"]
    loop_call_soon = base_events.BaseEventLoop.__dict__["_call_soon"]
    run: Any = slow_run
    call_soon: Any = slow_call_soon
    if not recorder.lint:  # (a poll's and a wake's common case in C, or in its Python twin)
        fast = _recorder.speedups()
        step_hook = py_step_hook if fast is None else fast.StepHook
        wake_hook = py_wake_hook if fast is None else fast.WakeHook
        run = step_hook(
            slow_run, finished, waits_of, handle_run, task_classes, step_types, by_key, local,
            recorder.events, _recorder.walk, _recorder._TYPE_ONLY, TaskRecord, recorder,
            timer_handle, io,
        )
        call_soon = wake_hook(
            slow_call_soon, record_of, loop_call_soon, task_classes, step_types, by_key, local,
            recorder.events, recorder, TaskRecord,
        )
    _patch(events.Handle, "_run", run, unhooks)
    BOUNDARIES.add(slow_run.__code__)
    _patch(base_events.BaseEventLoop, "_call_soon", call_soon, unhooks)

    def process_events(self: Any, event_list: Any) -> Any:
        ready = self._ready
        before = len(ready)
        result = loop_process_events(self, event_list)
        for index in range(before, len(ready)):
            io.add(id(ready[index]))
        return result

    loop_process_events = _patch(
        selector_events.BaseSelectorEventLoop, "_process_events", process_events, unhooks
    )

    def run_once(self: Any) -> Any:
        if not self._ready and recorder.candidates:
            recorder.check_lost(force=not self._scheduled)
        return loop_run_once(self)

    loop_run_once = _patch(base_events.BaseEventLoop, "_run_once", run_once, unhooks)

    def call_exception_handler(self: Any, context: Any) -> Any:
        future = context.get("future") if isinstance(context, dict) else None
        error = context.get("exception") if isinstance(context, dict) else None
        record = recorder.raised.pop(id(future), None) if future is not None else None
        if record is not None and isinstance(error, BaseException) and "never retrieved" in str(
            context.get("message", "")
        ):
            recorder.never_retrieved(record, error)
        return loop_call_exception_handler(self, context)

    loop_call_exception_handler = _patch(
        base_events.BaseEventLoop, "call_exception_handler", call_exception_handler, unhooks
    )
    return _undo(unhooks)


def py_step_hook(
    slow: Any, finished: Any, waits_of: Any, handle_run: Any, task_classes: set[type],
    step_types: set[type], by_key: dict[int, Any], local: Any, events: Any, walk: Any,
    type_only: dict[type, str], record_type: type, recorder: Recorder, timer_handle: type,
    io: set[int],
) -> Any:
    """asyncio's ``Handle._run`` while recording (not linting): a poll of a task seen before
    (scheduled), recorded here, the rest by ``slow`` (other callbacks); ``finished`` ends
    a task's last poll; ``waits_of(record, leaf)`` says what it waits on (and sets its
    ``awaits``) for a leaf whose type alone does not say it (``type_only``). The C runtime's
    ``StepHook`` is its twin."""
    now = _now
    events_append = events.append

    def run(handle: Any) -> Any:
        callback = handle._callback
        if type(callback) not in step_types:
            return slow(handle)
        task = getattr(callback, "__self__", None)
        if type(task) not in task_classes:
            return slow(handle)
        record = by_key.get(id(task))
        if record is None or type(record) is not record_type:
            return slow(handle)
        coro = task.get_coro()
        if not record.polls:  # (its name is set after its first scheduling)
            record.name = task.get_name()
            if not record.raw:
                record.raw = walk(coro)[0]
        outer = getattr(local, "task", None)
        local.task = record
        start = record.running = now()
        woken = record.woken_at
        if woken is not None:
            record.sched += start - woken
            record.sched_times.append(start - woken)
            record.woken_at = None
        try:
            return handle_run(handle)
        finally:
            if task.done():
                finished(task, record, outer)
            else:
                end = now()
                local.task = outer
                record.running = 0
                spent = end - start
                record.busy += spent
                record.poll_times.append(spent)
                record.polls += 1
                raw, leaf = walk(coro, None, record.raw)
                no_awaits = True  # (nothing, or a plain future: it awaits no task)
                if leaf is None:
                    waits = None
                else:
                    waits = type_only.get(type(leaf))
                    if waits is None:
                        no_awaits = False
                        waits = waits_of(record, leaf)
                if no_awaits and record.awaits:
                    record.awaits = ()
                record.waits = waits
                record.raw = raw
                events_append(("P", record.id, start, end, raw, "pending", waits, record.flow))
                record.flow = 0

    return run


def py_wake_hook(
    slow: Any, record_of: Any, call_soon: Any, task_classes: set[type], step_types: set[type],
    by_key: dict[int, Any], local: Any, events: Any, recorder: Recorder, record_type: type,
) -> Any:
    """asyncio's ``BaseEventLoop._call_soon`` while recording (not linting): a task's step
    scheduled by another task (or itself) recorded here (``record_of`` makes a new task's
    record), a callback that is no task's step passed on, the rest by ``slow``. The C
    runtime's ``WakeHook`` is its twin."""
    now = _now
    events_append = events.append

    def hook(self: Any, callback: Any, args: Any, context: Any) -> Any:
        if type(callback) in step_types:
            task = getattr(callback, "__self__", None)
            if type(task) in task_classes:
                waker = getattr(local, "task", None)
                if type(waker) is record_type:  # (woken by a task)
                    record = by_key.get(id(task)) or record_of(task)
                    if type(record) is record_type and record.end is None:
                        kind = "self" if waker is record else "task"
                        woken = record.woken
                        woken[kind] = woken.get(kind, 0) + 1
                        record.wakes += 1
                        at = now()
                        if record.woken_at is None:
                            record.woken_at = at
                        recorder.flows = flow = recorder.flows + 1
                        record.flow = flow
                        events_append(("W", waker.id, at, flow, kind))
                        return call_soon(self, callback, args, context)
        elif getattr(callback, "__self__", None) is None:  # (no task's step)
            return call_soon(self, callback, args, context)
        return slow(self, callback, args, context)

    return hook


def py_poll_hook(
    slow: Any, finished: Any, waits_of: Any, executor_poll: Any, task_classes: set[type],
    step_types: set[type], by_key: dict[int, Any], local: Any, events: Any, walk: Any,
    type_only: dict[type, str], record_type: type, recorder: Recorder, timer_handle: type,
    io: set[int], executor: bool = True,
) -> Any:
    """The runtime executor's ``Executor._poll`` while recording (not linting): a poll of a
    task polled before recorded here, its first poll (and any other call) by ``slow``,
    its last ended by ``finished``; ``waits_of`` as `py_step_hook` takes it (the arguments
    are `py_step_hook`'s, unused ones included, as the C runtime's ``StepHook`` takes them
    with ``executor=True``: its twin)."""
    now = _now
    events_append = events.append

    def poll(self: Any, task: Any) -> None:
        record = by_key.get(id(task))
        if record is None or type(record) is not record_type or not record.polls:
            return slow(self, task)
        future = task.future
        outer = getattr(local, "task", None)
        local.task = record
        start = record.running = now()
        woken = record.woken_at
        if woken is not None:
            record.sched += start - woken
            record.sched_times.append(start - woken)
            record.woken_at = None
        try:
            return executor_poll(self, task)
        finally:
            if task.done:
                finished(task, record, outer)
            else:
                end = now()
                local.task = outer
                record.running = 0
                spent = end - start
                record.busy += spent
                record.poll_times.append(spent)
                record.polls += 1
                raw, leaf = walk(future, None, record.raw)
                no_awaits = True
                if leaf is None:
                    waits = None
                else:
                    waits = type_only.get(type(leaf))
                    if waits is None:
                        no_awaits = False
                        waits = waits_of(record, leaf)
                if no_awaits and record.awaits:
                    record.awaits = ()
                record.waits = waits
                record.raw = raw
                events_append(("P", record.id, start, end, raw, "pending", waits, record.flow))
                record.flow = 0

    return poll


def py_schedule_hook(
    slow: Any, record_of: Any, executor_schedule: Any, task_classes: set[type],
    step_types: set[type], by_key: dict[int, Any], local: Any, events: Any, recorder: Recorder,
    record_type: type, executor: bool = True,
) -> Any:
    """The runtime executor's ``Executor._schedule`` while recording (not linting): a pending
    task not scheduled yet, with a record, woken by a task, recorded here; the rest by
    ``slow`` (the arguments are `py_wake_hook`'s; the C runtime's ``WakeHook`` with
    ``executor=True`` is its twin)."""
    now = _now
    events_append = events.append

    def schedule(self: Any, task: Any) -> None:
        if not task.done and not task.scheduled:
            waker = getattr(local, "task", None)
            if type(waker) is record_type:
                record = by_key.get(id(task))
                if type(record) is record_type and record.end is None:
                    kind = "self" if waker is record else "task"
                    woken = record.woken
                    woken[kind] = woken.get(kind, 0) + 1
                    record.wakes += 1
                    at = now()
                    if record.woken_at is None:
                        record.woken_at = at
                    recorder.flows = flow = recorder.flows + 1
                    record.flow = flow
                    events_append(("W", waker.id, at, flow, kind))
                    return executor_schedule(self, task)
        return slow(self, task)

    return schedule


# --- trio ----------------------------------------------------------------------


#: trio's functions a program calls only to yield (``trio.sleep(0)`` is a checkpoint): a task
#: that reschedules itself in one of them asked to, unlike at an operation's own checkpoint.
TRIO_YIELDS = frozenset({
    "trio._timeouts::sleep", "trio._core._run::checkpoint",
    "trio._core._traps::cancel_shielded_checkpoint",
})


def _trio(recorder: Recorder, trio: Any) -> Unhook:
    run_module = sys.modules["trio._core._run"]

    trio_dir = os.path.dirname(os.path.abspath(trio.__file__)) + os.sep
    local = recorder.local
    exits: dict[int, str] = {}

    def record_of(task: Any) -> Any:
        code = getattr(task.coro, "cr_code", None)
        system = code is not None and os.path.abspath(code.co_filename).startswith(trio_dir)
        return recorder.task(task, task.name, "trio", task, system)

    class Recorded(trio.abc.Instrument):  # type: ignore[misc]
        outer: list[Any] = []

        def task_spawned(self, task: Any) -> None:
            record_of(task)

        def task_scheduled(self, task: Any) -> None:
            record = record_of(task)
            if record.system:
                return
            kind = None
            at_yield = None
            waker = getattr(local, "task", None)
            if waker is record:  # (a checkpoint: trio reschedules the task at its end)
                if recorder.lint:
                    at_yield = hidden_leaf(_recorder.walk(task.coro)[0]) in TRIO_YIELDS
            elif waker is None:
                kind = "other"
                frame = sys._getframe(2)
                for _ in range(12):
                    if frame is None:
                        break
                    name = frame.f_code.co_name
                    if name == "expire":
                        kind = "timer"
                        break
                    if name == "process_events":
                        kind = "io"
                        break
                    frame = frame.f_back
            recorder.wake(record, kind, at_yield)

        def before_task_step(self, task: Any) -> None:
            record = record_of(task)
            if not record.system:
                self.outer.append(recorder.poll_start(record, task.coro))

        def after_task_step(self, task: Any) -> None:
            record = record_of(task)
            if record.system:
                return
            outcome = exits.pop(id(task), None)
            outer = self.outer.pop()
            if outcome is None:
                recorder.poll_end(record, outer, "pending", task.coro)
            else:
                recorder.poll_end(record, outer, outcome)
                recorder.forget(task)

        def task_exited(self, task: Any) -> None:
            frame = sys._getframe(2)
            runner = frame.f_locals.get("self")
            outcome = frame.f_locals.get("outcome")
            if task is getattr(runner, "main_task", None):
                outcome = getattr(runner, "main_task_outcome", outcome)
            error = getattr(outcome, "error", None)
            exits[id(task)] = "raised" if isinstance(error, BaseException) else "ready"

    if recorder.lint:

        class Linted(Recorded):  # (only a linting run pays for a call at each loop's wait)
            def before_io_wait(self, timeout: float) -> None:
                if timeout > 0 and recorder.candidates:  # (no task ready: the run is at rest)
                    recorder.check_lost(force=timeout >= 86400)

        instrument: Any = Linted()
    else:
        instrument = Recorded()
    unhooks: list[Unhook] = []

    def setup_runner(*args: Any, **kwargs: Any) -> Any:
        runner = original(*args, **kwargs)
        runner.instruments.add_instrument(instrument)
        return runner

    original = _patch(run_module, "setup_runner", setup_runner, unhooks)
    BOUNDARIES.add(run_module.unrolled_run.__code__)
    return _undo(unhooks)


# --- the runtime's executor ------------------------------------------------------


def _executor(recorder: Recorder, runtime: Any) -> Unhook:
    runtime_loaded(runtime)
    # (`yield_now()`, the executor's `sleep(0)`, is said by its type alone: its description
    # names no task, the same for all)
    yielded = runtime.yield_now()
    _recorder._TYPE_ONLY[type(yielded)] = describe(yielded)
    executor = runtime.Executor
    local = recorder.local
    unhooks: list[Unhook] = []

    def record_of(task: Any) -> Any:
        record = recorder.by_key.get(id(task))
        if record is None:
            chain = visible(_recorder.walk(task.future)[0]) if task.future is not None else ()
            name = chain[0][0] if chain else type(task.future).__name__
            record = recorder.task(task, name, "executor")
            if recorder.lint:  # (the executor holds its tasks anyway: for lost-wakeup checks)
                record.obj = lambda: task
        return record

    def finished(task: Any, record: Any, outer: Any) -> None:
        recorder.poll_end(record, outer, "raised" if task.error is not None else "ready")

    def poll(self: Any, task: Any) -> None:
        record = record_of(task)
        future = task.future
        outer = recorder.poll_start(record, future)
        try:
            executor_poll(self, task)
        finally:
            if not task.done:
                recorder.poll_end(record, outer, "pending", future)
            else:
                finished(task, record, outer)

    def schedule(self: Any, task: Any) -> None:
        if task.done:
            record = recorder.done_by_task.get(id(task))
            if record is not None:
                recorder.wake(record)
        elif not task.scheduled:
            recorder.wake(record_of(task))
        executor_schedule(self, task)

    def waits_of(record: Any, leaf: Any) -> str:
        record.awaits = recorder._awaits(leaf)
        return describe(leaf)

    executor_poll = executor.__dict__["_poll"]
    executor_schedule = executor.__dict__["_schedule"]
    poll_hook: Any = poll
    schedule_hook: Any = schedule
    if not recorder.lint:  # (a poll's and a wake's common case in C, or in its Python twin)
        fast = _recorder.speedups()
        step_hook = py_poll_hook if fast is None else fast.StepHook
        wake_hook = py_schedule_hook if fast is None else fast.WakeHook
        nothing: set[Any] = set()
        poll_hook = step_hook(
            poll, finished, waits_of, executor_poll, set(), set(), recorder.by_key, local,
            recorder.events, _recorder.walk, _recorder._TYPE_ONLY, TaskRecord, recorder,
            type, nothing, executor=True,
        )
        schedule_hook = wake_hook(
            schedule, record_of, executor_schedule, set(), set(), recorder.by_key, local,
            recorder.events, recorder, TaskRecord, executor=True,
        )
    _patch(executor, "_poll", poll_hook, unhooks)
    BOUNDARIES.add(poll.__code__)
    _patch(executor, "_schedule", schedule_hook, unhooks)

    def fire_timers(self: Any) -> None:
        outer = getattr(local, "kind", None)
        local.kind = "timer"
        try:
            executor_fire_timers(self)
        finally:
            local.kind = outer
        if recorder.candidates and not self._ready:  # (about to wait: at rest)
            recorder.check_lost(force=not self._timers)

    executor_fire_timers = _patch(executor, "_fire_timers", fire_timers, unhooks)

    def shutdown(self: Any) -> None:
        for task in self._tasks:
            if task.done and task.error is not None and not task.retrieved:
                record = recorder.done_by_task.get(id(task))
                if record is not None:
                    recorder.never_retrieved(record, task.error)
        executor_shutdown(self)
        recorder.done_by_task.clear()

    executor_shutdown = _patch(executor, "shutdown", shutdown, unhooks)
    return _undo(unhooks)


_HOOKS: dict[str, Callable[[Recorder, Any], Unhook]] = {
    "asyncio": _asyncio,
    "trio": _trio,
    "desugar.runtime": _executor,
}

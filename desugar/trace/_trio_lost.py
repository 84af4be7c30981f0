"""The ``lost-wakeup`` lint under trio: is there anything left that can reschedule a task?

A trio task blocked in ``wait_task_rescheduled`` (what ``Event.wait``, a
``ParkingLot``, a memory channel's ``receive``/``send``, ``sleep`` and I/O
all come down to) is woken by whoever calls ``reschedule(task)``, or by a
cancellation through its abort function. So the task object is the waker:
whoever can reschedule it must reach it, directly (a closure's cell, the I/O
manager's table, a thread's callback) or through the thing it waits on (an
``Event``'s ``_tasks``, a lot's ``_parked``, a channel's ``receive_tasks``).

The task can never be rescheduled when every way to it, going from referrer to
referrer, starts inside its own wait: its await chain (the coroutines and
their frames, with their locals), what its abort function closes over and its
``custom_sleep_data``, and what all those reach (the ``Event`` a frame holds,
the lot that ``Event`` owns), leaving out trio's own bookkeeping of every task
(the run's task set, its nursery's children, its cancel status's tasks: they
cancel or count it, they do not complete what it waits on).

What a cancellation still ends is not reported (as the asyncio lint does not
count ``Task.cancel``), but for two waits that only a cancellation is meant to
end: one under a finite deadline (``trio.sleep``, ``move_on_after``,
``fail_after``: its timer wakes it) and ``trio.sleep_forever()`` (waiting until
cancelled is what it says). A parent waiting in its nursery's exit for its
children is not reported (their exit wakes it; a child that waits forever is
reported itself).
"""

from __future__ import annotations

import gc
import sys
from collections import deque
from types import CodeType, CoroutineType, FrameType, FunctionType, GeneratorType, MethodType, ModuleType
from typing import Any

#: How far (referrer to referrer) a check follows what holds a task before giving up (held).
MAX_LEVELS = 12
#: The objects one task's wait may reach before the check gives up (held).
MAX_REACH = 20_000


class _Candidate:
    __slots__ = ("record", "reach", "owned", "ignored", "frontier", "next", "held", "found", "api")

    def __init__(self, record: Any) -> None:
        self.record = record
        self.reach: set[int] = set()
        self.owned: set[int] = set()
        self.ignored: set[int] = set()
        self.frontier: list[Any] = []
        self.next: list[Any] = []
        self.held = False
        self.found: list[Any] = []  # (the trio objects of the wait it went through, nearest first)
        self.api: Any = None  # (the object whose method the program awaited: an Event, a channel)


def check(records: list[Any], walk: Any) -> list[tuple[Any, str]]:
    """The ``records`` (trio tasks at rest) nothing can reschedule, each with its message.

    ``walk`` is the recorder's await-chain walk (it collects the chain's objects).
    """
    trio_run = sys.modules.get("trio._core._run")
    if trio_run is None:
        return []
    runner = getattr(trio_run.GLOBAL_RUN_CONTEXT, "runner", None)
    if runner is None:
        return []
    task_type = trio_run.Task
    forever = _sleep_forever_code()
    stops = _stops(runner)
    hold: list[Any] = []  # (everything reached stays alive for the check: ids stay its own)
    candidates: list[_Candidate] = []
    for record in records:
        task = record.obj() if record.obj is not None else None
        if task is None or not _waiting(task, runner):
            continue
        if forever is not None and any(info[0] == forever for info, _ in record.raw):
            continue
        candidate = _candidate(record, task, runner, task_type, walk, stops, hold)
        if candidate is not None:
            candidates.append(candidate)
        del task
    if not candidates:
        return []
    _search(candidates, task_type, hold)
    lost = []
    for candidate in candidates:
        if candidate.held:
            continue
        found = candidate.found[0] if candidate.found else None
        if any(one is candidate.api for one in candidate.found):
            found = candidate.api
        if found is not None:
            kind = type(found)
            message = (
                f"is pending on a {kind.__module__}.{kind.__qualname__} that nothing outside "
                "its own await chain references: nothing can wake it, it will wait forever"
            )
        else:
            message = (
                f"is pending in {_waits_in(candidate.record)} and nothing outside its own await "
                "chain holds the task: nothing can reschedule it, it will wait forever"
            )
        lost.append((candidate.record, message))
    hold.clear()
    return lost


def _sleep_forever_code() -> Any:
    """``trio.sleep_forever``'s name as a chain's frame names it."""
    timeouts = sys.modules.get("trio._timeouts")
    code = getattr(getattr(timeouts, "sleep_forever", None), "__code__", None)
    if code is None:
        return None
    from desugar import backtrace

    return backtrace._code_name(code, timeouts.__name__)


def _waiting(task: Any, runner: Any) -> bool:
    """Is ``task`` blocked in ``wait_task_rescheduled``, with nothing but a cancellation due?"""
    if getattr(task, "_next_send_fn", None) is not None or getattr(task, "_abort_func", None) is None:
        return False  # (scheduled, or not blocked)
    if task is runner.init_task:
        return False
    try:
        if task._cancel_status.effective_deadline() != float("inf"):
            return False  # (a deadline (or a cancellation already due) wakes it)
    except Exception:
        return False
    for nursery in getattr(task, "_child_nurseries", ()):
        if getattr(nursery, "_parent_waiting_in_aexit", False):
            return False  # (its children's exit wakes it)
    return True


def _stops(runner: Any) -> set[int]:
    """What a wait's reach does not go into: modules' namespaces, the run itself."""
    stops = {id(runner), id(runner.__dict__) if hasattr(runner, "__dict__") else 0}
    for module in list(sys.modules.values()):
        namespace = getattr(module, "__dict__", None)
        if namespace is not None:
            stops.add(id(namespace))
    import builtins

    stops.add(id(builtins.__dict__))
    return stops


def _candidate(record: Any, task: Any, runner: Any, task_type: type, walk: Any, stops: set[int],
               hold: list[Any]) -> _Candidate | None:
    candidate = _Candidate(record)
    keep: list[Any] = []
    walk(task.coro, keep)
    if sys.version_info < (3, 13):
        keep.extend([x.f_locals for x in keep if isinstance(x, FrameType)])
    owned = candidate.owned
    owned.update(id(x) for x in keep)
    owned.add(id(task))
    owned.add(id(keep))
    for name in ("_child_nurseries",):
        value = getattr(task, name, None)
        if value is not None:
            owned.add(id(value))
    # (trio's bookkeeping of every task: it counts, cancels or names the task, it never
    # completes what the task waits on)
    ignored = candidate.ignored
    ignored.add(id(runner))
    for container in (
        getattr(runner, "tasks", None),
        getattr(getattr(task, "_parent_nursery", None), "_children", None),
        getattr(getattr(task, "_cancel_status", None), "_tasks", None),
        getattr(sys.modules.get("trio._core._parking_lot"), "GLOBAL_PARKING_LOT_BREAKER", None),
    ):
        if container is not None:
            ignored.add(id(container))
    for nursery in getattr(task, "_child_nurseries", ()):  # (their parent: it cancels them)
        ignored.add(id(nursery))
        ignored.add(id(vars(nursery)))
        hold.append(vars(nursery))
    for frame in keep:
        if isinstance(frame, FrameType):
            stops.add(id(frame.f_globals))
            stops.add(id(frame.f_builtins))
    candidate.api = _api(keep)
    roots = [*keep, task.custom_sleep_data, task._abort_func]
    if not _reach(candidate, roots, task_type, stops, hold):
        return None  # (too much to go through: taken as held)
    hold.append(keep)
    candidate.frontier = [task]
    return candidate


def _reach(candidate: _Candidate, roots: list[Any], task_type: type, stops: set[int],
           hold: list[Any]) -> bool:
    """What the wait reaches (ids into ``candidate.reach``); False past `MAX_REACH` objects."""
    reach = candidate.reach
    queue = deque(r for r in roots if r is not None)
    skipped = (type, ModuleType, CodeType, task_type)
    while queue:
        obj = queue.popleft()
        key = id(obj)
        if key in reach or key in stops or isinstance(obj, skipped):
            continue
        reach.add(key)
        hold.append(obj)
        if len(reach) > MAX_REACH:
            return False
        if isinstance(obj, FunctionType):  # (what it closes over, not its module)
            if obj.__closure__:
                queue.append(obj.__closure__)
            continue
        if isinstance(obj, MethodType):
            queue.append(obj.__self__)
            continue
        if isinstance(obj, FrameType):
            queue.extend(  # (not the frames it was called from: they are not its wait's)
                r for r in gc.get_referents(obj)
                if not isinstance(r, FrameType) or id(r) in candidate.owned
            )
            if sys.version_info < (3, 13):
                queue.append(obj.f_locals)
            continue
        queue.extend(gc.get_referents(obj))
    return True


def _search(candidates: list[_Candidate], task_type: type, hold: list[Any]) -> None:
    """Go from each task to what holds it, level by level (one pass through the heap a level),
    while what holds it is its own wait's; anything else holding it holds the task."""
    for _ in range(MAX_LEVELS):
        active = [c for c in candidates if not c.held and c.frontier]
        if not active:
            break
        index: dict[int, list[_Candidate]] = {}
        objects: list[Any] = []
        for candidate in active:
            for obj in candidate.frontier:
                index.setdefault(id(obj), []).append(candidate)
                objects.append(obj)
        arguments = tuple(objects)
        ours = {
            id(objects), id(arguments), id(hold), id(candidates), id(active), id(index),
            id(sys._getframe()),
        }
        for candidate in candidates:
            ours.update((id(candidate), id(candidate.found)))  # (its ``found``, its ``api``)
        for candidate in active:
            ours.add(id(candidate.frontier))
            ours.add(id(candidate.next))
        referrers = gc.get_referrers(*arguments)
        ours.add(id(referrers))
        for referrer in referrers:
            key = id(referrer)
            if key in ours:
                continue
            for referent in gc.get_referents(referrer):
                for candidate in index.get(id(referent), ()):
                    if candidate.held or key in candidate.owned or key in candidate.ignored:
                        continue
                    if key in candidate.reach and not isinstance(referrer, task_type):
                        if key not in candidate.owned:
                            candidate.owned.add(key)  # (visited)
                            candidate.next.append(referrer)
                            if _public(referrer):
                                candidate.found.append(referrer)
                    else:
                        candidate.held = True
        del referrers, arguments, objects
        for candidate in active:
            candidate.frontier, candidate.next = candidate.next, []
    for candidate in candidates:
        if candidate.frontier:
            candidate.held = True  # (too far to tell: taken as held)
        candidate.frontier = []


def _api(keep: list[Any]) -> Any:
    """The ``self`` of the first trio frame the program's frames call (``Event.wait``'s event)."""
    from desugar.trace._recorder import _info

    seen_program = False
    for frame in keep:
        if not isinstance(frame, FrameType):
            continue
        if not _info(frame)[2]:
            seen_program = True
        elif seen_program:
            return frame.f_locals.get("self")
    return None


def _public(obj: Any) -> bool:
    """A trio object a program awaits on (``trio.Event``, ``trio.MemoryReceiveChannel``,
    ``trio.lowlevel.ParkingLot``), not one of trio's internals."""
    module = getattr(type(obj), "__module__", "")
    return module in ("trio", "trio.lowlevel") and not isinstance(obj, (CoroutineType, GeneratorType))


def _waits_in(record: Any) -> str:
    from desugar.trace._recorder import hidden_leaf

    return hidden_leaf(record.raw) or "trio.lowlevel.wait_task_rescheduled"

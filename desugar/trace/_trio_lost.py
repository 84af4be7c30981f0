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

The check goes through no heap: it takes what the wait reaches (its chain's
objects and what they refer to, not into modules, classes, functions' globals
or other tasks), finds among them the holders (those the task can be reached
from), and compares the reference count of each holder, and of the task, with
the references to it found inside the wait (and, for the task, in its own
attributes and trio's bookkeeping). One reference more, from anywhere, is
something else that holds it: not lost. A check costs the size of each wait,
not of the heap.

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

#: The objects one task's wait may reach before the check gives up (taken as held).
MAX_REACH = 20_000


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
    forever = _sleep_forever_code()
    stops = _stops(runner)
    lost = []
    for record in records:
        if forever is not None and any(info[0] == forever for info, _ in record.raw):
            continue
        found = _lost(record, runner, trio_run.Task, walk, stops)
        if found is None:
            continue
        if found:
            message = (
                f"is pending on a {found} that nothing outside its own await chain references: "
                "nothing can wake it, it will wait forever"
            )
        else:
            message = (
                f"is pending in {_waits_in(record)} and nothing outside its own await "
                "chain holds the task: nothing can reschedule it, it will wait forever"
            )
        lost.append((record, message))
    return lost


def _lost(record: Any, runner: Any, task_type: type, walk: Any, stops: set[int]) -> str | None:
    """None if something outside its wait can reschedule ``record``'s task; else the type of
    the trio object it waits on (``trio.Event``), or '' (none: a bare wait)."""
    task = record.obj() if record.obj is not None else None
    if task is None or not _waiting(task, runner):
        return None
    keep: list[Any] = []
    walk(task.coro, keep)
    if sys.version_info < (3, 13):
        keep.extend([x.f_locals for x in keep if isinstance(x, FrameType)])
    api = id(_api(keep))
    for frame in keep:
        if isinstance(frame, FrameType):
            stops.add(id(frame.f_globals))
            stops.add(id(frame.f_builtins))
    frame = None
    keep.append(task.custom_sleep_data)
    keep.append(task._abort_func)
    # (trio's bookkeeping of every task: it counts, cancels or names the task, it never
    # completes what the task waits on; its references to the task are no waker's)
    bookkeeping: dict[int, Any] = {id(runner): runner}
    for container in (
        getattr(runner, "tasks", None),
        getattr(getattr(task, "_parent_nursery", None), "_children", None),
        getattr(getattr(task, "_cancel_status", None), "_tasks", None),
        getattr(sys.modules.get("trio._core._parking_lot"), "GLOBAL_PARKING_LOT_BREAKER", None),
        *getattr(task, "_child_nurseries", ()),  # (the nurseries it is the parent of)
    ):
        if container is not None:
            bookkeeping[id(container)] = container
    container = None
    objects: dict[int, Any] = {}  # (each object the wait reaches, by id: one reference each)
    referents: dict[int, list[int]] = {}
    reached = _reach(keep, task_type, stops, objects, referents)
    del keep
    if not reached:
        return None  # (too much to go through: taken as held)
    me = id(task)
    # The holders: what the task can be reached from inside the wait, by distance.
    parents: dict[int, list[int]] = {}
    for key, ids in referents.items():
        for child in ids:
            if child == me or child in objects:
                parents.setdefault(child, []).append(key)
    holders: dict[int, int] = {}
    level = [me]
    distance = 0
    while level:
        distance += 1
        following = []
        for child in level:
            for parent in parents.get(child, ()):
                if parent not in holders and parent != me:
                    holders[parent] = distance
                    following.append(parent)
        level = following
    # The references to each holder and to the task from inside: from the wait's objects,
    # from the task itself, and (to the task only) from trio's bookkeeping.
    counts = dict.fromkeys(holders, 0)
    counts[me] = 0
    for ids in referents.values():
        for child in ids:
            if child in counts:
                counts[child] += 1
    for one in gc.get_referents(task):
        if id(one) in counts:
            counts[id(one)] += 1
    one = None
    for key, container in bookkeeping.items():
        if key not in objects:
            counts[me] += sum(1 for one in gc.get_referents(container) if one is task)
    container = None
    bookkeeping.clear()
    # (besides those: sys.getrefcount's argument and the local name; a holder's entry in
    # ``objects`` too)
    if sys.getrefcount(task) - 2 != counts[me]:
        return None
    task = None
    for key in holders:
        holder = objects[key]
        if sys.getrefcount(holder) - 3 != counts[key]:
            return None
        holder = None
    public = sorted((distance, key) for key, distance in holders.items() if _public(objects[key]))
    if api in holders and _public(objects[api]):
        public.insert(0, (0, api))
    if not public:
        return ""
    kind = type(objects[public[0][1]])
    return f"{kind.__module__}.{kind.__qualname__}"


def _reach(roots: list[Any], task_type: type, stops: set[int], objects: dict[int, Any],
           referents: dict[int, list[int]]) -> bool:
    """What the wait reaches from ``roots``: each object into ``objects``, the ids it refers to
    into ``referents``. Not into modules' namespaces, classes, code, functions' globals, the
    frames the wait was called from, other tasks. False past `MAX_REACH` objects."""
    queue = deque(r for r in roots if r is not None)
    skipped = (type, ModuleType, CodeType, task_type)
    while queue:
        obj = queue.popleft()
        key = id(obj)
        if key in objects or key in stops or isinstance(obj, skipped):
            continue
        objects[key] = obj
        if len(objects) > MAX_REACH:
            return False
        inner = gc.get_referents(obj)
        referents[key] = [id(one) for one in inner]
        if isinstance(obj, FunctionType):  # (what it closes over, not its module)
            if obj.__closure__:
                queue.append(obj.__closure__)
        elif isinstance(obj, MethodType):
            queue.append(obj.__self__)
        elif isinstance(obj, FrameType):  # (not the frames it was called from)
            queue.extend(one for one in inner if not isinstance(one, FrameType))
        else:
            queue.extend(inner)
    return True


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

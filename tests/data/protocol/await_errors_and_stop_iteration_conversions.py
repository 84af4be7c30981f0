"""`await` errors (no `__await__`, one that fails, a non-iterator, a coroutine) with the native
context; and the StopIteration a coroutine, a generator or an async generator raises: the
RuntimeError whose cause it is (CPython's other `_PyErr_FormatFromCause` sites an await reaches).
"""

import itertools
import types


class AwaitReturns:
    def __init__(self, value):
        self.value = value

    def __await__(self):
        if isinstance(self.value, BaseException):
            raise self.value
        return self.value


async def coro():
    return 1


def await_case(make, outer=False):
    async def case():
        if outer:
            try:
                raise LookupError("outer")
            except LookupError:
                return await make()
        return await make()

    return case


awaits = {
    "no __await__": lambda: 5,
    "__await__ raises": lambda: AwaitReturns(ValueError("in __await__")),
    "__await__ raises StopIteration": lambda: AwaitReturns(StopIteration(5)),
    "__await__ non-iterator": lambda: AwaitReturns(3),
    "__await__ coroutine": lambda: AwaitReturns(coro()),
    "a static type's name": lambda: itertools.count(),
}
for label, make in awaits.items():
    for outer in (False, True):
        show(f"await {label} outer={outer}", await_case(make, outer))


async def raises_stop():
    raise StopIteration("in coroutine")


async def agen_raises_stop_async():
    yield 1
    raise StopAsyncIteration("in agen")


async def agen_raises_stop():
    yield 1
    raise StopIteration("in agen")


@types.coroutine
def gen_raises_stop():
    yield from ()
    raise StopIteration("in generator")


async def awaits_raising(what):
    if what == "coroutine":
        return await raises_stop()
    if what == "generator":
        return await gen_raises_stop()
    if what == "agen StopIteration":
        return [x async for x in agen_raises_stop()]
    return [x async for x in agen_raises_stop_async()]


for what in ("coroutine", "generator", "agen StopIteration", "agen StopAsyncIteration"):
    show(f"raised inside {what}", lambda what=what: awaits_raising(what))

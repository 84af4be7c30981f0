"""A synchronous `__anext__` (or `__aiter__`) that raises StopIteration: it propagates from the
`async for` (a RuntimeError where the coroutine's boundary converts it); the loop does not end
and its `else` does not run. StopAsyncIteration from `__anext__()` itself does end the loop.
"""


class SyncNext:
    def __init__(self, error, waits=False):
        self.error = error
        self.waits = waits
        self.steps = 0

    def __aiter__(self):
        return self

    def __anext__(self):
        self.steps += 1
        if self.steps == 1:
            return Item(self.waits)
        raise self.error


class Item:
    def __init__(self, waits):
        self.waits = waits

    def __await__(self):
        if self.waits:  # (the step before waits: the loop's next step is taken after a wait)
            yield "a wait"
        return "first"


class IterRaises:
    def __aiter__(self):
        raise StopIteration("from __aiter__")


def for_case(make, comp=False):
    async def case():
        got = []
        if comp:
            return [x async for x in make()]
        async for x in make():
            got.append(x)
        else:
            got.append("else ran")
        return got

    return case


async def catches(it):
    got = []
    try:
        async for x in it:
            got.append(x)
        else:
            got.append("else ran")
    except StopIteration as error:
        return ("caught", got, describe(error))


async def agen_loop(it):
    async for x in it:
        yield x


async def drains_agen(it):
    return [x async for x in agen_loop(it)]


for waits in (False, True):
    for comp in (False, True):
        for error in (StopIteration("sync"), StopAsyncIteration("sync"), ValueError("sync")):
            show(f"{error!r} waits={waits} comp={comp}",
                 for_case(lambda: SyncNext(error, waits), comp))
    show(f"caught in the coroutine waits={waits}", lambda: catches(SyncNext(StopIteration("sync"), waits)))
    show(f"through an async generator waits={waits}",
         lambda: drains_agen(SyncNext(StopIteration("sync"), waits)))
show("__aiter__ raises StopIteration", for_case(IterRaises))
show("__aiter__ raises StopIteration, comprehension", for_case(IterRaises, comp=True))

"""`async for` over async generators, step by step: items, waits mid-step, misuse, hooks, cancellation."""
import asyncio, sys

log = []

async def counted(n, wait=False):
    for i in range(n):
        if wait:
            await asyncio.sleep(0)  # a step that waits before its item
        yield i

async def consumer_of(g):
    return [x async for x in g]

async def running_flag():
    g = counted(3, wait=True)
    seen = []
    async def other():
        seen.append(g.ag_running)
        try:
            await g.__anext__()
        except RuntimeError as e:
            seen.append(str(e))
    async def first():
        async for x in g:
            seen.append(("item", x, g.ag_running))
            break
    t = asyncio.ensure_future(first())
    await asyncio.sleep(0)  # first() is mid-step: the generator awaits
    await other()
    await t
    print("running", seen)
    await g.aclose()

async def raising():
    async def stops():
        yield 1
        raise StopIteration("inside")
    try:
        async for x in stops():
            log.append(x)
    except RuntimeError as e:
        print("StopIteration ->", type(e).__name__, e, type(e.__cause__).__name__)
    async def stops_async():
        yield 1
        raise StopAsyncIteration("inside")
    try:
        async for x in stops_async():
            log.append(x)
    except RuntimeError as e:
        print("StopAsyncIteration ->", type(e).__name__, e, type(e.__cause__).__name__)
    async def fails(wait):
        yield 1
        if wait:
            await asyncio.sleep(0)
        raise KeyError("k")
    for wait in (False, True):
        try:
            try:
                raise ValueError("outer")
            except ValueError:
                async for x in fails(wait):
                    log.append(x)
        except KeyError as e:
            print("KeyError", wait, repr(e.__context__))

async def exhausted():
    g = counted(2)
    print("first", [x async for x in g])
    print("again", [x async for x in g])
    async def empty():
        return
        yield
    e = empty()
    print("empty", [x async for x in e], e.ag_frame is None)
    try:
        await e.__anext__()
    except StopAsyncIteration:
        print("empty: StopAsyncIteration again")

async def cancelled_mid_step():
    ev = asyncio.Event()
    async def slow():
        try:
            yield 1
            await ev.wait()
            yield 2
        finally:
            log.append("slow finally")
    g = slow()
    async def consume():
        async for x in g:
            log.append(("got", x))
    t = asyncio.ensure_future(consume())
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    print("before cancel", g.ag_running, log[-1:])
    t.cancel()
    try:
        await t
    except asyncio.CancelledError:
        print("consumer cancelled", g.ag_running, g.ag_frame is None)
    try:
        await g.__anext__()
    except StopAsyncIteration:
        print("after cancel: StopAsyncIteration")

async def sends_into_steps():
    async def echo():
        received = []
        while len(received) < 3:
            v = yield len(received)
            received.append(v)
        yield received
    g = echo()
    print("asend", await g.asend(None), await g.asend("a"), await g.asend("b"), await g.asend("c"))
    async def pumping():
        async for x in echo():
            if isinstance(x, list):
                return x
    print("async for sends None", await pumping())

async def in_async_generator():
    async def outer():
        async for x in counted(3, wait=True):
            yield x * 10
        async for x in counted(2):
            yield x
    print("nested", [x async for x in outer()])

def hooks():
    calls = []
    def firstiter(agen):
        calls.append(("firstiter", agen.__qualname__))
    def finalizer(agen):
        calls.append(("finalizer", agen.__qualname__))
    async def main():
        old = sys.get_asyncgen_hooks()
        sys.set_asyncgen_hooks(firstiter=firstiter, finalizer=finalizer)
        try:
            g = counted(3)
            async for x in g:
                if x == 1:
                    break
            async for x in counted(2):
                pass
            del g
            import gc; gc.collect()
        finally:
            sys.set_asyncgen_hooks(*old)
    asyncio.run(main())
    print("hooks", calls)

class Countdown:
    """An async iterator whose __anext__ itself raises (no awaitable) at the end, or fails."""
    def __init__(self, n, fail=False):
        self.n, self.fail = n, fail
    def __aiter__(self):
        return self
    def __anext__(self):
        if self.n == 0:
            if self.fail:
                raise KeyError("from __anext__")
            raise StopAsyncIteration
        self.n -= 1
        return asyncio.sleep(0, self.n)

async def iterators():
    print("countdown", [x async for x in Countdown(3)])
    async for x in Countdown(0):
        print("never")
    else:
        print("countdown else")
    try:
        async for x in Countdown(2, fail=True):
            log.append(("countdown", x))
    except KeyError as e:
        print("countdown failed", e)

async def main():
    await iterators()
    print("plain", await consumer_of(counted(4)), await consumer_of(counted(4, wait=True)))
    total = 0
    async for x in counted(5, wait=True):
        total += x
    print("total", total)
    await running_flag()
    await raising()
    await exhausted()
    await cancelled_mid_step()
    await sends_into_steps()
    await in_async_generator()
    print("log", log)

asyncio.run(main())
hooks()

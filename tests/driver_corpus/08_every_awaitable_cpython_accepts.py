"""Every awaitable CPython accepts, and CPython's errors for those it refuses."""
import asyncio, types

@types.coroutine
def bare(value):
    got = yield
    return value, got

class AwaitIter:
    def __init__(self, n): self.n = n
    def __await__(self):
        return iter([None] * self.n)

class AwaitGen:
    def __await__(self):
        yield
        return "from __await__ generator"

class AwaitFuture:
    def __await__(self):
        return asyncio.sleep(0, "slept").__await__()

class ReturnsCoroutine:
    def __await__(self):
        return asyncio.sleep(0)

class ReturnsInt:
    def __await__(self):
        return 42

class ReturnsList:
    def __await__(self):
        return [1, 2]

class InstanceOnly:
    pass

async def coro():
    return "coro"

async def main():
    print(await bare(1))
    print(await AwaitIter(3))
    print(await AwaitGen())
    print(await AwaitFuture())
    loop = asyncio.get_running_loop()
    fut = loop.create_future()
    loop.call_soon(fut.set_result, "future")
    print(await fut)
    task = asyncio.ensure_future(coro())
    print(await task, await task)
    c = coro()
    print(await c)
    for bad in (lambda: c, lambda: ReturnsCoroutine(), lambda: ReturnsInt(), lambda: ReturnsList(), lambda: 3, lambda: None, lambda: coro, lambda: InstanceOnly()):
        thing = bad()
        if isinstance(thing, InstanceOnly):
            thing.__await__ = lambda: iter([])
        try:
            await thing
        except (TypeError, RuntimeError) as e:
            print(type(e).__name__, e)
    # awaiting a coroutine that another task is awaiting
    inner = asyncio.sleep(0.01)
    async def first():
        return await inner
    t = asyncio.ensure_future(first())
    await asyncio.sleep(0)
    try:
        await inner
    except RuntimeError as e:
        print("RuntimeError", e)
    await t
    # a coroutine that raises StopIteration
    async def stops():
        raise StopIteration("x")
    try:
        await stops()
    except RuntimeError as e:
        print("RuntimeError", e, type(e.__cause__).__name__)
    # an async generator's asend/athrow reuse and "already running"
    async def agen():
        yield 1
        yield 2
    g = agen()
    a = g.asend(None)
    print(await a)
    try:
        await a
    except RuntimeError as e:
        print("RuntimeError", e)
    t = g.athrow(KeyError)
    try:
        await t
    except KeyError:
        print("athrow raised KeyError")
    try:
        await t
    except RuntimeError as e:
        print("RuntimeError", e)
    try:
        await g.asend("x")
    except StopAsyncIteration:
        print("StopAsyncIteration after the generator finished")

asyncio.run(main())

"""Async generators: break, aclose (also from another task), exception leaving async for, shutdown_asyncgens, misuse errors."""
import asyncio, gc, weakref, contextlib, inspect
log = []
async def agen(name):
    try:
        for i in range(3):
            await asyncio.sleep(0)
            yield i
    finally:
        log.append(f"{name} finally")
        await asyncio.sleep(0)
        log.append(f"{name} finally after await")
async def self_anext():
    g = None
    async def inner():
        yield 1
        await g.__anext__()
        yield 2
    g = inner()
    await g.__anext__()
    try:
        await g.__anext__()
    except RuntimeError as e:
        print("self", e)
async def main():
    g = agen("a")
    print(type(g).__name__, repr(g).split(" at ")[0], inspect.isasyncgen(g), g.ag_running, g.ag_frame is not None)
    async for x in g:
        break
    log.append("after break")
    await g.aclose()
    log.append("after aclose")
    # exception leaving async for: finalization timing
    try:
        async for x in agen("b"):
            raise ValueError
    except ValueError:
        log.append("caught")
    await asyncio.sleep(0); await asyncio.sleep(0); await asyncio.sleep(0)
    log.append("slept")
    # aclose from another task
    g = agen("c")
    await g.__anext__()
    await asyncio.create_task(g.aclose())
    log.append("closed from task")
    # lost while suspended: finalized through asyncio's finalizer hook (an aclose task)
    g = agen("gc")
    await g.__anext__()
    del g
    gc.collect()
    await asyncio.sleep(0); await asyncio.sleep(0); await asyncio.sleep(0)
    log.append("after gc")
    # an exception raised in finally while closed from another task
    async def bad_finally():
        try:
            yield 1
        finally:
            await asyncio.sleep(0)
            raise KeyError("in finally")
    g = bad_finally()
    await g.__anext__()
    try:
        await asyncio.create_task(g.aclose())
    except KeyError as e:
        log.append(("aclose raised", repr(e), type(e.__context__).__name__))
    # left unfinished: shutdown_asyncgens
    global keep
    keep = agen("d")
    await keep.__anext__()
    await self_anext()
    # AsyncExitStack
    async with contextlib.AsyncExitStack() as stack:
        @contextlib.asynccontextmanager
        async def cm(n):
            try:
                yield n
            finally:
                log.append(f"cm {n} exit")
        await stack.enter_async_context(cm(1))
        await stack.enter_async_context(cm(2))
    try:
        async with contextlib.AsyncExitStack() as stack:
            @contextlib.asynccontextmanager
            async def bad():
                try:
                    yield
                finally:
                    raise KeyError("bad")
            await stack.enter_async_context(bad())
            raise ValueError("body")
    except KeyError as e:
        print("stack", repr(e), repr(e.__context__))
    # asend / athrow errors
    g = agen("e")
    a = g.asend(None)
    await a
    try:
        await a
    except RuntimeError as e:
        print("reuse", e)
    t = g.athrow(ValueError)
    try:
        await t
    except ValueError:
        print("athrow raised")
    try:
        await t
    except RuntimeError as e:
        print("athrow reuse", e)
    try:
        for x in agen("f"):
            pass
    except TypeError as e:
        print(e)
asyncio.run(main())
print(log)

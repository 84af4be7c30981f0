"""__aexit__ and finally during cancellation and close: contexts, causes, suppression, tracebacks."""
import asyncio, contextlib, inspect

class Manager:
    def __init__(self, name, suppress=False, raise_in_exit=None, await_in_exit=True):
        self.name, self.suppress, self.raise_in_exit, self.await_in_exit = name, suppress, raise_in_exit, await_in_exit
    async def __aenter__(self):
        await asyncio.sleep(0)
        return self.name
    async def __aexit__(self, typ, val, tb):
        print(self.name, "exit", typ.__name__ if typ else None, repr(val), [frame for frame in frames(val)] if val else None)
        if self.await_in_exit:
            await asyncio.sleep(0)
        if self.raise_in_exit:
            raise self.raise_in_exit
        return self.suppress

async def body(mgr):
    async with mgr as name:
        try:
            await asyncio.sleep(10)
        finally:
            print(name, "finally")
            await asyncio.sleep(0)
            print(name, "finally after await")

async def run(mgr):
    t = asyncio.ensure_future(body(mgr))
    await asyncio.sleep(0.01)
    t.cancel()
    try:
        print("result", await t)
    except BaseException as e:
        print("raised", chain(e))

async def main():
    await run(Manager("plain"))
    await run(Manager("suppressing", suppress=True))
    await run(Manager("raising", raise_in_exit=KeyError("exit")))
    try:
        async with Manager("outer"):
            async with Manager("inner", raise_in_exit=ValueError("inner exit")):
                raise LookupError("body")
    except BaseException as e:
        print("nested", chain(e))
    try:
        async with Manager("from", raise_in_exit=None):
            try:
                await asyncio.sleep(0)
                raise KeyError("k")
            except KeyError as e:
                raise ValueError("converted") from e
    except ValueError as e:
        print("from", chain(e))
    try:
        async with Manager("none-from"):
            try:
                raise KeyError("k")
            except KeyError:
                raise ValueError("suppressed context") from None
    except ValueError as e:
        print("from None", chain(e))
    async def closing():
        async with contextlib.AsyncExitStack() as stack:
            stack.push_async_callback(lambda: asyncio.sleep(0))
            await asyncio.sleep(10)
    c = closing()
    c.send(None)
    try:
        c.close()  # the exit stack's callback awaits while the coroutine is closed
    except RuntimeError as e:
        print("close:", chain(e))
    print("after close", inspect.getcoroutinestate(c), c.cr_frame.f_lineno)

asyncio.run(main())

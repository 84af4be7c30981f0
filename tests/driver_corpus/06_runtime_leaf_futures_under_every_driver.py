"""The runtime's own leaf futures (yield_now, sleep, join, select, timeout, a thread waker) under block_on, asyncio and trio; asyncio awaitables under block_on get a clear error."""
import trio, asyncio, threading
from desugar.runtime import yield_now, sleep, join, select, timeout, Future, Pending, Ready, block_on, spawn
class ThreadWoken(Future):
    def __init__(self): self.done = False; self.started = False
    def poll(self, cx):
        if self.done: return Ready("from thread")
        if not self.started:
            self.started = True
            w = cx.waker().clone()
            def bg():
                import time; time.sleep(0.01); self.done = True; w.wake()
            threading.Thread(target=bg).start()
        return Pending
async def work(name, n):
    for i in range(n):
        await yield_now()
    await sleep(0.005)
    return f"{name}{n}"
async def main():
    r = await join(work("a", 2), work("b", 1))
    s = await select(sleep(1), work("c", 0))
    t = await ThreadWoken()
    try:
        await timeout(sleep(1), 0.01)
    except TimeoutError as e:
        te = str(e)
    return r, s, t, te
print("block_on", block_on(main()))
print("asyncio", asyncio.run(main()))
print("trio", trio.run(main))
async def under_asyncio_cancel():
    t = asyncio.ensure_future(main())
    await asyncio.sleep(0)
    t.cancel()
    try: await t
    except asyncio.CancelledError: print("cancelled ok")
asyncio.run(under_asyncio_cancel())
async def asyncio_in_block_on():
    await asyncio.sleep(0.01)
try:
    block_on(asyncio_in_block_on())
except RuntimeError as e:
    print(e, "| cause:", e.__cause__)
async def fut_in_block_on():
    await asyncio.Future()
try:
    block_on(fut_in_block_on())
except RuntimeError as e:
    print(e)

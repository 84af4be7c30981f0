import asyncio

log = []


def callback(label):
    log.append(f"callback {label}")


async def coro(name):
    for i in range(3):
        log.append(f"{name} step {i}")
        await asyncio.sleep(0)


async def main():
    loop = asyncio.get_running_loop()
    loop.call_soon(callback, "soon-1")
    loop.call_later(0.02, callback, "later-20ms")
    loop.call_later(0.01, callback, "later-10ms")
    loop.call_soon(callback, "soon-2")
    handle = loop.call_soon(callback, "cancelled")
    handle.cancel()
    t = asyncio.create_task(coro("task"))
    loop.call_soon(callback, "soon-3")
    log.append("main before yield")
    await asyncio.sleep(0)
    log.append("main after first yield")
    await t
    await asyncio.sleep(0.05)
    log.append("main after sleep")
    fut = loop.create_future()
    loop.call_later(0.01, fut.set_result, "future value")
    log.append(f"awaited future: {await fut}")
    for line in log:
        print(line)


asyncio.run(main())

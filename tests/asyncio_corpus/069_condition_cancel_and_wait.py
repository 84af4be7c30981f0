import asyncio

log = []


async def waiter(name, cond):
    async with cond:
        try:
            await cond.wait()
            log.append(f"{name} notified, holds lock: {cond.locked()}")
        except asyncio.CancelledError:
            log.append(f"{name} cancelled in wait, reacquired lock: {cond.locked()}")
            raise


async def main():
    cond = asyncio.Condition()
    a = asyncio.create_task(waiter("a", cond))
    b = asyncio.create_task(waiter("b", cond))
    await asyncio.sleep(0)
    a.cancel()
    await asyncio.gather(a, return_exceptions=True)
    async with cond:
        cond.notify_all()
    await b
    log.append(f"a cancelled {a.cancelled()}, lock free {not cond.locked()}")
    for line in log:
        print(line)


asyncio.run(main())

import asyncio


async def consumer(name, cond, items, log):
    async with cond:
        log.append(f"{name} waiting")
        await cond.wait_for(lambda: items)
        item = items.pop(0)
        log.append(f"{name} took {item}")


async def main():
    cond = asyncio.Condition()
    items = []
    log = []
    consumers = [asyncio.create_task(consumer(f"c{i}", cond, items, log)) for i in range(3)]
    await asyncio.sleep(0)
    async with cond:
        items.append("x")
        cond.notify()
        log.append("notified one")
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    async with cond:
        items.extend(["y", "z"])
        cond.notify_all()
        log.append("notified all")
    await asyncio.gather(*consumers)
    for line in log:
        print(line)
    try:
        cond.notify()
    except RuntimeError as e:
        print("notify without lock:", e)


asyncio.run(main())

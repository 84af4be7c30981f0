import asyncio


async def waiter(name, event):
    print(name, "waiting; set =", event.is_set())
    await event.wait()
    print(name, "released")
    return name


async def main():
    event = asyncio.Event()
    tasks = [asyncio.create_task(waiter(n, event)) for n in "abc"]
    await asyncio.sleep(0)
    print("setting event")
    event.set()
    print("after set, before yield")
    print(await asyncio.gather(*tasks))
    print("already set wait returns:", await event.wait())
    event.clear()
    t = asyncio.create_task(waiter("d", event))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    print("d done?", t.done())
    event.set()
    await t
    try:
        await asyncio.wait_for(asyncio.Event().wait(), 0.01)
    except asyncio.TimeoutError:
        print("waiting on never-set event timed out")


asyncio.run(main())

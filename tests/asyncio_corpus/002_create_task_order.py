import asyncio


async def worker(name, steps):
    print(name, "started")
    for i in range(steps):
        await asyncio.sleep(0)
        print(name, "step", i)
    print(name, "done")
    return name.upper()


async def main():
    t1 = asyncio.create_task(worker("a", 2))
    t2 = asyncio.create_task(worker("b", 3))
    t3 = asyncio.create_task(worker("c", 1))
    print("tasks created, none started yet:", t1.done(), t2.done(), t3.done())
    await asyncio.sleep(0)
    print("after one yield")
    r1 = await t1
    print("t1 ->", r1)
    r2 = await t2
    r3 = await t3
    print("results", r1, r2, r3)
    print("all done", t1.done(), t2.done(), t3.done())


asyncio.run(main())

# requires: 3.11 (asyncio.TaskGroup)
import asyncio


async def fetch(name, yields):
    print("fetch start", name)
    for _ in range(yields):
        await asyncio.sleep(0)
    print("fetch end", name)
    return name.upper()


async def main():
    async with asyncio.TaskGroup() as tg:
        t1 = tg.create_task(fetch("a", 2))
        t2 = tg.create_task(fetch("b", 1))
        print("inside group body")
        t3 = tg.create_task(fetch("c", 0))
    print("group exited")
    print(t1.result(), t2.result(), t3.result())

    results = []

    async def spawn_more(tg, depth):
        results.append(depth)
        if depth < 3:
            tg.create_task(spawn_more(tg, depth + 1))
        await asyncio.sleep(0)

    async with asyncio.TaskGroup() as tg:
        tg.create_task(spawn_more(tg, 0))
    print("spawned from inside:", results)


asyncio.run(main())

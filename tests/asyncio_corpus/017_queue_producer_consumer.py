import asyncio


async def producer(q, name, items):
    for item in items:
        await q.put(f"{name}-{item}")
        print("put", name, item, "size", q.qsize())
    await q.put(None)
    print(name, "done producing")


async def consumer(q, producers):
    finished = 0
    got = []
    while finished < producers:
        item = await q.get()
        if item is None:
            finished += 1
            print("consumer saw end marker", finished)
            continue
        print("got", item)
        got.append(item)
    return got


async def main():
    q = asyncio.Queue(maxsize=2)
    c = asyncio.create_task(consumer(q, 2))
    await asyncio.gather(producer(q, "p", range(4)), producer(q, "r", range(3)))
    got = await c
    print("total", len(got), "empty", q.empty())


asyncio.run(main())

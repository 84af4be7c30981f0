import asyncio


async def main():
    pq = asyncio.PriorityQueue()
    for item in [(3, "three"), (1, "one"), (2, "two"), (1, "one-b")]:
        await pq.put(item)
    print("priority:", [await pq.get() for _ in range(pq.qsize())])
    lq = asyncio.LifoQueue()
    for i in range(4):
        lq.put_nowait(i)
    out = []
    while not lq.empty():
        out.append(await lq.get())
    print("lifo:", out)
    q = asyncio.Queue(maxsize=1)
    q.put_nowait("x")
    try:
        q.put_nowait("y")
    except asyncio.QueueFull:
        print("QueueFull; full() =", q.full())
    q.get_nowait()
    try:
        q.get_nowait()
    except asyncio.QueueEmpty:
        print("QueueEmpty")

    async def late_put():
        await asyncio.sleep(0)
        await pq.put((0, "late"))

    asyncio.create_task(late_put())
    print("waited get:", await pq.get())


asyncio.run(main())

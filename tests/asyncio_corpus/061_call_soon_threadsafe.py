import asyncio
import threading


async def main():
    loop = asyncio.get_running_loop()
    fut = loop.create_future()
    results = []

    def worker():
        results.append("thread working")
        loop.call_soon_threadsafe(fut.set_result, "from thread")

    th = threading.Thread(target=worker)
    th.start()
    value = await fut
    th.join()
    print(results, value)

    q = asyncio.Queue()

    def feeder():
        for i in range(5):
            loop.call_soon_threadsafe(q.put_nowait, i)
        loop.call_soon_threadsafe(q.put_nowait, None)

    threading.Thread(target=feeder).start()
    got = []
    while (item := await q.get()) is not None:
        got.append(item)
    print("from thread via queue:", got)

    cf = asyncio.run_coroutine_threadsafe(asyncio.sleep(0, "rct"), loop)
    print("run_coroutine_threadsafe future done?", cf.done())
    await asyncio.sleep(0.01)
    print("result:", cf.result())


asyncio.run(main())

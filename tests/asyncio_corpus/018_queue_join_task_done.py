import asyncio


async def worker(name, q, log):
    try:
        while True:
            item = await q.get()
            await asyncio.sleep(0)
            log.append(f"{name} processed {item}")
            q.task_done()
    except asyncio.CancelledError:
        log.append(f"{name} stopped")
        raise


async def main():
    q = asyncio.Queue()
    log = []
    for i in range(6):
        q.put_nowait(i)
    workers = [asyncio.create_task(worker(f"w{i}", q, log)) for i in range(2)]
    await q.join()
    log.append("join returned")
    print("unfinished processed count:", sum("processed" in line for line in log))
    for w in workers:
        w.cancel()
    res = await asyncio.gather(*workers, return_exceptions=True)
    print([type(r).__name__ for r in res])
    for line in log:
        print(line)
    try:
        q.task_done()
    except ValueError as e:
        print("extra task_done:", e)


asyncio.run(main())

import asyncio


async def getter(q, log):
    try:
        log.append("getter waiting on empty queue")
        item = await q.get()
        log.append(f"getter got {item}")
    except asyncio.CancelledError:
        log.append("getter cancelled in get()")
        raise
    finally:
        log.append("getter finally")


async def main():
    log = []
    q = asyncio.Queue()
    t = asyncio.create_task(getter(q, log))
    await asyncio.sleep(0)
    t.cancel()
    try:
        await t
    except asyncio.CancelledError:
        log.append("main: getter cancelled")
    q.put_nowait("after-cancel")
    log.append(f"item still in queue: {q.qsize()}")
    t2 = asyncio.create_task(getter(q, log))
    await t2
    q2 = asyncio.Queue(maxsize=1)
    q2.put_nowait(1)

    async def putter():
        try:
            await q2.put(2)
        except asyncio.CancelledError:
            log.append("putter cancelled in put()")
            raise

    t3 = asyncio.create_task(putter())
    await asyncio.sleep(0)
    t3.cancel()
    await asyncio.gather(t3, return_exceptions=True)
    log.append(f"q2 size {q2.qsize()}, get -> {q2.get_nowait()}")
    for line in log:
        print(line)


asyncio.run(main())

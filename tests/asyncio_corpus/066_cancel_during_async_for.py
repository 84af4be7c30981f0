import asyncio

log = []


async def source():
    try:
        i = 0
        while True:
            await asyncio.sleep(0)
            yield i
            i += 1
    except asyncio.CancelledError:
        log.append("source saw CancelledError")
        raise
    finally:
        log.append("source finally")


async def consumer():
    try:
        async for v in source():
            log.append(f"consumed {v}")
    except asyncio.CancelledError:
        log.append("consumer cancelled")
        raise
    finally:
        log.append("consumer finally")


async def main():
    t = asyncio.create_task(consumer())
    for _ in range(3):
        await asyncio.sleep(0)
    t.cancel()
    await asyncio.gather(t, return_exceptions=True)
    log.append(f"cancelled={t.cancelled()}")
    for line in log:
        print(line)


asyncio.run(main())

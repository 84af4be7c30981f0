import asyncio

log = []


async def child(name):
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        log.append(f"{name} cancelled")
        raise
    finally:
        log.append(f"{name} finally")


async def awaits_task(inner):
    try:
        await inner
    except asyncio.CancelledError:
        log.append("awaits_task cancelled")
        raise


async def awaits_gather():
    try:
        await asyncio.gather(child("g1"), child("g2"))
    except asyncio.CancelledError:
        log.append("awaits_gather cancelled")
        raise


async def main():
    inner = asyncio.create_task(child("inner"))
    outer = asyncio.create_task(awaits_task(inner))
    await asyncio.sleep(0)
    outer.cancel()
    await asyncio.gather(outer, return_exceptions=True)
    await asyncio.sleep(0)
    log.append(f"outer cancelled={outer.cancelled()} inner cancelled={inner.cancelled()}")
    inner.cancel()
    await asyncio.gather(inner, return_exceptions=True)

    g = asyncio.create_task(awaits_gather())
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    g.cancel()
    await asyncio.gather(g, return_exceptions=True)
    await asyncio.sleep(0)
    log.append(f"gather task cancelled={g.cancelled()}")
    for line in log:
        print(line)


asyncio.run(main())

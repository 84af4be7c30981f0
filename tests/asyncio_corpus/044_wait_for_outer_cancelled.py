import asyncio

log = []


async def inner():
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        log.append("inner cancelled")
        raise
    finally:
        log.append("inner finally")


async def outer():
    try:
        await asyncio.wait_for(inner(), timeout=5)
    except asyncio.CancelledError:
        log.append("outer cancelled (not TimeoutError)")
        raise


async def main():
    t = asyncio.create_task(outer())
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    t.cancel()
    try:
        await t
    except asyncio.CancelledError:
        log.append("main: outer task cancelled")
    for line in log:
        print(line)


asyncio.run(main())

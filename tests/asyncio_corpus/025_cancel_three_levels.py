import asyncio

log = []


async def level3():
    try:
        log.append("level3 sleeping")
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        log.append("level3 except CancelledError")
        raise
    finally:
        log.append("level3 finally")


async def level2():
    try:
        await level3()
    except asyncio.CancelledError:
        log.append("level2 except CancelledError")
        raise
    finally:
        log.append("level2 finally")


async def level1():
    try:
        await level2()
        log.append("level1 not reached")
    except asyncio.CancelledError:
        log.append("level1 except CancelledError")
        raise
    finally:
        log.append("level1 finally")


async def main():
    t = asyncio.create_task(level1())
    await asyncio.sleep(0)
    log.append("main cancelling")
    t.cancel()
    try:
        await t
    except asyncio.CancelledError:
        log.append("main saw task cancelled")
    log.append(f"cancelled={t.cancelled()}")
    for line in log:
        print(line)


asyncio.run(main())

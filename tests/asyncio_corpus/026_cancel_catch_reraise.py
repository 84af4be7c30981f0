import asyncio


async def stubborn(log):
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError as e:
        log.append(f"caught CancelledError args={e.args}")
        await asyncio.sleep(0)
        log.append("cleanup awaited after catching")
        raise
    log.append("not reached")


async def swallower(log):
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        log.append("swallowed cancellation")
    return "kept going"


async def main():
    log = []
    t = asyncio.create_task(stubborn(log))
    await asyncio.sleep(0)
    t.cancel("stop please")
    try:
        await t
    except asyncio.CancelledError as e:
        log.append(f"main: task cancelled, args={e.args}")
    t2 = asyncio.create_task(swallower(log))
    await asyncio.sleep(0)
    t2.cancel()
    r = await t2
    log.append(f"swallower returned {r!r}, cancelled={t2.cancelled()}")
    for line in log:
        print(line)


asyncio.run(main())

import asyncio

log = []


async def resource(name):
    log.append(f"{name} open")
    try:
        await asyncio.sleep(10)
    finally:
        log.append(f"{name} closing (awaits)")
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        log.append(f"{name} closed")


async def holder():
    try:
        await resource("outer-res")
    finally:
        log.append("holder finally start")
        await asyncio.sleep(0)
        log.append("holder finally end")


async def ticker():
    for i in range(6):
        log.append(f"tick {i}")
        await asyncio.sleep(0)


async def main():
    t = asyncio.create_task(holder())
    bg = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    t.cancel()
    log.append("cancel requested")
    try:
        await t
    except asyncio.CancelledError:
        log.append("holder cancelled after cleanup")
    await bg
    for line in log:
        print(line)


asyncio.run(main())

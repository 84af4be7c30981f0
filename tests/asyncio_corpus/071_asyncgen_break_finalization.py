import asyncio

log = []


async def stream(name):
    try:
        for i in range(100):
            yield i
            await asyncio.sleep(0)
    finally:
        log.append(f"{name} finally")


async def main():
    async for v in stream("broken"):
        log.append(f"got {v}")
        if v == 1:
            break
    log.append("after break")
    for i in range(3):
        await asyncio.sleep(0)
        log.append(f"main yield {i}")
    for line in log:
        print(line)


asyncio.run(main())

import asyncio

log = []


async def ticker(name, n):
    for i in range(n):
        log.append(f"{name} yields {i}")
        yield i
        await asyncio.sleep(0)
    log.append(f"{name} exhausted")


async def background():
    for i in range(4):
        log.append(f"background tick {i}")
        await asyncio.sleep(0)


async def consume():
    total = 0
    async for value in ticker("gen", 4):
        log.append(f"consumer got {value}")
        total += value
    return total


async def main():
    bg = asyncio.create_task(background())
    total = await consume()
    await bg
    squares = [v * v async for v in ticker("comp", 3)]
    log.append(f"total {total}, squares {squares}")
    for line in log:
        print(line)


asyncio.run(main())

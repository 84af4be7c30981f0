import asyncio

log = []


async def runner(name, n):
    for i in range(n):
        log.append(f"{name}{i}")
        await asyncio.sleep(0)
    log.append(f"{name}-end")


async def nested(name, n):
    await runner(name, n)
    await asyncio.sleep(0)
    log.append(f"{name}-nested-end")


async def main():
    await asyncio.gather(runner("a", 3), runner("b", 2), nested("c", 2), runner("d", 4))
    print(" ".join(log))


asyncio.run(main())

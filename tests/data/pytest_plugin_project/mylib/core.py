import asyncio

LOG = []


async def fetch(x):
    await asyncio.sleep(0.001)
    return x * 2


async def stream(n):
    for i in range(n):
        await asyncio.sleep(0)
        yield i

import asyncio

log = []


class Countdown:
    def __init__(self, start):
        self.n = start

    def __aiter__(self):
        return self

    async def __anext__(self):
        await asyncio.sleep(0)
        if self.n <= 0:
            raise StopAsyncIteration
        self.n -= 1
        return self.n + 1


async def other():
    for i in range(3):
        log.append(f"other {i}")
        await asyncio.sleep(0)


async def main():
    t = asyncio.create_task(other())
    async for n in Countdown(3):
        log.append(f"countdown {n}")
    else:
        log.append("for-else ran")
    await t
    async for n in Countdown(5):
        if n == 3:
            break
        log.append(f"second {n}")
    print("\n".join(log))


asyncio.run(main())

import asyncio


class Ticket:
    def __init__(self, value):
        self.value = value

    def __await__(self):
        loop = asyncio.get_running_loop()
        fut = loop.create_future()
        loop.call_soon(fut.set_result, self.value * 2)
        result = yield from fut
        yield from asyncio.sleep(0).__await__()
        return result + 1


class Immediate:
    def __await__(self):
        return iter(())


async def main():
    print("custom awaitable:", await Ticket(20))
    results = await asyncio.gather(Ticket(1), Ticket(2))
    print("gathered custom:", results)
    r = await Immediate()
    print("immediate awaitable:", r)
    t = asyncio.ensure_future(Ticket(5))
    print("ensure_future of awaitable:", await t)


asyncio.run(main())

import asyncio


class Custom(Exception):
    pass


async def value(v):
    await asyncio.sleep(0)
    return v


async def fail(exc):
    await asyncio.sleep(0)
    raise exc


async def main():
    results = await asyncio.gather(
        value(1), fail(KeyError("k")), value("two"), fail(Custom("c", 2)), return_exceptions=True
    )
    for r in results:
        if isinstance(r, BaseException):
            print("exception", type(r).__name__, r.args)
        else:
            print("value", r)

    async def sleeper():
        await asyncio.sleep(10)

    t = asyncio.create_task(sleeper())
    await asyncio.sleep(0)
    t.cancel()
    results = await asyncio.gather(t, value(3), return_exceptions=True)
    print([type(r).__name__ for r in results])


asyncio.run(main())

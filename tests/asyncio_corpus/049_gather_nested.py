import asyncio


async def leaf(x):
    await asyncio.sleep(0)
    return x


async def pair(a, b):
    return await asyncio.gather(leaf(a), leaf(b))


async def fails_later():
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    raise EOFError("nested fail")


async def main():
    result = await asyncio.gather(pair(1, 2), pair(3, 4), asyncio.gather(leaf(5), pair(6, 7)))
    print(result)
    inner = asyncio.gather(leaf("i"), fails_later(), return_exceptions=True)
    outer = await asyncio.gather(inner, leaf("o"))
    print([[type(x).__name__ if isinstance(x, BaseException) else x for x in outer[0]], outer[1]])
    try:
        await asyncio.gather(leaf(1), asyncio.gather(fails_later()))
    except EOFError as e:
        print("propagated through two gathers:", e)


asyncio.run(main())

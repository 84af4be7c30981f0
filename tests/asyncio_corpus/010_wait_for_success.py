import asyncio


async def compute(x):
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    print("computed", x)
    return x * x


async def main():
    r = await asyncio.wait_for(compute(3), timeout=5)
    print("wait_for ->", r)
    r = await asyncio.wait_for(compute(4), timeout=None)
    print("wait_for no timeout ->", r)
    t = asyncio.create_task(compute(5))
    r = await asyncio.wait_for(t, 5)
    print("wait_for task ->", r, t.done())

    async def boom():
        await asyncio.sleep(0)
        raise OSError("boom")

    try:
        await asyncio.wait_for(boom(), 5)
    except OSError as e:
        print("wait_for propagated", e)


asyncio.run(main())

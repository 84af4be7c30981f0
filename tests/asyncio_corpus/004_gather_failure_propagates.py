import asyncio


async def ok(name, yields):
    try:
        for _ in range(yields):
            await asyncio.sleep(0)
        print("ok finished", name)
        return name
    except asyncio.CancelledError:
        print("ok cancelled", name)
        raise


async def bad(yields):
    for _ in range(yields):
        await asyncio.sleep(0)
    print("bad raising")
    raise ValueError("bad value")


async def main():
    t_ok = asyncio.create_task(ok("long", 5))
    try:
        await asyncio.gather(ok("short", 0), bad(1), t_ok)
    except ValueError as e:
        print("gather raised", type(e).__name__, e)
    print("long task still running:", not t_ok.done())
    print("long task result:", await t_ok)


asyncio.run(main())

import asyncio


async def fails():
    await asyncio.sleep(0)
    raise PermissionError("inner failed")


async def main():
    try:
        await asyncio.shield(fails())
    except PermissionError as e:
        print("shield passes inner exception:", e)

    inner = asyncio.create_task(fails())
    outer = asyncio.shield(inner)
    outer.cancel()
    try:
        await outer
    except asyncio.CancelledError:
        print("outer shield future cancelled")
    try:
        await inner
    except PermissionError as e:
        print("inner still ran and failed:", e)

    async def ok():
        await asyncio.sleep(0.01)
        return "shielded ok"

    try:
        r = await asyncio.wait_for(asyncio.shield(t := asyncio.create_task(ok())), 0.001)
    except asyncio.TimeoutError:
        print("wait_for timed out around shield")
    print("shielded task result:", await t)


asyncio.run(main())

import asyncio


async def child(name):
    try:
        print(name, "waiting")
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        print(name, "got CancelledError")
        raise
    finally:
        print(name, "finally")


async def main():
    g = asyncio.gather(child("x"), child("y"), child("z"))
    await asyncio.sleep(0)
    print("cancelling gather:", g.cancel())
    try:
        await g
    except asyncio.CancelledError:
        print("outer await saw CancelledError")
    print("gather cancelled:", g.cancelled())


asyncio.run(main())

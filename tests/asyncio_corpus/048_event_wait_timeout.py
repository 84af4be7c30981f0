import asyncio
import sys


async def setter(event, delay):
    await asyncio.sleep(delay)
    event.set()
    print("event set")


async def main():
    event = asyncio.Event()
    try:
        await asyncio.wait_for(event.wait(), timeout=0.01)
        print("not reached")
    except asyncio.TimeoutError:
        print("timed out waiting, is_set:", event.is_set())
    asyncio.create_task(setter(event, 0.005))
    ok = await asyncio.wait_for(event.wait(), timeout=5)
    print("wait returned", ok)
    if sys.version_info >= (3, 11):  # asyncio.timeout is new in 3.11
        try:
            async with asyncio.timeout(0.01):
                await asyncio.Event().wait()
        except TimeoutError:
            print("asyncio.timeout around Event.wait")


asyncio.run(main())

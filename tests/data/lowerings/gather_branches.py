"""Two branches under asyncio.gather; the second fails two awaits down."""

import asyncio


async def fail():
    await asyncio.sleep(0)
    raise ValueError("branch failed")


async def branch():
    return await fail()


async def fine():
    await asyncio.sleep(0)
    return 1


async def main():
    try:
        await asyncio.gather(fine(), branch())
    except ValueError as error:
        print("gather:", error)
        raise


asyncio.run(main())

# requires: 3.11 (asyncio.timeout)
import asyncio


async def work(label):
    try:
        await asyncio.sleep(10)
    finally:
        print(label, "cleanup")


async def main():
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(0.05) as outer:
            try:
                async with asyncio.timeout(0.01) as inner:
                    await work("inner")
            except TimeoutError:
                print("inner timeout; inner expired", inner.expired(), "outer expired", outer.expired())
            await work("outer")
    except TimeoutError:
        print("outer timeout; outer expired", outer.expired())

    try:
        async with asyncio.timeout_at(loop.time() + 0.01):
            await work("timeout_at")
    except TimeoutError:
        print("timeout_at fired")

    try:
        async with asyncio.timeout(1):
            raise ValueError("not a timeout")
    except ValueError as e:
        print("other error passes through:", e)


asyncio.run(main())

import asyncio
import concurrent.futures
import functools


def square(x):
    return x * x


def explode(msg):
    raise RuntimeError(msg)


async def main():
    loop = asyncio.get_running_loop()
    r = await loop.run_in_executor(None, square, 9)
    print("default executor:", r)
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        futs = [loop.run_in_executor(pool, square, i) for i in range(5)]
        print("pool results:", await asyncio.gather(*futs))
        r = await loop.run_in_executor(pool, functools.partial(pow, 2, 10))
        print("partial:", r)
        try:
            await loop.run_in_executor(pool, explode, "executor failure")
        except RuntimeError as e:
            print("caught:", e)


asyncio.run(main())

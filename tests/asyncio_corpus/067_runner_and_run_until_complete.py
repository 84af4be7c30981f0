import asyncio
import sys


async def compute(x):
    await asyncio.sleep(0)
    return x + 1


if sys.version_info >= (3, 11):  # asyncio.Runner is new in 3.11
    with asyncio.Runner() as runner:
        print("runner 1:", runner.run(compute(1)))
        print("runner 2:", runner.run(compute(2)))

loop = asyncio.new_event_loop()
try:
    print("run_until_complete:", loop.run_until_complete(compute(10)))
    task = loop.create_task(compute(20))
    print("task via loop:", loop.run_until_complete(task))
finally:
    loop.close()


async def main():
    return await compute(100)


print("asyncio.run:", asyncio.run(main()))

import asyncio


async def add(a, b):
    await asyncio.sleep(0)
    return a + b


async def chain(n):
    total = 0
    for i in range(n):
        total = await add(total, i)
        print("step", i, total)
    return total


async def main():
    print("main start")
    result = await chain(4)
    print("chain ->", result)
    return result * 10


value = asyncio.run(main())
print("asyncio.run returned", value)
value = asyncio.run(chain(2))
print("second run returned", value)

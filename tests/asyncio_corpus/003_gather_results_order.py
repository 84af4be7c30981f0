import asyncio


async def job(name, yields):
    for _ in range(yields):
        await asyncio.sleep(0)
    print("finished", name)
    return f"{name}:{yields}"


async def main():
    results = await asyncio.gather(job("slow", 4), job("fast", 0), job("mid", 2))
    print("results in argument order:", results)
    empty = await asyncio.gather()
    print("empty gather:", empty)
    t = asyncio.create_task(job("task", 1))
    mixed = await asyncio.gather(t, job("coro", 1))
    print("mixed:", mixed)


asyncio.run(main())

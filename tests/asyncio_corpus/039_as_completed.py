import asyncio


async def delayed(name, delay):
    await asyncio.sleep(delay)
    return name


async def failing(delay):
    await asyncio.sleep(delay)
    raise ValueError("failed one")


async def main():
    aws = [delayed("slow", 0.03), delayed("fast", 0.0), delayed("medium", 0.015)]
    for fut in asyncio.as_completed(aws):
        print("completed:", await fut)
    for fut in asyncio.as_completed([delayed("ok", 0), failing(0.01)]):
        try:
            print("got", await fut)
        except ValueError as e:
            print("error", e)
    try:
        for fut in asyncio.as_completed([delayed("never", 10)], timeout=0.01):
            await fut
    except asyncio.TimeoutError:
        print("as_completed timeout")


asyncio.run(main())

import asyncio
import traceback

OWN = {"main", "worker", "step_two", "step_one", "supervisor"}


async def step_one():
    await asyncio.sleep(0)
    raise ConnectionResetError("peer reset")


async def step_two():
    try:
        await step_one()
    except ConnectionResetError as e:
        raise RuntimeError("worker failed") from e


async def worker():
    await step_two()


async def supervisor():
    t = asyncio.create_task(worker())
    await asyncio.wait([t])
    return t.exception()


def names(e):
    return [f.name for f in traceback.extract_tb(e.__traceback__) if f.name in OWN]


async def main():
    e = await supervisor()
    print("exception:", type(e).__name__, e)
    print("frames:", names(e))
    print("cause:", type(e.__cause__).__name__, e.__cause__)
    print("cause frames:", names(e.__cause__))
    lines = traceback.format_exception(e)
    print("format mentions cause:", any("direct cause" in line for line in lines))


asyncio.run(main())

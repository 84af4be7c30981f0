import asyncio
import traceback

OWN = {"main", "outer", "inner", "innermost", "run_in_task", "helper"}


def helper():
    raise LookupError("deep")


async def innermost():
    await asyncio.sleep(0)
    helper()


async def inner():
    await innermost()


async def outer():
    await inner()


async def run_in_task():
    return await asyncio.create_task(outer())


def names(e):
    return [f.name for f in traceback.extract_tb(e.__traceback__) if f.name in OWN]


async def main():
    try:
        await outer()
    except LookupError as e:
        print("direct:", names(e))
    try:
        await run_in_task()
    except LookupError as e:
        print("via task:", names(e))
    try:
        await asyncio.gather(outer())
    except LookupError as e:
        print("via gather:", names(e))


asyncio.run(main())

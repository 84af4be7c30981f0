import asyncio


async def low():
    await asyncio.sleep(0)
    raise KeyError("missing")


async def middle():
    try:
        await low()
    except KeyError as e:
        raise ValueError("converted") from e


async def during_except():
    try:
        await low()
    except KeyError:
        await asyncio.sleep(0)
        raise RuntimeError("while handling")


async def suppressed():
    try:
        await low()
    except KeyError:
        raise TypeError("no context") from None


def describe(e):
    print("  exc:", type(e).__name__, e)
    print("  cause:", type(e.__cause__).__name__ if e.__cause__ else None)
    print("  context:", type(e.__context__).__name__ if e.__context__ else None)
    print("  suppress_context:", e.__suppress_context__)


async def main():
    for fn in (middle, during_except, suppressed):
        print(fn.__name__)
        try:
            await fn()
        except Exception as e:
            describe(e)
    t = asyncio.create_task(middle())
    try:
        await t
    except ValueError as e:
        print("from task")
        describe(e)


asyncio.run(main())

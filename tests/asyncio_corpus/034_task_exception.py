import asyncio


async def fails():
    await asyncio.sleep(0)
    raise ArithmeticError("bad math")


async def succeeds():
    await asyncio.sleep(0)
    return 42


async def main():
    t1 = asyncio.create_task(fails())
    t2 = asyncio.create_task(succeeds())
    try:
        t1.exception()
    except asyncio.InvalidStateError:
        print("exception() before done -> InvalidStateError")
    await asyncio.wait([t1, t2])
    e = t1.exception()
    print("t1.exception():", type(e).__name__, e)
    print("t2.exception():", t2.exception())
    print("t2.result():", t2.result())
    try:
        t1.result()
    except ArithmeticError as e2:
        print("t1.result() re-raises same object:", e2 is e)
    t3 = asyncio.create_task(asyncio.sleep(10))
    await asyncio.sleep(0)
    t3.cancel()
    await asyncio.sleep(0)
    try:
        t3.exception()
    except asyncio.CancelledError:
        print("exception() of cancelled task raises CancelledError")


asyncio.run(main())

import asyncio


async def setter(fut, value, yields):
    for _ in range(yields):
        await asyncio.sleep(0)
    print("setter setting", value)
    fut.set_result(value)


async def main():
    loop = asyncio.get_running_loop()
    fut = loop.create_future()
    asyncio.create_task(setter(fut, "hello", 2))
    print("awaiting future")
    print("future gave", await fut)
    print("awaiting done future again gives", await fut)

    bad = loop.create_future()
    loop.call_soon(bad.set_exception, OSError("future failed"))
    try:
        await bad
    except OSError as e:
        print("future raised", e)

    cancelled = loop.create_future()
    loop.call_soon(cancelled.cancel)
    try:
        await cancelled
    except asyncio.CancelledError:
        print("awaiting cancelled future raised CancelledError")

    waiting = loop.create_future()

    async def waits():
        try:
            return await waiting
        except asyncio.CancelledError:
            print("task awaiting future was cancelled; future cancelled:", waiting.cancelled())
            raise

    t = asyncio.create_task(waits())
    await asyncio.sleep(0)
    t.cancel()
    await asyncio.gather(t, return_exceptions=True)


asyncio.run(main())

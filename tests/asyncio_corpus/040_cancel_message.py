import asyncio


async def target():
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError as e:
        print("inside: args", e.args)
        raise


async def main():
    t = asyncio.create_task(target())
    await asyncio.sleep(0)
    print("cancel returns", t.cancel(msg="shutting down"))
    print("second cancel returns", t.cancel(msg="again"))
    try:
        await t
    except asyncio.CancelledError as e:
        print("outside: is CancelledError, BaseException only:", not isinstance(e, Exception))
    print("cancel on done task returns", t.cancel())
    print("cancelled()", t.cancelled(), "done()", t.done())


asyncio.run(main())

import asyncio


async def failing_main():
    await asyncio.sleep(0)
    raise FileNotFoundError("from main")


async def leaves_tasks():
    async def forever(name):
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            print("asyncio.run cancelled leftover", name)
            raise
        finally:
            print("leftover finally", name)

    asyncio.create_task(forever("x"))
    await asyncio.sleep(0)
    return "main returned"


async def nested_run():
    coro = failing_main()
    try:
        asyncio.run(coro)
    finally:
        coro.close()


try:
    asyncio.run(failing_main())
except FileNotFoundError as e:
    print("asyncio.run raised", type(e).__name__, e)

print(asyncio.run(leaves_tasks()))

try:
    asyncio.run(nested_run())
except RuntimeError as e:
    print("nested asyncio.run:", str(e).split(" from ")[0])

# requires: 3.11 (Task.cancelling and Task.uncancel)
import asyncio


async def resilient(log):
    me = asyncio.current_task()
    for attempt in range(3):
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            log.append(f"attempt {attempt}: cancelling()={me.cancelling()}")
            remaining = me.uncancel()
            log.append(f"attempt {attempt}: uncancel() -> {remaining}")
    return "survived"


async def main():
    log = []
    t = asyncio.create_task(resilient(log))
    for _ in range(3):
        await asyncio.sleep(0)
        t.cancel()
        log.append(f"main: cancel requested, cancelling()={t.cancelling()}")
    r = await t
    log.append(f"result {r}, cancelled={t.cancelled()}, cancelling={t.cancelling()}")

    async def double():
        me = asyncio.current_task()
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            log.append(f"double: cancelling()={me.cancelling()}")
            raise

    t = asyncio.create_task(double())
    await asyncio.sleep(0)
    t.cancel()
    t.cancel()
    log.append(f"after two cancels: cancelling()={t.cancelling()}")
    try:
        await t
    except asyncio.CancelledError:
        log.append("double cancelled")
    for line in log:
        print(line)


asyncio.run(main())

import asyncio


async def important(log):
    log.append("important: start")
    try:
        await asyncio.sleep(0.02)
        log.append("important: finished")
        return "saved"
    finally:
        log.append("important: finally")


async def caller(inner_task, log):
    try:
        return await asyncio.shield(inner_task)
    except asyncio.CancelledError:
        log.append("caller: cancelled while shielded")
        raise


async def main():
    log = []
    inner = asyncio.create_task(important(log))
    outer = asyncio.create_task(caller(inner, log))
    await asyncio.sleep(0)
    outer.cancel()
    try:
        await outer
    except asyncio.CancelledError:
        log.append("main: outer cancelled")
    log.append(f"inner done yet: {inner.done()}")
    result = await inner
    log.append(f"inner result: {result}")
    log.append(f"inner cancelled: {inner.cancelled()}")
    r = await asyncio.shield(important(log))
    log.append(f"plain shield: {r}")
    for line in log:
        print(line)


asyncio.run(main())

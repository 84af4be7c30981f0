import asyncio

log = []


async def never_started():
    log.append("body ran (should not)")
    try:
        await asyncio.sleep(0)
    finally:
        log.append("finally ran")


async def main():
    t = asyncio.create_task(never_started())
    t.cancel()
    log.append(f"cancelled before first step; done={t.done()}")
    try:
        await t
    except asyncio.CancelledError:
        log.append("awaiting it raises CancelledError")
    log.append(f"cancelled={t.cancelled()}")
    for line in log:
        print(line)


asyncio.run(main())

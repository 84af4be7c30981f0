import asyncio

log = []


async def stream(name):
    try:
        for i in range(100):
            yield i
            await asyncio.sleep(0)
    finally:
        log.append(f"{name} finalized")


async def main():
    gen = stream("left-open")
    async for v in gen:
        if v == 2:
            break
    log.append("main returns with generator not closed")
    global keep
    keep = gen


asyncio.run(main())
log.append("after asyncio.run")
for line in log:
    print(line)

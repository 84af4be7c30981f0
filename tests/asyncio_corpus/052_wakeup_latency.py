import asyncio

log = []


async def counter(n):
    for i in range(n):
        log.append(f"tick {i}")
        await asyncio.sleep(0)


async def quick():
    log.append("quick runs")
    return "quick result"


async def main():
    bg = asyncio.create_task(counter(6))
    t = asyncio.create_task(quick())
    log.append("main awaits task")
    r = await t
    log.append(f"main resumed with {r}")
    ev = asyncio.Event()
    asyncio.get_running_loop().call_soon(ev.set)
    log.append("main waits event")
    await ev.wait()
    log.append("main woke from event")
    await bg
    print("\n".join(log))


asyncio.run(main())

# requires: 3.11 (asyncio.TaskGroup and asyncio.timeout)
import asyncio

events = {}


async def worker(name, delay):
    log = events.setdefault(name, [])
    try:
        await asyncio.sleep(delay)
        log.append("done")
    except asyncio.CancelledError:
        log.append("cancelled")
        raise


async def main():
    try:
        async with asyncio.timeout(0.02):
            async with asyncio.TaskGroup() as tg:
                tg.create_task(worker("fast", 0))
                tg.create_task(worker("slow1", 10))
                tg.create_task(worker("slow2", 10))
    except TimeoutError:
        print("TaskGroup timed out")
    for name in sorted(events):
        print(name, events[name])


asyncio.run(main())

import asyncio

log = []


async def user(name, lock):
    try:
        async with lock:
            log.append(f"{name} got lock")
            await asyncio.sleep(0)
            log.append(f"{name} releasing")
    except asyncio.CancelledError:
        log.append(f"{name} cancelled while waiting (lock held: {lock.locked()})")
        raise


async def main():
    lock = asyncio.Lock()
    tasks = {n: asyncio.create_task(user(n, lock)) for n in ["a", "b", "c"]}
    await asyncio.sleep(0)
    tasks["b"].cancel()
    await asyncio.gather(*tasks.values(), return_exceptions=True)
    log.append(f"states: {[(n, t.cancelled()) for n, t in tasks.items()]}")
    log.append(f"lock free: {not lock.locked()}")
    for line in log:
        print(line)


asyncio.run(main())

import asyncio


async def use_lock(name, lock, log):
    async with lock:
        log.append(f"{name} holds lock")
        await asyncio.sleep(0)
        log.append(f"{name} leaves lock")


async def use_sem(name, sem, log):
    async with sem as value:
        log.append(f"{name} in semaphore (as -> {value})")
        await asyncio.sleep(0)
    log.append(f"{name} out of semaphore")


async def fails_inside(lock, log):
    try:
        async with lock:
            log.append("inside, raising")
            raise KeyError("inside")
    except KeyError:
        log.append(f"after raise, lock released: {not lock.locked()}")


async def main():
    log = []
    lock = asyncio.Lock()
    await asyncio.gather(use_lock("a", lock, log), use_lock("b", lock, log), use_lock("c", lock, log))
    sem = asyncio.Semaphore(2)
    await asyncio.gather(*(use_sem(f"s{i}", sem, log) for i in range(4)))
    await fails_inside(lock, log)
    for line in log:
        print(line)


asyncio.run(main())

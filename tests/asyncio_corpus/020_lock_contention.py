import asyncio


async def critical(name, lock, log):
    log.append(f"{name} wants lock (locked={lock.locked()})")
    await lock.acquire()
    try:
        log.append(f"{name} acquired")
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        log.append(f"{name} releasing")
    finally:
        lock.release()


async def main():
    lock = asyncio.Lock()
    log = []
    await asyncio.gather(*(critical(n, lock, log) for n in ["first", "second", "third", "fourth"]))
    for line in log:
        print(line)
    print("locked at end:", lock.locked())
    try:
        lock.release()
    except RuntimeError as e:
        print("release unlocked:", e)


asyncio.run(main())

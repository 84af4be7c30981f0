import asyncio


async def limited(name, sem, state, log):
    await sem.acquire()
    try:
        state["active"] += 1
        state["peak"] = max(state["peak"], state["active"])
        log.append(f"{name} in (active={state['active']})")
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        state["active"] -= 1
        log.append(f"{name} out")
    finally:
        sem.release()


async def main():
    sem = asyncio.Semaphore(2)
    state = {"active": 0, "peak": 0}
    log = []
    await asyncio.gather(*(limited(f"t{i}", sem, state, log) for i in range(5)))
    for line in log:
        print(line)
    print("peak", state["peak"], "locked", sem.locked())
    b = asyncio.BoundedSemaphore(1)
    await b.acquire()
    b.release()
    try:
        b.release()
    except ValueError as e:
        print("bounded over-release:", e)


asyncio.run(main())

# requires: 3.11 (asyncio.Barrier)
import asyncio

log = []


async def party(name, barrier, yields):
    for _ in range(yields):
        await asyncio.sleep(0)
    log.append(f"{name} arrives")
    index = await barrier.wait()
    log.append(f"{name} passes")
    return index


async def main():
    barrier = asyncio.Barrier(3)
    indices = await asyncio.gather(party("a", barrier, 0), party("b", barrier, 2), party("c", barrier, 1))
    print("indices:", sorted(indices))
    print("n_waiting:", barrier.n_waiting, "broken:", barrier.broken)
    b2 = asyncio.Barrier(2)
    t = asyncio.create_task(b2.wait())
    await asyncio.sleep(0)
    await b2.abort()
    try:
        await t
    except asyncio.BrokenBarrierError:
        log.append("barrier aborted -> BrokenBarrierError")
    for line in log:
        print(line)


asyncio.run(main())

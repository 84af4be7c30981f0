"""A spawned task and a join under the runtime's executor; the spawned one fails."""

from desugar.runtime import block_on, join, sleep, spawn


async def leaf():
    await sleep(0)
    raise KeyError("spawned leaf")


async def worker():
    await sleep(0)
    return await leaf()


async def other():
    await sleep(0)
    return 2


async def main():
    handle = spawn(worker())
    print("joined:", await join(other(), sleep(0)))
    await handle


block_on(main())

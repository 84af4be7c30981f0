import asyncio


async def job(name, yields, fail=False):
    for _ in range(yields):
        await asyncio.sleep(0)
    print("job", name, "ending")
    if fail:
        raise RuntimeError(name)
    return name * 2


async def main():
    tasks = [
        asyncio.create_task(job("a", 2)),
        asyncio.create_task(job("b", 0, fail=True)),
        asyncio.create_task(job("c", 1)),
    ]
    done, pending = await asyncio.wait(tasks, return_when=asyncio.ALL_COMPLETED)
    print("done count", len(done), "pending count", len(pending))
    for t in tasks:
        if t.exception() is not None:
            print("exception:", repr(t.exception()))
        else:
            print("result:", t.result())
    done, pending = await asyncio.wait([asyncio.create_task(job("d", 50))], timeout=0.01)
    print("timeout wait:", len(done), len(pending))
    for t in pending:
        t.cancel()
        try:
            await t
        except asyncio.CancelledError:
            print("cancelled leftover")


asyncio.run(main())

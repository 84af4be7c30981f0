import asyncio


async def job(name, yields, fail=False):
    try:
        for _ in range(yields):
            await asyncio.sleep(0)
        if fail:
            print(name, "failing")
            raise LookupError(name)
        print(name, "succeeding")
        return name
    except asyncio.CancelledError:
        print(name, "cancelled")
        raise


async def main():
    tasks = {
        "ok1": asyncio.create_task(job("ok1", 1)),
        "bad": asyncio.create_task(job("bad", 2, fail=True)),
        "ok2": asyncio.create_task(job("ok2", 10)),
    }
    done, pending = await asyncio.wait(tasks.values(), return_when=asyncio.FIRST_EXCEPTION)
    names = {t: n for n, t in tasks.items()}
    print("done:", sorted(names[t] for t in done))
    print("pending:", sorted(names[t] for t in pending))
    print("bad exception:", repr(tasks["bad"].exception()))
    for t in pending:
        t.cancel()
    await asyncio.wait(pending)
    print("ok2 cancelled:", tasks["ok2"].cancelled())
    done, pending = await asyncio.wait(
        [asyncio.create_task(job("solo", 1))], return_when=asyncio.FIRST_EXCEPTION
    )
    print("no exception: all done", len(done), len(pending))


asyncio.run(main())

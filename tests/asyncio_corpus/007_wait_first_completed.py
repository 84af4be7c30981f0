import asyncio


async def job(name, yields):
    try:
        for _ in range(yields):
            await asyncio.sleep(0)
        return name
    finally:
        print("job exit", name)


async def main():
    tasks = [asyncio.create_task(job(n, y), name=n) for n, y in [("a", 30), ("b", 1), ("c", 10)]]
    done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    print("done:", sorted(t.get_name() for t in done))
    print("pending:", sorted(t.get_name() for t in pending))
    print("done results:", sorted(t.result() for t in done))
    done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
    print("second done:", sorted(t.get_name() for t in done))
    for t in pending:
        t.cancel()
    if pending:
        done, pending = await asyncio.wait(pending)
    print("after cancel:", sorted(t.get_name() for t in done), len(pending))


asyncio.run(main())

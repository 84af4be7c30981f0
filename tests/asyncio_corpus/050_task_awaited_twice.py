import asyncio

calls = []


async def once():
    calls.append("run")
    await asyncio.sleep(0)
    return "value"


async def awaiter(name, task):
    r = await task
    print(name, "got", r)
    return r


async def main():
    t = asyncio.create_task(once())
    results = await asyncio.gather(awaiter("x", t), awaiter("y", t), t)
    print("results", results, "body ran", len(calls), "time(s)")
    print("await again:", await t)
    fut = asyncio.ensure_future(once())
    print("ensure_future is task:", isinstance(fut, asyncio.Task), await fut)
    print("ensure_future of task is same:", asyncio.ensure_future(t) is t)


asyncio.run(main())

import asyncio
import contextvars
import sys

request = contextvars.ContextVar("request", default="none")


async def handler(name):
    request.set(name)
    await asyncio.sleep(0)
    return f"{name} sees {request.get()}"


async def inner_read():
    await asyncio.sleep(0)
    return request.get()


async def main():
    request.set("main")
    results = await asyncio.gather(handler("a"), handler("b"))
    print(results)
    print("main still sees", request.get())
    request.set("changed-in-main")
    t = asyncio.create_task(inner_read())
    request.set("after-create")
    print("task copied context at creation:", await t)
    print("direct await shares context:", await inner_read())
    if sys.version_info >= (3, 11):  # create_task's context argument is new in 3.11
        ctx = contextvars.copy_context()
        ctx.run(request.set, "in-copy")
        t2 = asyncio.create_task(inner_read(), context=ctx)
        print("task with explicit context:", await t2)


asyncio.run(main())

import asyncio
import gc

log = []


def handler(loop, context):
    exc = context.get("exception")
    log.append(f"handler: {context['message']} ({type(exc).__name__}: {exc})")


async def fails():
    await asyncio.sleep(0)
    raise UnicodeError("nobody looked")


async def main():
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(handler)
    t = asyncio.create_task(fails())
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    log.append(f"task done: {t.done()}")
    del t
    gc.collect()
    log.append("after collect")
    t2 = asyncio.create_task(fails())
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    t2.exception()
    del t2
    gc.collect()
    log.append("retrieved one: no handler call")
    for line in log:
        print(line)


asyncio.run(main())

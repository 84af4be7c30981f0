import asyncio

log = []


def on_done(task):
    if task.cancelled():
        state = "cancelled"
    elif task.exception() is not None:
        state = f"error {task.exception()!r}"
    else:
        state = f"result {task.result()!r}"
    log.append(f"callback for {task.get_name()}: {state}")


async def value():
    await asyncio.sleep(0)
    log.append("value body done")
    return 5


async def error():
    await asyncio.sleep(0)
    raise IndexError("oops")


async def main():
    t1 = asyncio.create_task(value(), name="t1")
    t1.add_done_callback(on_done)
    t2 = asyncio.create_task(error(), name="t2")
    t2.add_done_callback(on_done)
    t3 = asyncio.create_task(asyncio.sleep(10), name="t3")
    t3.add_done_callback(on_done)
    t4 = asyncio.create_task(value(), name="t4")
    t4.add_done_callback(on_done)
    print("removed:", t4.remove_done_callback(on_done))
    await asyncio.sleep(0)
    t3.cancel()
    await asyncio.gather(t1, t2, t3, t4, return_exceptions=True)
    log.append("gather finished")
    await asyncio.sleep(0)
    t1.add_done_callback(on_done)
    log.append("added to finished task")
    await asyncio.sleep(0)
    for line in log:
        print(line)


asyncio.run(main())

"""anyio on both backends: task groups, start, cancel scopes, streams, async generators, locks, events, threads."""
import anyio, sys
log = []
async def child(i, task_status=anyio.TASK_STATUS_IGNORED):
    task_status.started(i)
    try:
        await anyio.sleep(10)
    except anyio.get_cancelled_exc_class():
        log.append(("cancelled", i))
        raise
    finally:
        log.append(("child finally", i))
async def failing():
    await anyio.sleep(0)
    raise KeyError("k")
async def agen():
    try:
        for i in range(5):
            await anyio.sleep(0)
            yield i
    finally:
        log.append("agen finally")
async def main():
    async with anyio.create_task_group() as tg:
        v = await tg.start(child, 1)
        log.append(("started", v))
        tg.cancel_scope.cancel()
    with anyio.move_on_after(0.01) as scope:
        await anyio.sleep(1)
    log.append(("moved on", scope.cancelled_caught))
    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(failing)
            tg.start_soon(child, 2)
    except BaseException as e:
        log.append(("tg raised", type(e).__name__, [type(x).__name__ for x in getattr(e, "exceptions", [e])]))
    send, recv = anyio.create_memory_object_stream(1)
    async with send, recv:
        await send.send("x")
        log.append(("recv", await recv.receive()))
    async for i in agen():
        if i == 2:
            break
    log.append("after break")
    lock = anyio.Lock()
    async with lock:
        log.append("locked")
    ev = anyio.Event()
    async with anyio.create_task_group() as tg:
        async def setter():
            await anyio.sleep(0)
            ev.set()
        tg.start_soon(setter)
        await ev.wait()
    log.append(await anyio.to_thread.run_sync(lambda: "thread"))
    with anyio.CancelScope() as cs:
        cs.cancel()
        try:
            await anyio.sleep(1)
        finally:
            log.append(("shielded?", cs.cancel_called))
    return "ok"
for backend in ("asyncio", "trio"):
    log.clear()
    print(backend, anyio.run(main, backend=backend))
    for l in log: print(" ", l)

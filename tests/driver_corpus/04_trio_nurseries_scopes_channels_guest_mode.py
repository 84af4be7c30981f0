"""trio: nurseries, start, cancel scopes, memory channels, await frames, threads, guest mode on asyncio."""
import trio, trio.testing, sys
log = []
async def producer(send):
    async with send:
        for i in range(3):
            await send.send(i)
            await trio.sleep(0)
async def consumer(recv):
    async with recv:
        async for v in recv:
            log.append(("got", v))
async def sleeper(i, task_status=trio.TASK_STATUS_IGNORED):
    task_status.started(i)
    try:
        await trio.sleep_forever()
    finally:
        log.append(("sleeper finally", i))
async def boom():
    await trio.sleep(0)
    raise ValueError("boom")
async def main():
    send, recv = trio.open_memory_channel(0)
    async with trio.open_nursery() as n:
        n.start_soon(producer, send)
        n.start_soon(consumer, recv)
    with trio.move_on_after(0.01) as scope:
        async with trio.open_nursery() as n:
            v = await n.start(sleeper, 7)
            log.append(("started", v))
    log.append(("cancelled", scope.cancelled_caught))
    try:
        async with trio.open_nursery() as n:
            n.start_soon(boom)
            n.start_soon(sleeper, 8)
    except BaseException as e:
        log.append(("nursery raised", type(e).__name__, repr(getattr(e, "exceptions", e))))
    task = trio.lowlevel.current_task()
    log.append(("await frames", [f.f_code.co_name for f, _ in task.iter_await_frames()]))
    with trio.fail_after(1):
        await trio.testing.wait_all_tasks_blocked()
    try:
        with trio.fail_after(0.01):
            await trio.sleep(1)
    except trio.TooSlowError as e:
        log.append(("too slow", [f.split(":")[0] for f in frames(e)][:3]))
    await trio.to_thread.run_sync(lambda: log.append("in thread"))
    log.append(await trio.lowlevel.checkpoint())
trio.run(main)
for l in log: print(l)
# guest mode on asyncio
import asyncio
async def guest_main():
    await trio.sleep(0.01)
    return "guest done"
async def host():
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    trio.lowlevel.start_guest_run(guest_main, run_sync_soon_threadsafe=loop.call_soon_threadsafe,
        done_callback=lambda outcome: done.set_result(outcome.unwrap()), host_uses_signal_set_wakeup_fd=False)
    print(await done)
asyncio.run(host())

# requires: 3.11 (asyncio.TaskGroup and except*)
import asyncio

# TaskGroup cancels siblings in set order (by object hash), so each sibling's
# events are recorded per name and printed in name order.
events = {}


async def sibling(name):
    log = events.setdefault(name, [])
    try:
        log.append("working")
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        log.append("except CancelledError")
        raise
    finally:
        log.append("finally")


async def failing():
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    print("failing raises")
    raise ValueError("task failed")


async def second_failing():
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    raise KeyError("second")


def dump():
    for name in sorted(events):
        print(name, events[name])
    events.clear()


async def main():
    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(sibling("s1"))
            tg.create_task(failing())
            tg.create_task(sibling("s2"))
            print("body waiting")
    except* ValueError as eg:
        print("except* ValueError:", [str(e) for e in eg.exceptions])
    dump()
    print("after first group")

    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(failing())
            tg.create_task(second_failing())
            tg.create_task(sibling("s3"))
    except ExceptionGroup as eg:
        print("ExceptionGroup:", sorted(type(e).__name__ for e in eg.exceptions))
    dump()

    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(sibling("s4"))
            await asyncio.sleep(0)
            raise RuntimeError("body fails")
    except* RuntimeError as eg:
        print("body error:", [str(e) for e in eg.exceptions])
    dump()


asyncio.run(main())

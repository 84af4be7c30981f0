# requires: 3.11 (asyncio.TaskGroup and except*)
import asyncio

events = {}


def note(name, what):
    events.setdefault(name, []).append(what)


async def leaf(name, fail_after=None):
    try:
        for i in range(5):
            if fail_after is not None and i == fail_after:
                raise ConnectionError(name)
            await asyncio.sleep(0)
        note(name, "completed")
        return name
    except asyncio.CancelledError:
        note(name, "cancelled")
        raise
    finally:
        note(name, "finally")


async def branch(name, fail):
    async with asyncio.TaskGroup() as tg:
        tg.create_task(leaf(name + ".1"))
        tg.create_task(leaf(name + ".2", fail_after=1 if fail else None))
    note(name, "branch done")


async def main():
    async with asyncio.TaskGroup() as tg:
        tg.create_task(branch("ok-a", False))
        tg.create_task(branch("ok-b", False))
    print("all ok:", {k: v for k, v in sorted(events.items())})
    events.clear()
    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(branch("good", False))
            tg.create_task(branch("bad", True))
    except* ConnectionError as eg:
        def flat(g):
            for e in g.exceptions:
                if isinstance(e, BaseExceptionGroup):
                    yield from flat(e)
                else:
                    yield str(e)
        print("nested errors:", sorted(flat(eg)))
    for name in sorted(events):
        print(name, events[name])


asyncio.run(main())

import asyncio


async def who(label):
    task = asyncio.current_task()
    print(label, "running in", task.get_name())
    await asyncio.sleep(0)
    task.set_name(task.get_name() + "-renamed")
    return task.get_name()


async def main():
    main_task = asyncio.current_task()
    main_task.set_name("main-task")
    print("main is", main_task.get_name())
    t1 = asyncio.create_task(who("first"), name="alpha")
    t2 = asyncio.create_task(who("second"), name="beta")
    print(await t1, await t2)
    print("main direct await:", await who("direct"))
    print("current task unchanged:", asyncio.current_task() is main_task)
    print("task coroutine name:", t1.get_coro().__qualname__)


asyncio.run(main())

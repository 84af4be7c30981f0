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
    # A coroutine object's own __qualname__ is introspection of the coroutine,
    # one of the differences docs/semantics.md allows: a translated task's coroutine is
    # a GenFuture. Its function's name is still what a task repr shows.
    print("task coroutine is awaitable:", hasattr(t1.get_coro(), "__await__"))


asyncio.run(main())

"""A worker that fails inside an ``asyncio.TaskGroup`` (Python 3.11+).

``main`` starts two ``load`` tasks in a task group; each awaits ``parse`` for
its records, and one record is not a number. Run it with ``desugar run
examples/task_group.py``: Python's traceback, then the async backtrace, which
shows, for the exception of the group, the chain that raised it (``parse``
under ``load``), the task it ran in and where that task was spawned, then the
chain of the task that received the group (``main``).
"""

import asyncio


async def parse(record):
    await asyncio.sleep(0.01)
    if not record.isdigit():
        raise ValueError(f"not a number: {record!r}")
    return int(record)


async def load(name, records):
    total = 0
    for record in records:
        total += await parse(record)
    print(f"{name}: {total}")


async def main():
    async with asyncio.TaskGroup() as group:
        group.create_task(load("good", ["1", "2"]), name="good")
        group.create_task(load("bad", ["3", "x"]), name="bad")


if __name__ == "__main__":
    asyncio.run(main())

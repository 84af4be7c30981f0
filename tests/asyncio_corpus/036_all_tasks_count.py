import asyncio


async def sleeper(ev):
    await ev.wait()


async def main():
    print("initially:", len(asyncio.all_tasks()))
    ev = asyncio.Event()
    tasks = [asyncio.create_task(sleeper(ev), name=f"s{i}") for i in range(4)]
    print("after create:", len(asyncio.all_tasks()))
    print("names:", sorted(t.get_name() for t in asyncio.all_tasks() if t is not asyncio.current_task()))
    ev.set()
    await asyncio.gather(*tasks)
    print("after gather:", len(asyncio.all_tasks()))
    print("current in all_tasks:", asyncio.current_task() in asyncio.all_tasks())


asyncio.run(main())

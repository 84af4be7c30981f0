from desugar.runtime import block_on, join, spawn, yield_now

trace = []


async def ticker(name, n):
    for i in range(n):
        trace.append(f"{name} tick {i}")
        await yield_now()
        yield f"{name}{i}"


async def drain(name, n):
    return [x async for x in ticker(name, n)]


async def main():
    handle = spawn(drain("spawned", 3))
    results = await join(drain("a", 2), drain("b", 3))
    print(results)
    print(await handle)
    gen = ticker("g", 2)
    first = await spawn(gen.__anext__())
    second = await join(gen.__anext__())
    print(first, second)


block_on(main())
for entry in trace:
    print(entry)

from desugar.runtime import block_on, select, sleep, timeout, yield_now

trace = []


async def slow(label, steps):
    for i in range(steps):
        await yield_now()
        trace.append(f"{label} step {i}")
    return label


async def ticks(n):
    for i in range(n):
        await yield_now()
        yield i


async def collect(n):
    return [x async for x in ticks(n)]


async def main():
    index, value = await select(slow("fast", 1), slow("slower", 5))
    print("select", index, value)
    print("collect", await timeout(collect(3), 5.0))
    try:
        await timeout(sleep(1.0), 0.005)
    except TimeoutError as error:
        print("TimeoutError", error)
    index, value = await select(collect(10), slow("quick", 2))
    print("select", index, value)


block_on(main())
for entry in trace:
    print(entry)

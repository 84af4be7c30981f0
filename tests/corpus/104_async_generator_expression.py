from desugar.runtime import block_on, yield_now

trace = []


async def agen(n):
    for i in range(n):
        await yield_now()
        trace.append(f"agen yields {i}")
        yield i


async def double(x):
    trace.append(f"double {x}")
    await yield_now()
    return 2 * x


async def main():
    genexp = (x * 3 async for x in agen(3))
    trace.append("genexp created, nothing ran yet")
    async for v in genexp:
        trace.append(f"consumed {v}")
    awaiting = (await double(x) for x in range(3))
    trace.append("await genexp created")
    async for v in awaiting:
        trace.append(f"consumed doubled {v}")
    filtered = (x async for x in agen(5) if await double(x) > 4)
    print([v async for v in filtered])


block_on(main())
for entry in trace:
    print(entry)

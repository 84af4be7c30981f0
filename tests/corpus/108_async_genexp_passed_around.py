from desugar.runtime import block_on, yield_now

trace = []


async def agen(n):
    for i in range(n):
        await yield_now()
        yield i


async def consume(source, label):
    out = []
    async for item in source:
        trace.append(f"{label} got {item}")
        out.append(item)
    return out


async def total(source):
    return sum([x async for x in source])


async def main():
    print(await consume((x + 1 async for x in agen(3)), "plus one"))
    print(await total(x * x async for x in agen(4)))
    chained = (y * 10 async for y in (x async for x in agen(3) if x != 1))
    print(await consume(chained, "chained"))


block_on(main())
for entry in trace:
    print(entry)

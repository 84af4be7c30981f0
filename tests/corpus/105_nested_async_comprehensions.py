from desugar.runtime import block_on, yield_now

trace = []


async def agen(label, n):
    for i in range(n):
        await yield_now()
        trace.append(f"{label}:{i}")
        yield i


async def main():
    matrix = [[y async for y in agen(f"row{x}", x)] async for x in agen("rows", 4)]
    print(matrix)
    table = {x: {y: x * y async for y in agen(f"c{x}", 2)} async for x in agen("keys", 2)}
    print(table)


async def sq(v):
    await yield_now()
    return v * v


block_on(main())
for entry in trace:
    print(entry)

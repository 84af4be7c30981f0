from desugar.runtime import block_on, yield_now

trace = []


async def agen(label, n):
    for i in range(n):
        await yield_now()
        trace.append(f"{label} yields {i}")
        yield i


async def check(label, value):
    trace.append(f"check {label}")
    await yield_now()
    return value


async def main():
    result = [
        (x, y, z)
        async for x in agen("X", 3)
        if await check(f"x={x}", x > 0)
        for y in range(x)
        async for z in agen(f"Z{x}{y}", 2)
        if await check(f"z={z}", z != y)
    ]
    print(result)
    flat = [v for row in [[1, 2], [3]] async for v in agen("flat", 2) if row]
    print(flat)


block_on(main())
for entry in trace:
    print(entry)

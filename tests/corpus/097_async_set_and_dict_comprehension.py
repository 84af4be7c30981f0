from desugar.runtime import block_on, yield_now

trace = []


async def agen(n):
    for i in range(n):
        await yield_now()
        yield i


async def a(label, value):
    trace.append("start " + label)
    await yield_now()
    trace.append("end " + label)
    return value


async def main():
    s = {x % 3 async for x in agen(7)}
    print(sorted(s))
    d = {x: x * x async for x in agen(4)}
    print(d)
    d2 = {await a(f"k{x}", x): await a(f"v{x}", -x) for x in range(3)}
    print(d2)
    s2 = {await a(f"s{x}", x // 2) async for x in agen(4)}
    print(sorted(s2))


block_on(main())
for entry in trace:
    print(entry)

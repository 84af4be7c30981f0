from desugar.runtime import block_on, yield_now

trace = []


async def key(x):
    trace.append(f"key {x}")
    await yield_now()
    return f"k{x}"


async def value(x):
    trace.append(f"value {x}")
    await yield_now()
    return x * 100


async def agen(n):
    for i in range(n):
        await yield_now()
        trace.append(f"agen {i}")
        yield i


async def main():
    print({await key(x): await value(x) async for x in agen(3)})
    print({await key(x % 2): await value(x) for x in range(4)})


block_on(main())
for entry in trace:
    print(entry)

from desugar.runtime import block_on, yield_now

trace = []


async def arange(label, n):
    for i in range(n):
        await yield_now()
        trace.append(f"{label} yields {i}")
        yield i


async def main():
    pairs = []
    async for i in arange("outer", 3):
        async for j in arange(f"inner{i}", i + 1):
            if j == 1:
                continue
            pairs.append((i, j))
    print(pairs)
    async for i in arange("o2", 2):
        async for j in arange("i2", 3):
            if j == 1:
                break
        else:
            trace.append("inner else (never)")
    else:
        trace.append("outer else")


block_on(main())
for entry in trace:
    print(entry)

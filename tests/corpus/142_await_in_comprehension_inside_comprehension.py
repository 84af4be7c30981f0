# requires: 3.11 (an async comprehension inside a comprehension of an async function)
from desugar.runtime import block_on, yield_now

trace = []


async def a(label, value):
    trace.append("start " + label)
    await yield_now()
    trace.append("end " + label)
    return value


async def agen(label, n):
    for i in range(n):
        await yield_now()
        trace.append(f"{label}:{i}")
        yield i


async def main():
    print([[await a(f"inner{x}{y}", x + y) for y in range(2)] for x in range(2)])
    print({x: [y async for y in agen(f"row{x}", x)] for x in range(3)})
    matrix = [[y async for y in agen(f"m{x}", x)] async for x in agen("rows", 3)]
    print([[await a(f"sq{v}", v * v) for v in row] for row in matrix if row])


block_on(main())
for entry in trace:
    print(entry)

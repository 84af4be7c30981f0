from desugar.runtime import block_on, yield_now

trace = []


async def agen(n):
    for i in range(n):
        await yield_now()
        trace.append(f"agen yields {i}")
        yield i


async def main():
    squares = [x * x async for x in agen(4)]
    print(squares)
    evens = [x async for x in agen(6) if x % 2 == 0]
    print(evens)
    empty = [x async for x in agen(0)]
    print(empty)


block_on(main())
for entry in trace:
    print(entry)

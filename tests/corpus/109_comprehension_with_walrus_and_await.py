from desugar.runtime import block_on, yield_now

trace = []


async def fetch(n):
    trace.append(f"fetch {n}")
    await yield_now()
    return n * 3


async def main():
    results = [y for x in range(5) if (y := await fetch(x)) % 2 == 0]
    print(results, "last y", y)
    last = None
    values = [(last := await fetch(x)) for x in range(3)]
    print(values, last)


block_on(main())
for entry in trace:
    print(entry)

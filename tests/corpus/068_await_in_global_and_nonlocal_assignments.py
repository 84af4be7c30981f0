from desugar.runtime import block_on, yield_now

trace = []
counter = 0


async def a(label, value):
    trace.append("start " + label)
    await yield_now()
    trace.append("end " + label)
    return value


async def main():
    global counter
    counter = counter + await a("g1", 1)
    total = 0

    async def add(n):
        nonlocal total
        total = total + await a(f"add {n}", n)
        total += n * await a(f"mul {n}", 2)
        return total

    results = [await add(1), await add(2)]
    counter = [counter, await a("g2", 5), counter][1] + counter
    print(counter, total, results)


block_on(main())
for entry in trace:
    print(entry)

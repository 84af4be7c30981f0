from desugar.runtime import block_on, yield_now

trace = []


async def a(label, value):
    trace.append("start " + label)
    await yield_now()
    trace.append("end " + label)
    return value


class Items:
    def __iter__(self):
        trace.append("__iter__")
        for i in range(3):
            trace.append(f"produce {i}")
            yield i


async def main():
    for x in await a("it", [1, 2, 3]):
        trace.append(f"body {x}")
        if x == await a(f"check {x}", 2):
            continue
        trace.append(f"after check {x}")
    else:
        trace.append("for else")
    for y in await a("gen", Items()):
        trace.append(f"y {y}")
        if await a(f"stop? {y}", y == 1):
            break
    else:
        trace.append("not reached")
    total = 0
    for i, (p, q) in enumerate(await a("pairs", [(1, 2), (3, 4)])):
        total += i * (p + await a(f"q{i}", q))
    print(total)


block_on(main())
for entry in trace:
    print(entry)

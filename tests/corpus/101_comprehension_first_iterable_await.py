from desugar.runtime import block_on, yield_now

trace = []


def t(label, value):
    trace.append(label)
    return value


async def a(label, value):
    trace.append("start " + label)
    await yield_now()
    trace.append("end " + label)
    return value


async def agen(n):
    for i in range(n):
        await yield_now()
        yield i


async def make_agen(n):
    trace.append(f"make_agen {n}")
    await yield_now()
    return agen(n)


async def main():
    print([x for x in await a("first iterable", [1, 2, 3])])
    print([x async for x in await make_agen(3)])
    print({k: v for k, v in (await a("items", {"a": 1})).items()})
    print([x * y for x in await a("xs", [1, 2]) for y in t(f"ys", [10, 20])])
    print(list(x for x in await a("genexp source", "ab")))


block_on(main())
for entry in trace:
    print(entry)

from desugar.runtime import block_on, yield_now

trace = []


async def a(label, value):
    trace.append("start " + label)
    await yield_now()
    trace.append("end " + label)
    return value


async def returns_coroutine(depth):
    trace.append(f"returns_coroutine {depth}")
    await yield_now()
    if depth == 0:
        return "bottom"
    return returns_coroutine(depth - 1)


async def main():
    print(await (await a("outer", a("inner", 42))))
    print(await (await (await returns_coroutine(2))))
    print([await (await a("l1", a("l2", 1))), await a("l3", 3)])
    print(await a("arg", await a("argarg", 7)))
    print(await a("x", (await a("y", 1)) + (await a("z", 2))))


block_on(main())
for entry in trace:
    print(entry)

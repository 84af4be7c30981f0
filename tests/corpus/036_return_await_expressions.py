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


async def f1():
    return t("a", 1) + await a("b", 2)


async def f2():
    return await a("x", 1), t("y", 2), await a("z", 3)


async def f3(flag):
    if flag:
        return [await a("list", 1)]
    return {"k": await a("dict", 2)}


async def f4():
    return (await a("inner", f1))


async def main():
    print(await f1())
    print(await f2())
    print(await f3(True), await f3(False))
    print(await (await f4())())


block_on(main())
for entry in trace:
    print(entry)

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


async def main():
    tup = (t("a", 1), await a("b", 2), *t("c", (3,)), *await a("d", [4, 5]))
    print(tup)
    single = (await a("single", 1),)
    print(single)
    x, y = await a("x", "X"), t("y", "Y")
    print(x, y)
    nested = ((t("n1", 1), await a("n2", 2)), (await a("n3", 3), t("n4", 4)))
    print(nested)
    print(len((await a("len", 1), t("len2", 2))))


block_on(main())
for entry in trace:
    print(entry)

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
    r1 = await a("l", 10) - await a("r", 4)
    r2 = t("x", 1) + t("y", 2) * await a("z", 3)
    r3 = (await a("p", 2) + t("q", 3)) * (t("s", 4) - await a("u", 1))
    r4 = await a("c1", 1) + await a("c2", 2) + await a("c3", 3) + t("c4", 4)
    r5 = t("pow1", 2) ** t("pow2", 3) ** await a("pow3", 2)
    print(r1, r2, r3, r4, r5)


block_on(main())
for entry in trace:
    print(entry)

from desugar.runtime import block_on, yield_now

trace = []


def t(label, value):
    trace.append(label)
    return value


async def a(label, value):
    trace.append("called " + label)
    await yield_now()
    return value


async def main():
    print(t("x", False) and await a("y-not-called", 1))
    print(t("x2", 0) or await a("y2-called", "right"))
    print(t("x3", "left") or await a("y3-not-called", "right"))
    print(t("x4", 1) and await a("y4-called", 2))
    print(await a("l", []) or await a("m", 0) or await a("r", "last"))
    print(await a("l2", 1) and await a("m2", 0) and await a("r2-not-called", 5))
    print(t("p", 0) or t("q", 1) and await a("r3-called", "and-result"))
    print((t("p2", 1) or await a("skip", 0)) and await a("run", 7))
    print(not (await a("n1", True) and await a("n2", False)))


block_on(main())
for entry in trace:
    print(entry)

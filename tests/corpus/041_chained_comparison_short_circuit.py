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
    print(t("a", 1) < await a("b", 2) < t("c", 3))
    print(5 < await a("b2", 2) < await a("c2", 3))
    print(t("x", 1) < t("y", 0) < await a("never", 3))
    print(await a("p", 1) <= await a("q", 1) == t("r", 1) != await a("s", 2))
    print(await a("m", 3) > await a("n", 2) > await a("o", 2))
    print(t("lo", 0) <= await a("mid", 5) <= t("hi", 4) <= await a("skipped", 9))


block_on(main())
for entry in trace:
    print(entry)

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
    results = [
        t("a", 1) + await a("b", 2),
        t("c", 10) - await a("d", 3),
        t("e", 4) * await a("f", 5),
        t("g", 7) / await a("h", 2),
        t("i", 7) // await a("j", 2),
        t("k", 7) % await a("l", 4),
        t("m", 2) ** await a("n", 10),
        t("o", 1) << await a("p", 4),
        t("q", 256) >> await a("r", 2),
        t("s", 12) & await a("u", 10),
        t("v", 12) | await a("w", 3),
        t("x", 12) ^ await a("y", 10),
        t("z", "ab") + await a("zz", "cd"),
    ]
    print(results)


block_on(main())
for entry in trace:
    print(entry)

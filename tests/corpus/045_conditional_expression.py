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
    print(await a("then1", "T") if await a("cond1", True) else await a("else1-not", "E"))
    print(await a("then2-not", "T") if await a("cond2", False) else await a("else2", "E"))
    print(t("then3", 1) if t("cond3", 0) else await a("else3", 2))
    print(await a("then4", 1) if t("cond4", 1) else t("else4-not", 2))
    nested = (
        await a("n-a", "A") if await a("c1", False)
        else await a("n-b", "B") if await a("c2", True)
        else await a("n-c-not", "C")
    )
    print(nested)
    print([t("p", 0), await a("v", 5) if True else None, t("q", 1)])


block_on(main())
for entry in trace:
    print(entry)

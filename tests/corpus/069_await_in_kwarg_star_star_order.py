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


def show(*args, **kwargs):
    return f"args={args} kwargs={kwargs}"


async def main():
    print(show(t("p1", 1), *await a("s1", [2]), t("p2", 3), k1=await a("k1", 4), **t("kw", {"k2": 5}), k3=t("k3", 6)))
    print(show(*t("s2", ()), **await a("kw2", {}), **{"z": await a("z", 0)}))
    print(t("callee", show)(await a("x", 1), y=await a("y", 2)))


block_on(main())
for entry in trace:
    print(entry)

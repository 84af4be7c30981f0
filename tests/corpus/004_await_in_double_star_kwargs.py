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


def f(**kwargs):
    trace.append("call f")
    return list(kwargs.items())


async def main():
    r1 = f(**t("a", {"x": 1}), y=await a("b", 2), **await a("c", {"z": 3}))
    r2 = f(p=t("p", 0), **await a("d", {"q": 1, "r": 2}), s=await a("s", 3))
    print(r1)
    print(r2)
    try:
        f(**t("first", {"x": 1}), **await a("dup", {"x": 2}))
    except TypeError as error:
        print("TypeError:", error)
    try:
        f(x=t("kw", 1), **await a("dup2", {"x": 2}))
    except TypeError as error:
        print("TypeError:", error)


block_on(main())
for entry in trace:
    print(entry)

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


def f(*args, **kwargs):
    trace.append("call f")
    return args, sorted(kwargs.items())


async def main():
    r1 = f(x=t("a", 1), y=await a("b", 2), z=t("c", 3))
    r2 = f(t("p1", 1), await a("p2", 2), k=await a("k", 3), m=t("m", 4))
    r3 = f(k=await a("first kw", 1), *[t("star", 9)])
    return r1, r2, r3


print(block_on(main()))
for entry in trace:
    print(entry)

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


def f(*args):
    trace.append("call f")
    return args


async def main():
    r1 = f(t("a", 1), await a("b", 2), t("c", 3))
    r2 = f(await a("x", 1), await a("y", 2))
    r3 = t("callee", f)(t("p", 0), await a("q", 1))
    r4 = f(f(await a("inner", 1), t("i2", 2)), await a("outer", 3))
    return r1, r2, r3, r4


print(block_on(main()))
for entry in trace:
    print(entry)

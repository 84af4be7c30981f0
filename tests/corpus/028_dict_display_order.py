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
    d1 = {t("k1", "x"): await a("v1", 1), await a("k2", "y"): t("v2", 2)}
    print(d1)
    d2 = {**t("a", {"p": 0}), "k": await a("v", 1), **await a("m", {"p": 9, "q": 2})}
    print(d2)
    d3 = {t("dup1", "k"): t("dv1", 1), await a("dup2", "k"): await a("dv2", 2)}
    print(d3)
    d4 = {await a("k", "key"): {await a("inner k", "ik"): t("inner v", "iv")}}
    print(d4)
    d5 = {1: "int", 1.0: await a("float", "float"), True: t("bool", "bool")}
    print(d5)


block_on(main())
for entry in trace:
    print(entry)

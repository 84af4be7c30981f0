from desugar.runtime import block_on, yield_now

trace = []
g = 1


def t(label, value):
    trace.append(label)
    return value


async def a(label, value):
    trace.append("start " + label)
    await yield_now()
    trace.append("end " + label)
    return value


async def change_g():
    global g
    await yield_now()
    g = 1000
    return 5


async def main():
    global g
    x = 10
    x += t("a", 1) + await a("b", 2)
    x *= await a("c", 2) - t("d", 1)
    s = "s"
    s += f"{await a('e', 'E')}"
    lst = [1]
    alias = lst
    lst += [await a("f", 2)]
    g += await change_g()
    print(x, s, lst, alias is lst, g)


block_on(main())
for entry in trace:
    print(entry)

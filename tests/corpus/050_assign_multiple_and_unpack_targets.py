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


class Store(dict):
    def __setitem__(self, key, value):
        trace.append(f"setitem {key!r}={value!r}")
        super().__setitem__(key, value)


class Obj:
    def __setattr__(self, name, value):
        trace.append(f"setattr {name}={value!r}")
        object.__setattr__(self, name, value)


async def main():
    d = Store()
    o = Obj()
    x, d[t("i", "k")], t("o", o).y = await a("triple", (1, 2, 3))
    first = d[t("k2", "k2")] = t("o2", o).z = await a("chain", "C")
    p, *rest = t("seq", [await a("e1", 1), await a("e2", 2), 3])
    [q, (r, s)] = await a("nested", [4, (5, 6)])
    d[await a("key in target", "kt")], m = await a("rhs", ("v1", "v2"))
    print(x, first, p, rest, q, r, s, m, dict(d), o.y, o.z)


block_on(main())
for entry in trace:
    print(entry)

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
    def __getitem__(self, key):
        trace.append(f"getitem {key!r}")
        return super().__getitem__(key)

    def __setitem__(self, key, value):
        trace.append(f"setitem {key!r}={value!r}")
        super().__setitem__(key, value)


async def main():
    d = Store(x=1, y=2)
    d[t("k", "x")] += await a("v", 10)
    d[await a("key", "y")] += await a("val", 20)
    t("d", d)[t("k2", "x")] += t("p", 1) + await a("q", 2)
    lst = [1, 2, 3]
    lst[await a("idx", 1)] *= await a("mul", 10)
    lst[t("lo", 0):await a("hi", 2)] += [await a("extra", 99)]
    print(dict(d), lst)

    async def mutate():
        await yield_now()
        d["x"] = -1000
        return 1

    d["x"] += await mutate()
    print(dict(d))


block_on(main())
for entry in trace:
    print(entry)

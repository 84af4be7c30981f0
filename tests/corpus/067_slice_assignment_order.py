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


class Seq(list):
    def __setitem__(self, key, value):
        trace.append(f"setitem {key!r} {value!r}")
        super().__setitem__(key, value)


async def main():
    lst = Seq(range(6))
    t("target", lst)[await a("lo", 1):await a("hi", 3)] = await a("rhs", ["x"])
    print(list(lst))
    lst[t("a", 0):t("b", 1)], lst[await a("i", -1)] = await a("two", (["p", "q"], "last"))
    print(list(lst))
    lst[::await a("step", 2)] = [await a(f"v{i}", i) for i in range(3)]
    print(list(lst))


block_on(main())
for entry in trace:
    print(entry)

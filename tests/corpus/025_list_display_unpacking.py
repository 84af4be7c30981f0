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


class Iter:
    def __init__(self, label, items):
        self.label = label
        self.items = items

    def __iter__(self):
        trace.append("iterating " + self.label)
        return iter(self.items)


async def main():
    print([*t("a", [1]), await a("b", 2), *await a("c", [3, 4]), t("d", 5)])
    print([Iter("first", [1]) and 0, *Iter("second", [2]), await a("x", 3), *Iter("third", [4])])
    print([await a("only", 1)])
    print([t("p", 1), [await a("nested", 2), t("q", 3)], await a("r", 4)])
    print([*await a("tuple", (1, 2)), *await a("str", "ab")])


block_on(main())
for entry in trace:
    print(entry)

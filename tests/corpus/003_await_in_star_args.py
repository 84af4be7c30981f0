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


class Iter:
    def __init__(self, label, items):
        self.label = label
        self.items = items

    def __iter__(self):
        trace.append("iter " + self.label)
        return iter(self.items)


async def main():
    r1 = f(*t("a", [1]), await a("b", 2), *await a("c", [3, 4]))
    r2 = f(*Iter("first", [1, 2]), *await a("second", Iter("second", [3])))
    r3 = f(t("x", 0), *await a("gen", (i * 10 for i in range(3))), t("y", 99))
    return r1, r2, r3


print(block_on(main()))
for entry in trace:
    print(entry)

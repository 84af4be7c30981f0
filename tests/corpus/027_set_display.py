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


class Key:
    def __init__(self, n):
        self.n = n

    def __hash__(self):
        trace.append(f"hash {self.n}")
        return 0

    def __eq__(self, other):
        trace.append(f"eq {self.n} {other.n}")
        return False

    def __repr__(self):
        return f"Key({self.n})"


async def main():
    s = {t("a", 1), await a("b", 2), *await a("c", [3, 4]), t("d", 1)}
    print(sorted(s))
    keys = {t("k1", Key(1)), await a("k2", Key(2)), t("k3", Key(3))}
    print(sorted(k.n for k in keys))
    print({await a("only", 7)})
    print({*t("star", range(3)), await a("after", 10)})


block_on(main())
for entry in trace:
    print(entry)

from desugar.runtime import block_on, yield_now

trace = []


async def a(label, value):
    trace.append("start " + label)
    await yield_now()
    trace.append("end " + label)
    return value


class V:
    def __init__(self, name):
        self.name = name

    def __add__(self, other):
        trace.append(f"{self.name}.__add__({other.name})")
        if isinstance(other, W):
            return NotImplemented
        return V(f"({self.name}+{other.name})")

    def __matmul__(self, other):
        trace.append(f"{self.name}.__matmul__")
        return V(f"({self.name}@{other.name})")

    def __lt__(self, other):
        trace.append(f"{self.name} < {other.name}")
        return True


class W:
    def __init__(self, name):
        self.name = name

    def __radd__(self, other):
        trace.append(f"{self.name}.__radd__({other.name})")
        return V(f"({other.name}+r{self.name})")


def t(label, value):
    trace.append(label)
    return value


async def main():
    x = t("make x", V("x")) + await a("y", V("y"))
    print(x.name)
    z = t("make l", V("l")) + await a("r", W("r"))
    print(z.name)
    m = await a("m1", V("m1")) @ await a("m2", V("m2"))
    print(m.name)
    print(t("lt1", V("p")) < await a("lt2", V("q")))


block_on(main())
for entry in trace:
    print(entry)

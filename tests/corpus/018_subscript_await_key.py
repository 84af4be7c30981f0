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


class Traced(dict):
    def __getitem__(self, key):
        trace.append(f"getitem {key!r}")
        return super().__getitem__(key)


async def main():
    d = Traced(x=1, y=2, z=(3, 4))
    print(d[await a("k", "x")])
    print(t("d", d)[await a("k2", "y")])
    print(d[t("k3", "z")][await a("inner", 1)])
    print(t("d2", d)[await a("tuple key", "z")][t("i", 0)])
    grid = [[1, 2], [3, 4]]
    print(grid[await a("row", 1)][await a("col", 0)])
    m = {(1, 2): "pair"}
    print(m[await a("p1", 1), await a("p2", 2)])
    try:
        print(d[await a("missing", "nope")])
    except KeyError as error:
        print("KeyError", error)


block_on(main())
for entry in trace:
    print(entry)

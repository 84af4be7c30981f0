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


class Obj:
    def __init__(self):
        object.__setattr__(self, "v", 1)

    def __getattribute__(self, name):
        value = object.__getattribute__(self, name)
        trace.append(f"get {name}={value}")
        return value

    def __setattr__(self, name, value):
        trace.append(f"set {name}={value}")
        object.__setattr__(self, name, value)


async def mutate(o):
    trace.append("mutate")
    await yield_now()
    object.__setattr__(o, "v", 500)
    return 1


async def main():
    o = Obj()
    o.v += await a("inc", 10)
    t("target", o).v += t("x", 1) * await a("y", 2)
    o.v += await mutate(o)
    print(object.__getattribute__(o, "v"))


block_on(main())
for entry in trace:
    print(entry)

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


class Traced:
    def __getattr__(self, name):
        trace.append("getattr " + name)

        def method(*args):
            trace.append(f"call {name}{args}")
            return (name, args)

        return method


async def main():
    obj = Traced()
    r1 = obj.m(await a("arg", 1))
    r2 = obj.first(t("x", 0), await a("y", 1)).__class__
    r3 = t("obj", obj).second(await a("z", 2), await a("w", 3))
    print(r1, r2.__name__, r3)


block_on(main())
for entry in trace:
    print(entry)

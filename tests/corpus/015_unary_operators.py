from desugar.runtime import block_on, yield_now

trace = []


async def a(label, value):
    trace.append("start " + label)
    await yield_now()
    trace.append("end " + label)
    return value


class Neg:
    def __neg__(self):
        trace.append("__neg__")
        return "negated"

    def __invert__(self):
        trace.append("__invert__")
        return "inverted"

    def __pos__(self):
        trace.append("__pos__")
        return "positive"

    def __bool__(self):
        trace.append("__bool__")
        return False


async def main():
    print(-await a("n", 5), +await a("p", -3), ~await a("i", 0), not await a("b", 0))
    print(-await a("obj", Neg()))
    print(~await a("obj2", Neg()), +await a("obj3", Neg()))
    print(not await a("obj4", Neg()))
    print(-(-await a("double", 4)))


block_on(main())
for entry in trace:
    print(entry)

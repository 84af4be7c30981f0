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


async def main():
    def inner(x=await a("d", 1), y=t("e", 2), *, z=await a("kw", 3)):
        return x, y, z

    print(inner(), inner(10, z=30))
    f = lambda p=await a("lambda default", 5), q=t("lq", 6): p * q
    print(f(), f(1, 1))

    async def ainner(x=await a("async default", "ad")):
        return x + await a("in ainner", "!")

    print(await ainner(), await ainner("other"))
    print(inner.__defaults__, inner.__kwdefaults__)


block_on(main())
for entry in trace:
    print(entry)

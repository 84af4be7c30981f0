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
    def f(x: await a("param ann", int), *, y: t("kw ann", str) = "y") -> await a("return ann", list):
        return [x, y]

    print(f(1), sorted((k, v.__name__) for k, v in f.__annotations__.items()))
    local: t("local ann not evaluated", int) = await a("value", 5)
    print(local)


block_on(main())
for entry in trace:
    print(entry)

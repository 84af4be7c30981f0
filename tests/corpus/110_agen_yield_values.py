from desugar.runtime import block_on, yield_now

trace = []


async def a(label, value):
    trace.append("start " + label)
    await yield_now()
    trace.append("end " + label)
    return value


def t(label, value):
    trace.append(label)
    return value


async def producer():
    yield 1
    yield await a("awaited", 2)
    yield t("plain", 3) + await a("sum", 4)
    x = yield
    trace.append(f"bare yield received {x!r}")
    yield [await a("list", 5), t("l2", 6)]


async def main():
    gen = producer()
    print(await gen.__anext__())
    print(await gen.__anext__())
    print(await gen.__anext__())
    print(await gen.__anext__())
    print(await gen.__anext__())
    try:
        await gen.__anext__()
    except StopAsyncIteration as stop:
        print("StopAsyncIteration", stop.args)


block_on(main())
for entry in trace:
    print(entry)

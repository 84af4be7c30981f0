from desugar.runtime import block_on, yield_now

trace = []


def g(x):
    trace.append("old g")
    return ("old", x)


def new_g(x):
    trace.append("new g")
    return ("new", x)


async def rebind_g():
    global g
    trace.append("rebinding g")
    await yield_now()
    g = new_g
    return 5


async def main():
    first = g(await rebind_g())
    second = g(1)
    print(first, second)


block_on(main())
for entry in trace:
    print(entry)

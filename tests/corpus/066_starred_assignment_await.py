from desugar.runtime import block_on, yield_now

trace = []


async def a(label, value):
    trace.append("start " + label)
    await yield_now()
    trace.append("end " + label)
    return value


async def main():
    first, *middle, last = await a("seq", range(5))
    print(first, middle, last)
    *init, = await a("single", "abc")
    print(init)
    try:
        p, q = await a("too many", [1, 2, 3])
    except ValueError as error:
        print("ValueError", error)
    try:
        p, q, r = await a("too few", [1])
    except ValueError as error:
        print("ValueError", error)
    (m, n), o = await a("nested", ((1, 2), 3))
    print(m, n, o)


block_on(main())
for entry in trace:
    print(entry)

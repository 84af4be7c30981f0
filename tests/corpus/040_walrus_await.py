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
    if (y := await a("y", 5)) > 3:
        print("y is", y)
    print([z := await a("z", 1), z + 1, (z := await a("z2", 10)), z])
    n = 0
    while (chunk := await a(f"chunk {n}", [1, 2, 3][n:n + 1])):
        n += 1
        trace.append(f"got {chunk}")
    print(n, chunk)
    print(t("f", max)((w := await a("w", 3)), w * 2))
    print((v := t("v", 1)) + (v2 := await a("v2", v + 1)) + v2)


block_on(main())
for entry in trace:
    print(entry)

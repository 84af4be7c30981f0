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
    items = [3, 1, 4, 1, 5]
    total = 0
    while items and t(f"peek {items[0]}", items[0]) < await a("limit", 5):
        total += items.pop(0)
    print(total, items)
    n = 0
    while (await a(f"n={n}", n)) < 2 or t("fallback", False):
        n += 1
    print(n)


block_on(main())
for entry in trace:
    print(entry)

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
    print([await a(f"e{x}", x * 10) for x in range(3)])
    print([t(f"pre{x}", x) + await a(f"post{x}", 1) for x in t("iterable", range(2))])
    print([(x, await a(f"pair{x}", x)) for x in "ab"])


block_on(main())
for entry in trace:
    print(entry)

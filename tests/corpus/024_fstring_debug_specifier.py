from desugar.runtime import block_on, yield_now

trace = []


async def a(label, value):
    trace.append("start " + label)
    await yield_now()
    trace.append("end " + label)
    return value


async def main():
    print(f"{await a('b', 2)=}")
    print(f"{await a('s', 'text') = }")
    print(f"{await a('f', 2.5)=:.3f}")
    print(f"{await a('r', 'q')=!s}")


block_on(main())
for entry in trace:
    print(entry)

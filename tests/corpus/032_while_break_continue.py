from desugar.runtime import block_on, yield_now

trace = []


async def a(label, value):
    trace.append("start " + label)
    await yield_now()
    trace.append("end " + label)
    return value


async def main():
    i = 0
    while await a(f"cond {i}", i < 10):
        i += 1
        if i % 2 == await a(f"mod {i}", 0):
            trace.append(f"continue at {i}")
            continue
        if await a(f"brk {i}", i >= 5):
            trace.append(f"break at {i}")
            break
        trace.append(f"body end {i}")
    else:
        trace.append("else (should not run)")
    k = 0
    while True:
        k += 1
        if k > await a(f"limit {k}", 2):
            break
    else:
        trace.append("unreachable")
    print(i, k)


block_on(main())
for entry in trace:
    print(entry)

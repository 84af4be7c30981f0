from desugar.runtime import block_on, yield_now

trace = []


async def a(label, value):
    trace.append("start " + label)
    await yield_now()
    trace.append("end " + label)
    return value


async def f():
    x = "before"
    try:
        return x + await a("ret", "!")
    finally:
        x = "changed"
        trace.append(f"finally {await a('fin', x)}")


async def g():
    try:
        return await a("g ret", 1)
    finally:
        return await a("g finally ret", 2)


async def h():
    for i in range(3):
        try:
            if i == 1:
                continue
            if i == 2:
                break
        finally:
            trace.append(f"h finally {i} {await a(f'h{i}', i)}")
    return "h done"


async def main():
    print(await f(), await g(), await h())


block_on(main())
for entry in trace:
    print(entry)

from desugar.runtime import block_on, yield_now

trace = []


async def a(label, value):
    trace.append("start " + label)
    await yield_now()
    trace.append("end " + label)
    return value


async def fail(message):
    trace.append("fail " + message)
    await yield_now()
    raise ValueError(message)


async def attempt(n):
    try:
        trace.append(f"try {n}")
        if n == 1:
            await fail("one")
        value = await a(f"value {n}", n * 10)
    except ValueError as error:
        value = await a(f"handler {error}", -1)
        trace.append(f"handled {error}")
    else:
        value += await a(f"else {n}", 1)
    finally:
        trace.append(f"finally {n} {await a('fin', n)}")
    return value


async def main():
    print(await attempt(0), await attempt(1))
    try:
        try:
            await fail("inner")
        finally:
            trace.append(f"outer finally {await a('cleanup', 'c')}")
    except ValueError as error:
        print("propagated", error)


block_on(main())
for entry in trace:
    print(entry)

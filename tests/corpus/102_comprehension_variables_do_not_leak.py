from desugar.runtime import block_on, yield_now

trace = []


async def agen(n):
    for i in range(n):
        await yield_now()
        yield i


async def a(value):
    await yield_now()
    return value


async def main():
    x = "outer x"
    result = [x async for x in agen(3)]
    print(result, x)
    values = [y for y in range(2) if await a(True)]
    print(values, "y" in dir())
    d = {k: await a(k) async for k in agen(2)}
    print(d, "k" in dir())
    try:
        print(k)
    except NameError as error:
        print("NameError", error)
    s = {(m, await a(m)) for m in range(2)}
    print(sorted(s), "m" in dir())
    g = [n async for n in agen(1)]
    print(g, "n" in dir())


block_on(main())

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
    funcs = [lambda: x async for x in agen(3)]
    print([f() for f in funcs])
    bound = [lambda x=x: x async for x in agen(3)]
    print([f() for f in bound])
    offset = await a(100)
    print([x + offset async for x in agen(3)])
    nested = [[lambda: (x, y) for y in range(2)] async for x in agen(2)]
    print([[f() for f in row] for row in nested])


block_on(main())

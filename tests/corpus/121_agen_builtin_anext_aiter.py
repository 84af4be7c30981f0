from desugar.runtime import block_on, yield_now

trace = []


async def letters():
    for ch in "xy":
        await yield_now()
        yield ch


async def main():
    gen = letters()
    print(aiter(gen) is gen)
    print(await anext(gen))
    print(await anext(gen, "default"))
    print(await anext(gen, "default"))
    try:
        await anext(gen)
    except StopAsyncIteration:
        print("StopAsyncIteration from anext")
    it = aiter(letters())
    print([await anext(it), await anext(it)])


block_on(main())

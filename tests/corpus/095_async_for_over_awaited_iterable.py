from desugar.runtime import block_on, yield_now

trace = []


async def gen(label, n):
    for i in range(n):
        await yield_now()
        yield f"{label}{i}"


async def make_gen(label):
    trace.append(f"make_gen {label}")
    await yield_now()
    return gen(label, 2)


async def main():
    async for item in await make_gen("x"):
        trace.append(item)
    sources = {"a": gen("a", 1), "b": gen("b", 3)}
    async for item in sources[await key()]:
        trace.append(item)
    print("done")


async def key():
    await yield_now()
    return "b"


block_on(main())
for entry in trace:
    print(entry)

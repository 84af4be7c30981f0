from desugar.runtime import block_on, yield_now

trace = []


async def closable(label):
    try:
        for i in range(10):
            yield i
    except GeneratorExit:
        trace.append(f"{label}: GeneratorExit seen")
        raise
    finally:
        await yield_now()
        trace.append(f"{label}: finally ran")


async def main():
    gen = closable("g1")
    print(await gen.__anext__(), await gen.__anext__())
    print(await gen.aclose())
    try:
        await gen.__anext__()
    except StopAsyncIteration:
        print("closed generator is exhausted")
    print(await gen.aclose())
    unstarted = closable("g2")
    print(await unstarted.aclose())
    done = closable("g3")
    async for x in done:
        if x == 1:
            break
    await done.aclose()


block_on(main())
for entry in trace:
    print(entry)

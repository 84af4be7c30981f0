from desugar.runtime import block_on, yield_now

trace = []


async def one():
    trace.append("one started")
    yield 1
    trace.append("one finishing")


async def main():
    gen = one()
    async for x in gen:
        print("value", x)
    try:
        await gen.__anext__()
    except StopAsyncIteration:
        print("StopAsyncIteration from __anext__")
    try:
        await gen.asend(None)
    except StopAsyncIteration:
        print("StopAsyncIteration from asend")
    print("aclose ->", await gen.aclose())


block_on(main())
for entry in trace:
    print(entry)

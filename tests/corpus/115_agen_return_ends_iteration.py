from desugar.runtime import block_on, yield_now

trace = []


async def limited(limit):
    i = 0
    while True:
        if i >= limit:
            trace.append(f"returning at {i}")
            return
        await yield_now()
        yield i
        i += 1


async def early(flag):
    yield "first"
    if flag:
        return
    yield "second"


async def main():
    print([x async for x in limited(3)])
    print([x async for x in early(True)], [x async for x in early(False)])
    gen = limited(1)
    print(await gen.__anext__())
    for _ in range(2):
        try:
            await gen.__anext__()
        except StopAsyncIteration as stop:
            print("StopAsyncIteration", stop.args)


block_on(main())
for entry in trace:
    print(entry)

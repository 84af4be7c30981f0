from desugar.runtime import block_on, yield_now

trace = []


async def resilient(limit):
    n = 0
    while n < limit:
        try:
            yield n
        except ValueError as error:
            await yield_now()
            trace.append(f"caught {error}")
            n += 10
        n += 1
    trace.append("resilient done")


async def main():
    gen = resilient(15)
    print(await gen.__anext__())
    print(await gen.athrow(ValueError("first")))
    print(await gen.__anext__())
    print([x async for x in gen])
    try:
        await gen.__anext__()
    except StopAsyncIteration:
        print("exhausted")
    gen2 = resilient(100)
    print(await gen2.__anext__())
    print(await gen2.athrow(ValueError))
    print(await gen2.athrow(ValueError("again")))
    await gen2.aclose()


block_on(main())
for entry in trace:
    print(entry)

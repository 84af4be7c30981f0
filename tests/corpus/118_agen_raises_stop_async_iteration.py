from desugar.runtime import block_on, yield_now

trace = []


async def bad():
    yield 1
    await yield_now()
    raise StopAsyncIteration("explicit")


async def bad_sync_stop():
    yield 1
    raise StopIteration("sync")


async def main():
    gen = bad()
    print(await gen.__anext__())
    try:
        await gen.__anext__()
    except RuntimeError as error:
        print("RuntimeError:", error, "cause", repr(error.__cause__))
    try:
        print([x async for x in bad_sync_stop()])
    except RuntimeError as error:
        print("RuntimeError:", error, "cause", repr(error.__cause__))


block_on(main())

from desugar.runtime import block_on, sleep, spawn, yield_now

trace = []


async def slow():
    trace.append("slow started")
    await sleep(0.002)
    trace.append("slow resumed")
    yield 1
    yield 2


async def main():
    gen = slow()
    handle = spawn(gen.__anext__())
    await yield_now()
    await yield_now()
    try:
        await gen.__anext__()
    except RuntimeError as error:
        print("RuntimeError:", error)
    print("first value", await handle)
    print("second value", await gen.__anext__())


block_on(main())
for entry in trace:
    print(entry)

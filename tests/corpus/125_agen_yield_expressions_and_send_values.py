from desugar.runtime import block_on, yield_now

trace = []


async def a(label, value):
    trace.append("start " + label)
    await yield_now()
    trace.append("end " + label)
    return value


async def echo():
    received = yield "ready"
    while received is not None:
        trace.append(f"echo got {received}")
        received = yield (await a(f"process {received}", received.upper()))
    trace.append("echo stopping")


async def main():
    gen = echo()
    print(await gen.asend(None))
    print(await gen.asend("hello"))
    print(await gen.asend(await a("computed", "world")))
    try:
        await gen.asend(None)
    except StopAsyncIteration:
        print("echo finished")


block_on(main())
for entry in trace:
    print(entry)

from desugar.runtime import block_on, yield_now

trace = []


async def accumulator():
    total = 0
    while True:
        received = yield total
        trace.append(f"received {received!r}")
        await yield_now()
        if received is None:
            break
        total += received
    trace.append("accumulator done")


async def main():
    acc = accumulator()
    print(await acc.asend(None))
    print(await acc.asend(5))
    print(await acc.asend(10))
    try:
        await acc.__anext__()
    except StopAsyncIteration:
        print("StopAsyncIteration: __anext__ sent None")
    try:
        await acc.asend(1)
    except StopAsyncIteration:
        print("StopAsyncIteration after finishing")
    fresh = accumulator()
    try:
        await fresh.asend(3)
    except TypeError as error:
        print("TypeError:", error)


block_on(main())
for entry in trace:
    print(entry)

from desugar.runtime import block_on, yield_now

trace = []


async def countdown(n):
    trace.append(f"countdown({n}) started")
    while n > 0:
        await yield_now()
        trace.append(f"yielding {n}")
        yield n
        trace.append(f"resumed after {n}")
        n -= 1
    trace.append("countdown finished")


async def main():
    gen = countdown(3)
    trace.append("generator created")
    async for value in gen:
        trace.append(f"got {value}")
    total = 0
    async for value in countdown(4):
        total += value
    print("total", total)


block_on(main())
for entry in trace:
    print(entry)

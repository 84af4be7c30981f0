from desugar.runtime import block_on, yield_now

trace = []


async def flaky(n):
    try:
        for i in range(n):
            await yield_now()
            if i == 2:
                raise ValueError(f"flaky failed at {i}")
            yield i
    finally:
        trace.append("flaky cleanup")


async def main():
    collected = []
    try:
        async for x in flaky(5):
            collected.append(x)
    except ValueError as error:
        print("ValueError", error, collected)
    try:
        print([x async for x in flaky(3)])
    except ValueError as error:
        print("comprehension ValueError", error)
    print([x async for x in flaky(2)])


block_on(main())
for entry in trace:
    print(entry)

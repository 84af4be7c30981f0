from desugar.runtime import block_on, yield_now

trace = []


async def numbers(n):
    for i in range(n):
        await yield_now()
        yield i


async def find(target, n):
    async for i in numbers(n):
        if i == target:
            trace.append(f"found {target}")
            break
    else:
        trace.append(f"{target} not found")
        return None
    return i


async def main():
    print(await find(2, 5), await find(7, 3))
    async for i in numbers(4):
        if i % 2:
            continue
        trace.append(f"even {i}")
    else:
        trace.append(f"loop completed, last i={i}")


block_on(main())
for entry in trace:
    print(entry)

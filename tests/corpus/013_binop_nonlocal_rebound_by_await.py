from desugar.runtime import block_on, yield_now

trace = []


async def main():
    counter = 5
    label = "old"

    async def bump():
        nonlocal counter, label
        trace.append(f"bump sees {counter} {label}")
        await yield_now()
        counter = counter * 10
        label = "new"
        return 1

    r1 = counter + await bump()
    r2 = counter - await bump()
    r3 = label + str(await bump()) + label
    r4 = [counter, await bump(), counter]
    print(r1, r2, r3, r4, counter)


block_on(main())
print(trace)

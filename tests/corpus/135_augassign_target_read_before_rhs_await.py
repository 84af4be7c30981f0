from desugar.runtime import block_on, yield_now

trace = []
i = 0
lst = [1, 10, 100]


async def bump_i():
    global i
    await yield_now()
    i = 2
    return 5


async def replace_list():
    global lst
    await yield_now()
    lst = [0, 0, 0]
    return 7


async def main():
    lst[i] += await bump_i()
    print(lst, i)
    old = lst
    lst[0] += await replace_list()
    print(old, lst)
    counts = {"x": 1}

    async def reset():
        counts["x"] = 1000
        await yield_now()
        return 1

    counts["x"] += await reset()
    print(counts)


block_on(main())

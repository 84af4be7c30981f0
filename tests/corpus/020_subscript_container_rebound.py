from desugar.runtime import block_on, yield_now

trace = []
lst = ["old0", "old1", "old2"]


async def change_lst():
    global lst
    await yield_now()
    lst = ["new0", "new1", "new2"]
    trace.append("lst replaced")
    return 1


async def main():
    print(lst[await change_lst()])
    print(lst[1])
    box = {"data": [1, 2, 3]}

    async def swap():
        await yield_now()
        box["data"] = [10, 20, 30]
        return 2

    print(box["data"][await swap()])
    print(box["data"][2])


block_on(main())
print(trace)

from desugar.runtime import block_on, yield_now

trace = []
x = 3
items = [1, 2]


async def change_x():
    global x
    trace.append(f"change_x sees {x}")
    await yield_now()
    x = 100
    return 2


async def change_items():
    global items
    await yield_now()
    items = ["replaced"]
    return [3]


async def main():
    r1 = x * await change_x()
    print("r1", r1, "x now", x)
    r2 = x + await change_x()
    print("r2", r2)
    r3 = items + await change_items()
    print("r3", r3, "items now", items)
    r4 = (await change_x()) * x
    print("r4", r4)


block_on(main())
print(trace)

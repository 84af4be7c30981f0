from desugar.runtime import block_on, yield_now

trace = []


async def a(label, value):
    trace.append("start " + label)
    await yield_now()
    trace.append("end " + label)
    return value


async def classify(n):
    if await a(f"neg? {n}", n < 0):
        return "negative"
    elif await a(f"zero? {n}", n == 0):
        return "zero"
    elif await a(f"small? {n}", n < 10):
        return "small"
    else:
        return "large"


async def main():
    for n in (-1, 0, 5, 50):
        print(n, await classify(n))
    if not await a("not", False):
        print("not branch")
    if await a("x", 1) > 0 and await a("y", 2) > 1:
        print("both")


block_on(main())
for entry in trace:
    print(entry)

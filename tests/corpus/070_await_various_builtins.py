from desugar.runtime import block_on, yield_now

trace = []


async def a(label, value):
    trace.append("start " + label)
    await yield_now()
    trace.append("end " + label)
    return value


async def main():
    print(len(await a("len", [1, 2, 3])), sum(await a("sum", range(4))), max(await a("m1", 3), await a("m2", 9)))
    print(sorted(await a("sorted", [3, 1, 2]), reverse=await a("rev", True)))
    print(isinstance(await a("obj", 5), await a("type", int)))
    print(str(await a("str", 12)).zfill(await a("width", 5)))
    print(" ".join([await a("w1", "hello"), await a("w2", "world")]))
    print(dict(zip(await a("keys", "ab"), await a("vals", [1, 2]))))


block_on(main())
for entry in trace:
    print(entry)

from desugar.runtime import block_on, yield_now

trace = []


async def a(label, value):
    trace.append("start " + label)
    await yield_now()
    trace.append("end " + label)
    return value


class Store(dict):
    def __setitem__(self, key, value):
        trace.append(f"setitem {key!r}={value!r}")
        super().__setitem__(key, value)


async def main():
    d = Store()
    n = 0
    for d[await a(f"key {n}", f"k{n}")] in ["x", "y"]:
        n += 1
    print(dict(d))
    holder = Store()
    for holder["first"], holder[await a("second key", "second")] in [(1, 2)]:
        pass
    print(dict(holder))


block_on(main())
for entry in trace:
    print(entry)

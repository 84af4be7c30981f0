from desugar.runtime import block_on, yield_now

trace = []


async def a(label, value):
    trace.append("start " + label)
    await yield_now()
    trace.append("end " + label)
    return value


class Suppress:
    def __enter__(self):
        trace.append("enter")
        return self

    def __exit__(self, typ, val, tb):
        trace.append(f"exit {typ.__name__ if typ else None} {val!r}")
        return True


async def body(n):
    with Suppress():
        x = await a(f"x{n}", n)
        if x == 1:
            return "returned"
        if x == 2:
            raise KeyError(await a("key", "k"))
        trace.append("fell through")
    return "after with"


async def main():
    for n in range(3):
        print(await body(n))
    for i in range(3):
        with Suppress():
            if await a(f"loop {i}", i) == 1:
                continue
            if i == 2:
                break
            trace.append(f"loop body {i}")
    print("done")


block_on(main())
for entry in trace:
    print(entry)

from desugar.runtime import block_on, yield_now

trace = []


async def pairs():
    for i in range(3):
        await yield_now()
        yield i, (str(i), i * i)


class Store(dict):
    def __setitem__(self, key, value):
        trace.append(f"setitem {key!r}={value!r}")
        super().__setitem__(key, value)


class Obj:
    pass


async def main():
    async for n, (s, sq) in pairs():
        print(n, s, sq)
    async for first, *rest in pairs():
        print(first, rest)
    d = Store()
    o = Obj()
    async for d["n"], o.rest in pairs():
        trace.append(f"body n={d['n']} rest={o.rest}")
    try:
        async for a, b, c in pairs():
            pass
    except ValueError as error:
        print("ValueError", error)


block_on(main())
for entry in trace:
    print(entry)

from desugar.runtime import block_on, yield_now

trace = []


class Pair:
    async def __aenter__(self):
        trace.append("aenter pair")
        await yield_now()
        return (1, (2, 3))

    async def __aexit__(self, *exc):
        trace.append("aexit pair")


class Store(dict):
    def __setitem__(self, key, value):
        trace.append(f"setitem {key!r}={value!r}")
        super().__setitem__(key, value)


class Obj:
    pass


async def main():
    async with Pair() as (x, (y, z)):
        print(x, y, z)
    async with Pair() as (first, *rest):
        print(first, rest)
    d = Store()
    o = Obj()
    async with Pair() as d["pair"], Pair() as o.attr:
        print(dict(d), o.attr)
    try:
        async with Pair() as (p, q, r):
            print("not reached")
    except ValueError as error:
        print("ValueError", error)


block_on(main())
for entry in trace:
    print(entry)

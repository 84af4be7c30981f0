from desugar.runtime import block_on, yield_now

trace = []


class Num:
    def __init__(self, n):
        self.n = n

    def __lt__(self, other):
        trace.append(f"{self.n} < {other.n}")
        return Num(int(self.n < other.n))

    def __bool__(self):
        trace.append(f"bool({self.n})")
        return bool(self.n)

    def __repr__(self):
        return f"Num({self.n})"


async def make(n):
    trace.append(f"make {n}")
    await yield_now()
    return Num(n)


async def main():
    print(Num(1) < await make(2) < await make(3))
    print(Num(3) < await make(2) < await make(1))
    print(await make(0) < await make(5))
    container = [1, 2, 3]
    print(await make_plain(2) in container not in [[9]])
    print(await make_plain(None) is None is not await make_plain(1))


async def make_plain(v):
    trace.append(f"plain {v}")
    await yield_now()
    return v


block_on(main())
for entry in trace:
    print(entry)

from desugar.runtime import block_on, yield_now

trace = []


class Source:
    def __init__(self, n):
        self.i = 0
        self.n = n

    def __aiter__(self):
        return self

    async def __anext__(self):
        await yield_now()
        if self.i >= self.n:
            raise StopAsyncIteration
        self.i += 1
        trace.append(f"source gives {self.i}")
        return self.i


async def check(x):
    trace.append(f"check {x}")
    await yield_now()
    if x == 2:
        raise ValueError(f"bad value {x}")
    return x


async def main():
    try:
        print([await check(x) async for x in Source(4)])
    except ValueError as error:
        print("ValueError", error)
    try:
        print({x: 1 / (x - 3) async for x in Source(5)})
    except ZeroDivisionError as error:
        print("ZeroDivisionError", error)
    src = Source(3)
    print([x async for x in src], [x async for x in src])


block_on(main())
for entry in trace:
    print(entry)
